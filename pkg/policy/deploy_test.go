package policy

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// policiesDir is the repository's real policies directory.
const policiesDir = "../../deploy/policies"

func loadDeployed(t *testing.T) *Set {
	t.Helper()
	set, err := LoadDir(policiesDir)
	if err != nil {
		t.Fatalf("LoadDir(%s):\n%v", policiesDir, err)
	}
	return set
}

func TestDeployedPoliciesLoad(t *testing.T) {
	set := loadDeployed(t)
	var codes []string
	for _, tn := range set.Tenants() {
		codes = append(codes, tn.Code)
	}
	if got, want := strings.Join(codes, ","), "bussero,canegrate,crespiatica,maglione,monza"; got != want {
		t.Errorf("tenants = %s, want %s", got, want)
	}
	for _, tn := range set.Tenants() {
		t.Run(tn.Code, func(t *testing.T) {
			if got, ok := set.Tenant(tn.Code); !ok || got != tn {
				t.Errorf("Tenant(%q) did not return the tenant", tn.Code)
			}
			if got, ok := set.TenantForPage("facebook", tn.Code+"-fb"); !ok || got != tn {
				t.Errorf("TenantForPage(facebook, %s-fb) did not return the tenant", tn.Code)
			}
			if got, ok := set.TenantForPage("replay", tn.Code+"-replay"); !ok || got != tn {
				t.Errorf("TenantForPage(replay, %s-replay) did not return the tenant", tn.Code)
			}
			if tn.Location == nil || tn.Location.String() != "Europe/Rome" {
				t.Errorf("Location = %v, want Europe/Rome", tn.Location)
			}
			if got, want := tn.Emergency.Unico, "112"; got != want {
				t.Errorf("emergency.unico = %q, want %q", got, want)
			}
			for _, c := range tn.Categories {
				if c.Article == "" || c.Title == "" || c.Window <= 0 || len(c.Ladder) == 0 {
					t.Errorf("category %s incomplete: %+v", c.Code, c)
				}
				if !c.NoReply {
					t.Errorf("category %s answers violating comments; every document says they get no answer", c.Code)
				}
			}
			// Every topic reaches an office that exists.
			for _, topic := range Topics() {
				if o := tn.OfficeFor(topic); o == nil {
					t.Errorf("OfficeFor(%q) = nil", topic)
				}
			}
			// Every template renders with only the placeholders its caller provides
			// (services/routing and services/sanctions); {comune}, {istanze_url} and
			// {emergency} default to the tenant's own values.
			callerVars := map[string][]string{
				"ack":               {"office", "head", "request_id", "deadline"},
				"interim":           {"office", "head", "request_id", "deadline"},
				"answer":            {"office", "head", "answer", "request_id"},
				"emergency":         nil,
				"istanza":           nil,
				"anonymous_refused": nil,
				"warning":           {"article"},
				"redirect":          {"office", "head", "request_id"},
				"late":              {"office", "head", "request_id"},
			}
			for name := range tn.Templates {
				keys, known := callerVars[name]
				if !known {
					t.Errorf("template %s has no known caller", name)
				}
				vars := map[string]string{}
				for _, k := range keys {
					vars[k] = "<" + k + ">"
				}
				got, err := tn.Render(name, vars)
				if err != nil {
					t.Errorf("Render(%s): %v", name, err)
					continue
				}
				if strings.ContainsAny(got, "{}") {
					t.Errorf("Render(%s) left braces: %q", name, got)
				}
			}
		})
	}
}

