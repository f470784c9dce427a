package policy

import (
	"strings"
	"testing"
	"testing/fstest"
)

// baseDoc is a base file: everything in validDoc except the tenant-specific parts.
const baseDoc = `identity:
  timezone: Europe/Rome
category_defaults: {window: 30d, no_reply: true}
anonymous: allow
anonymous_reports: accept
visibility: same
routing:
  fallback: urp
  sla: {ack: 1wd, first_answer: 10wd, resolution: 30wd, warn_at: 0.5}
  escalation: [remind_office, urp]
emergency: {unico: "112", fire: "115", health: "118"}
closures: ["2026-12-24", "2026-12-31"]
pages:
  - {platform: facebook, id: base-fb}
templates:
  ack: "Presa in carico"
  interim: "Attendere"
  answer: "{office} ({head}): {answer}"
  emergency: "Chiami {emergency}"
  istanza: "Vada su {istanze_url}"
  anonymous_refused: "No anonimi"
  warning: "Art. {article}"
`

const childDoc = `tenant: child
extends: _base
identity:
  name: Comune Figlio
  istat: "000001"
  website: https://figlio.example
  istanze_url: https://figlio.example/istanze
  patron: {date: "01-02", name: Santo}
document: {title: Policy}
pages:
  - {platform: instagram, id: child-ig}
categories:
  spam:
    article: "2"
    title: Spam
    no_reply: false
    ladder: [{at: 1, actions: [hide]}]
anonymous: review
offices:
  urp: {name: URP, head: Capo, email: urp@figlio.example}
routing:
  sla: {warn_at: 0.9}
closures: ~
templates:
  ack: "Grazie, {comune}"
`

func TestExtendsMergeSemantics(t *testing.T) {
	fsys := fstest.MapFS{
		"_base.yaml": {Data: []byte(baseDoc)},
		"child.yaml": {Data: []byte(childDoc)},
	}
	tn, err := LoadTenantFS(fsys, "child.yaml")
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	// Maps merge: identity keeps the base's timezone and adds the child's fields.
	if got, want := tn.Location.String(), "Europe/Rome"; got != want {
		t.Errorf("timezone = %q, want %q from base", got, want)
	}
	if got, want := tn.Name, "Comune Figlio"; got != want {
		t.Errorf("name = %q, want %q", got, want)
	}
	// Nested maps merge: routing.sla keeps ack and takes warn_at from the child.
	if got, want := tn.Routing.SLA.Ack, (Span{1, "wd"}); got != want {
		t.Errorf("sla.ack = %v, want %v from base", got, want)
	}
	if got, want := tn.Routing.SLA.WarnAt, 0.9; got != want {
		t.Errorf("sla.warn_at = %v, want %v from child", got, want)
	}
	if got, want := strings.Join(tn.Routing.Escalation, ","), "remind_office,urp"; got != want {
		t.Errorf("escalation = %q, want %q from base", got, want)
	}
	// Lists replace: the child's pages only.
	if got, want := len(tn.Pages), 1; got != want {
		t.Fatalf("len(pages) = %d, want %d (lists replace)", got, want)
	}
	if got, want := tn.Pages[0].ID, "child-ig"; got != want {
		t.Errorf("pages[0] = %q, want %q", got, want)
	}
	// Scalars replace.
	if got, want := tn.Anonymous, "review"; got != want {
		t.Errorf("anonymous = %q, want %q", got, want)
	}
	if got, want := tn.AnonymousReports, "accept"; got != want {
		t.Errorf("anonymous_reports = %q, want %q from base", got, want)
	}
	// Null removes.
	if got := len(tn.Closures); got != 0 {
		t.Errorf("len(closures) = %d, want 0 (removed with ~)", got)
	}
	// Templates merge key by key.
	if got, want := tn.Templates["ack"], "Grazie, {comune}"; got != want {
		t.Errorf("ack = %q, want %q", got, want)
	}
	if got, want := tn.Templates["interim"], "Attendere"; got != want {
		t.Errorf("interim = %q, want %q from base", got, want)
	}
	// Category defaults come from the base; a category may override them.
	c := tn.Categories["spam"]
	if got, want := formatDuration(c.Window), "30d"; got != want {
		t.Errorf("spam window = %s, want %s from base defaults", got, want)
	}
	if c.NoReply {
		t.Error("spam NoReply = true, want false (overridden)")
	}
}