func TestDeployedMonza(t *testing.T) {
	tn, _ := loadDeployed(t).Tenant("monza")
	tests := []struct {
		category  string
		wantBlock int // 0: never blocks
	}{
		{"insult", 2}, {"profanity", 2}, {"blasphemy", 2}, {"hate", 5}, {"illegal", 1},
		{"political", 0}, {"commercial", 0}, {"threat", 0}, {"spam", 0}, {"personal_data", 0},
	}
	for _, tc := range tests {
		c := tn.Categories[tc.category]
		if c == nil {
			t.Errorf("monza does not enforce %s", tc.category)
			continue
		}
		got, ok := c.FirstAt("block")
		if !ok {
			got = 0
		}
		if got != tc.wantBlock {
			t.Errorf("monza %s blocks at %d, want %d", tc.category, got, tc.wantBlock)
		}
		if step, _, _ := c.StepFor(1); !step.Has("delete") {
			t.Errorf("monza %s first step %v does not delete", tc.category, step.Actions)
		}
	}
	illegal, _, _ := tn.Categories["illegal"].StepFor(1)
	if !illegal.Has("report_police") || !illegal.Has("block") || illegal.BlockFor != 0 {
		t.Errorf("monza illegal step 1 = %+v, want delete, indefinite block and report_police", illegal)
	}
	// Insult, turpiloquio and blasphemy are one conduct: one counter.
	if g := tn.Categories["blasphemy"].Group; g != tn.Categories["insult"].Group {
		t.Errorf("monza blasphemy group %q != insult group %q", g, tn.Categories["insult"].Group)
	}
	if _, ok := tn.Categories["off_topic"]; ok {
		t.Error("monza enforces off_topic; the document has no such rule")
	}
	if got := tn.OfficeFor("roads").Head; got == "" {
		t.Error("monza roads office has no head to name in answers (3.G.1)")
	}
	if !slices.Contains(tn.Contacts, "sistemiweb@comune.monza.it") {
		t.Errorf("monza contacts %v lack the Ufficio Web mailbox", tn.Contacts)
	}
	if got, want := tn.Patron, (MonthDay{6, 24}); got != want {
		t.Errorf("monza patron = %v, want %v", got, want)
	}
}

func TestDeployedMaglione(t *testing.T) {
	tn, _ := loadDeployed(t).Tenant("maglione")
	for code, c := range tn.Categories {
		for _, s := range c.Ladder {
			if s.Has("block") {
				t.Errorf("maglione %s blocks at %d; the system must never block a Maglione user", code, s.At)
			}
			if s.Has("delete") && !slices.Contains([]string{"profanity", "blasphemy", "insult", "hate", "personal_data"}, code) {
				t.Errorf("maglione deletes %s; only vulgar, defamatory comments and personal data are deleted", code)
			}
		}
	}
	insult := tn.Categories["insult"]
	if step, _, _ := insult.StepFor(1); !step.Has("delete") {
		t.Errorf("maglione insult step 1 = %v, want delete", step.Actions)
	}
	if at, ok := insult.FirstAt("review"); !ok || at < 2 {
		t.Errorf("maglione repeat offenders: review at %d (%v), want a later step with review", at, ok)
	}
}

func TestDeployedBussero(t *testing.T) {
	tn, _ := loadDeployed(t).Tenant("bussero")
	for code, c := range tn.Categories {
		if len(c.Ladder) != 1 {
			t.Errorf("bussero %s has a ladder of %d steps; the policy states none", code, len(c.Ladder))
		}
		if _, ok := c.FirstAt("block"); ok {
			t.Errorf("bussero %s blocks; the policy has no automatic block", code)
		}
	}
	if got, want := tn.Routing.Mode, "redirect"; got != want {
		t.Errorf("bussero routing mode = %q, want %q", got, want)
	}
	for _, topic := range Topics() {
		if got := tn.OfficeFor(topic).Code; got != "urp" {
			t.Errorf("bussero OfficeFor(%s) = %s, want urp", topic, got)
		}
	}
	if _, err := tn.Render("redirect", map[string]string{"office": "URP"}); err != nil {
		t.Errorf("bussero redirect template: %v", err)
	}
}

func TestDeployedCanegrate(t *testing.T) {
	set := loadDeployed(t)
	tn, _ := set.Tenant("canegrate")
	insult := tn.Categories["insult"]
	want := [][]string{{"warn"}, {"delete", "report_platform"}, {"delete", "report_platform", "block"}}
	for count := 1; count <= 3; count++ {
		step, _, ok := insult.StepFor(count)
		if !ok || !slices.Equal(step.Actions, want[count-1]) {
			t.Errorf("canegrate insult at %d = %v, want %v (Art. 4.5 a, b, c)", count, step.Actions, want[count-1])
		}
	}
	if got := formatDuration(insult.Window); got != "365d" {
		t.Errorf("canegrate window = %s, want 365d (12 months)", got)
	}
	if _, ok := set.TenantForPage("youtube", "canegrate-yt"); !ok {
		t.Error("canegrate YouTube channel (Art. 5) not mapped")
	}
	if step, _, _ := tn.Categories["hate"].StepFor(1); step.Has("warn") || !step.Has("delete") {
		t.Errorf("canegrate hate step 1 = %v, want delete without a mere warning", step.Actions)
	}
}

func TestDeployedCrespiatica(t *testing.T) {
	tn, _ := loadDeployed(t).Tenant("crespiatica")
	if tn.Anonymous != "review" || tn.AnonymousReports != "refuse" {
		t.Errorf("crespiatica anonymous = %q / %q, want review / refuse", tn.Anonymous, tn.AnonymousReports)
	}
	if len(tn.Sponsors) == 0 {
		t.Error("crespiatica has no sponsor allow-list")
	}
	for _, code := range []string{"insult", "commercial", "political", "spam"} {
		c := tn.Categories[code]
		at, ok := c.FirstAt("block")
		step, _, _ := c.StepFor(at)
		if !ok || !step.Has("report_platform") {
			t.Errorf("crespiatica %s: block at %d (%v) with %v, want a repeated-violation step that blocks and reports to the platform",
				code, at, ok, step.Actions)
		}
	}
	if _, ok := tn.Categories["off_topic"].FirstAt("block"); ok {
		t.Error("crespiatica off_topic leads to a block")
	}
	if _, err := tn.Render("anonymous_refused", nil); err != nil {
		t.Errorf("crespiatica anonymous_refused: %v", err)
	}
}

// TestTemplateFileIsValid keeps _template.yaml loadable: a new Comune starts from a file that
// works.
func TestTemplateFileIsValid(t *testing.T) {
	tmpl, err := os.ReadFile(filepath.Join(policiesDir, "_template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	baseline, err := os.ReadFile(filepath.Join(policiesDir, "_baseline.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{"esempio.yaml": {Data: tmpl}, "_baseline.yaml": {Data: baseline}}
	tn, err := LoadTenantFS(fsys, "esempio.yaml")
	if err != nil {
		t.Fatalf("_template.yaml copied as esempio.yaml does not load:\n%v", err)
	}
	if got, want := len(tn.Templates), 9; got != want {
		t.Errorf("templates from baseline = %d, want %d", got, want)
	}
}

func TestLoadFile(t *testing.T) {
	tn, err := LoadFile(filepath.Join(policiesDir, "monza.yaml"))
	if err != nil {
		t.Fatalf("LoadFile: %v", err)
	}
	set := loadDeployed(t)
	fromDir, _ := set.Tenant("monza")
	if tn.Version != fromDir.Version {
		t.Errorf("LoadFile version %s != LoadDir version %s", tn.Version, fromDir.Version)
	}
	if len(set.Version()) != 64 {
		t.Errorf("Set.Version() = %q, want 64 hex digits", set.Version())
	}
}

func TestLoadFSErrors(t *testing.T) {
	doc := func(code, page string) *fstest.MapFile {
		d := strings.Replace(validDoc, "tenant: x", "tenant: "+code, 1)
		return &fstest.MapFile{Data: []byte(strings.Replace(d, "id: x-fb", "id: "+page, 1))}
	}
	tests := []struct {
		name string
		fsys fstest.MapFS
		want string
	}{
		{"page claimed twice", fstest.MapFS{"a.yaml": doc("a", "shared"), "b.yaml": doc("b", "shared")},
			`b.yaml:11: pages: facebook page "shared" already belongs to tenant "a"`},
		{"no tenants", fstest.MapFS{"_base.yaml": {Data: []byte("visibility: same\n")}},
			`no tenant files`},
		{"one bad file fails the set", fstest.MapFS{"a.yaml": doc("a", "a-fb"), "b.yaml": doc("c", "b-fb")},
			`b.yaml:1: tenant: code "c" does not match the file name "b.yaml"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set, err := LoadFS(tc.fsys)
			if err == nil {
				t.Fatalf("LoadFS succeeded with %d tenants, want an error", len(set.Tenants()))
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error:\n%v\nwant it to contain:\n%s", err, tc.want)
			}
		})
	}
	// A broken base is reported once, not once per tenant.
	base := fstest.MapFS{
		"_base.yaml": {Data: []byte("colour: red\n")},
		"a.yaml":     {Data: []byte(strings.Replace(string(doc("a", "a-fb").Data), "tenant: a", "tenant: a\nextends: _base", 1))},
		"b.yaml":     {Data: []byte(strings.Replace(string(doc("b", "b-fb").Data), "tenant: b", "tenant: b\nextends: _base", 1))},
	}
	_, err := LoadFS(base)
	if err == nil {
		t.Fatal("LoadFS with a broken base succeeded")
	}
	if got := strings.Count(err.Error(), "_base.yaml:1: colour: unknown field"); got != 1 {
		t.Errorf("base error reported %d times, want once:\n%v", got, err)
	}
}