func TestExtendsErrors(t *testing.T) {
	tenantWith := func(extends string) string {
		return strings.Replace(childDoc, "extends: _base", "extends: "+extends, 1)
	}
	tests := []struct {
		name string
		fsys fstest.MapFS
		want string
	}{
		{"missing base", fstest.MapFS{"child.yaml": {Data: []byte(tenantWith("_nothere"))}},
			`child.yaml:2: extends: base "_nothere.yaml" not found`},
		{"self", fstest.MapFS{"child.yaml": {Data: []byte(tenantWith("child"))}},
			`child.yaml:2: extends: cycle: child.yaml -> child.yaml`},
		{"cycle", fstest.MapFS{
			"child.yaml": {Data: []byte(tenantWith("_a"))},
			"_a.yaml":    {Data: []byte("extends: _b\n")},
			"_b.yaml":    {Data: []byte("visibility: same\nextends: _a.yaml\n")},
		}, `_b.yaml:2: extends: cycle: child.yaml -> _a.yaml -> _b.yaml -> _a.yaml`},
		{"path escape", fstest.MapFS{"child.yaml": {Data: []byte(tenantWith("../etc/passwd"))}},
			`child.yaml:2: extends: "../etc/passwd" is not a file name in the same directory`},
		{"error in base points at base", fstest.MapFS{
			"child.yaml": {Data: []byte(childDoc)},
			"_base.yaml": {Data: []byte(strings.Replace(baseDoc, "fire: \"115\"", "fire: \"fire\"", 1))},
		}, `_base.yaml:11: emergency.fire: must be a short emergency number`},
		{"syntax error in base", fstest.MapFS{
			"child.yaml": {Data: []byte(childDoc)},
			"_base.yaml": {Data: []byte("identity: [\n")},
		}, `_base.yaml:`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadTenantFS(tc.fsys, "child.yaml")
			if err == nil {
				t.Fatal("load succeeded, want an error")
			}
			if !containsLine(err, tc.want) {
				t.Errorf("errors:\n%v\nwant a line starting with:\n%s", err, tc.want)
			}
		})
	}
}

func TestChainedExtends(t *testing.T) {
	fsys := fstest.MapFS{
		"_root.yaml": {Data: []byte(baseDoc)},
		"_mid.yaml":  {Data: []byte("extends: _root\nanonymous_reports: refuse\n")},
		"child.yaml": {Data: []byte(strings.Replace(childDoc, "extends: _base", "extends: _mid", 1))},
	}
	tn, err := LoadTenantFS(fsys, "child.yaml")
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if got, want := tn.AnonymousReports, "refuse"; got != want {
		t.Errorf("anonymous_reports = %q, want %q from the middle base", got, want)
	}
	if got, want := tn.Emergency.Unico, "112"; got != want {
		t.Errorf("emergency.unico = %q, want %q from the root base", got, want)
	}
}

func TestVersion(t *testing.T) {
	load := func(doc string) string {
		t.Helper()
		tn, err := loadDoc(t, doc)
		if err != nil {
			t.Fatalf("load: %v", err)
		}
		return tn.Version
	}
	base := load(validDoc)
	if got := load(validDoc); got != base {
		t.Errorf("version not deterministic: %s then %s", base, got)
	}
	commented := "# a comment\n" + strings.Replace(validDoc, "visibility: same\n", "visibility: same # same\n", 1)
	if got := load(commented); got != base {
		t.Errorf("comments changed the version: %s, want %s", got, base)
	}
	reordered := strings.Replace(validDoc, "anonymous: allow\nanonymous_reports: accept\n", "anonymous_reports: accept\nanonymous: allow\n", 1)
	if got := load(reordered); got != base {
		t.Errorf("key order changed the version: %s, want %s", got, base)
	}
	changed := strings.Replace(validDoc, "{at: 2,", "{at: 3,", 1)
	if got := load(changed); got == base {
		t.Error("a ladder change kept the same version")
	}
}
