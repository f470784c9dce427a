package policy

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
)

// validDoc is a complete, self-contained tenant file; each validation case breaks one thing.
const validDoc = `tenant: x
identity:
  name: Comune di Prova
  istat: "012345"
  website: https://www.comune.prova.example
  istanze_url: https://www.comune.prova.example/istanze
  timezone: Europe/Rome
  patron: {date: "06-24", name: San Giovanni}
document: {title: Policy}
pages:
  - {platform: facebook, id: x-fb}
category_defaults: {window: 365d}
categories:
  insult:
    article: "6"
    title: Insulti
    ladder:
      - {at: 1, actions: [delete]}
      - {at: 2, actions: [delete, block], block_for: 30d}
anonymous: allow
anonymous_reports: accept
visibility: same
offices:
  urp:
    name: URP
    head: Mario Rossi
    email: urp@x.example
    hours: {mon: "08:30-12:30,14:00-16:00"}
  lp:
    name: Lavori Pubblici
    head: Luca Bianchi
    email: lp@x.example
routing:
  rules:
    - {topics: [roads, lighting], office: lp}
  fallback: urp
  sla: {ack: 1wd, first_answer: 10wd, resolution: 30wd}
  escalation: [remind_office, urp, potere_sostitutivo]
  potere_sostitutivo: {name: Segretario, email: seg@x.example}
emergency: {unico: "112", fire: "115", health: "118"}
closures: ["2026-12-24"]
templates:
  ack: "Presa in carico {request_id}"
  interim: "Attendere"
  answer: "{office} ({head}): {answer}"
  emergency: "Chiami {emergency}"
  istanza: "Vada su {istanze_url}"
  anonymous_refused: "No anonimi"
  warning: "Art. {article}"
`

// loadDoc loads doc as x.yaml.
func loadDoc(t *testing.T, doc string) (*Tenant, error) {
	t.Helper()
	return LoadTenantFS(fstest.MapFS{"x.yaml": {Data: []byte(doc)}}, "x.yaml")
}

// lineOf returns the 1-based line of the first occurrence of marker in doc.
func lineOf(t *testing.T, doc, marker string) int {
	t.Helper()
	i := strings.Index(doc, marker)
	if i < 0 {
		t.Fatalf("marker %q not in document", marker)
	}
	return strings.Count(doc[:i], "\n") + 1
}

func TestValidDocLoads(t *testing.T) {
	tn, err := loadDoc(t, validDoc)
	if err != nil {
		t.Fatalf("load valid doc: %v", err)
	}
	if got, want := tn.Code, "x"; got != want {
		t.Errorf("Code = %q, want %q", got, want)
	}
	c := tn.Categories["insult"]
	if c == nil {
		t.Fatal("category insult missing")
	}
	if got, want := c.Window.Hours(), 365*24.0; got != want {
		t.Errorf("insult window = %vh, want %vh (from category_defaults)", got, want)
	}
	if got, want := c.Group, "insult"; got != want {
		t.Errorf("insult group = %q, want %q (own code by default)", got, want)
	}
	if !c.NoReply {
		t.Error("insult NoReply = false, want true by default")
	}
	if got, want := c.Ladder[1].BlockFor.Hours(), 30*24.0; got != want {
		t.Errorf("block_for = %vh, want %vh", got, want)
	}
	if got, want := tn.Routing.SLA.WarnAt, 0.8; got != want {
		t.Errorf("warn_at = %v, want default %v", got, want)
	}
	if got, want := tn.Routing.Mode, "answer"; got != want {
		t.Errorf("routing mode = %q, want default %q", got, want)
	}
	if got, want := len(tn.Offices["urp"].Hours[1]), 2; got != want {
		t.Errorf("urp Monday ranges = %d, want %d", got, want)
	}
	if got, want := tn.Offices["lp"].Kind, "internal"; got != want {
		t.Errorf("office kind = %q, want default %q", got, want)
	}
	if got, want := len(tn.Version), 64; got != want {
		t.Errorf("len(Version) = %d, want %d", got, want)
	}
}

func TestValidationErrors(t *testing.T) {
	tests := []struct {
		name   string
		old    string // replaced in validDoc ...
		new    string // ... by this
		marker string // the error's line is the line of this text in the mutated document
		want   string // "<path>: <message>" (a prefix of the message is enough)
	}{
		{"unknown top-level key", "visibility: same\n", "visibility: same\ncolour: red\n", "colour:",
			`colour: unknown field`},
		{"unknown key in category", "    title: Insulti\n", "    title: Insulti\n    severity: high\n", "severity:",
			`categories.insult.severity: unknown field`},
		{"unknown category", "  insult:\n", "  insults:\n", "insults:",
			`categories.insults: unknown category "insults"`},
		{"routed category", "  insult:\n", "  request:\n", "request:",
			`categories.request: "request" is routed, not sanctioned`},
		{"unknown action", "actions: [delete]}", "actions: [ban]}", "[ban]",
			`categories.insult.ladder[0].actions[0]: unknown action "ban"`},
		{"duplicate action", "actions: [delete]}", "actions: [delete, delete]}", "[delete, delete]",
			`categories.insult.ladder[0].actions[1]: duplicate action "delete"`},
		{"at not increasing", "{at: 2,", "{at: 1,", "{at: 1, actions: [delete, block]",
			`categories.insult.ladder[1].at: must be greater than the previous step's at (1), got 1`},
		{"at below one", "{at: 1, actions: [delete]}", "{at: 0, actions: [delete]}", "{at: 0",
			`categories.insult.ladder[0].at: must be at least 1, got 0`},
		{"at not an integer", "{at: 2,", "{at: two,", "{at: two",
			`categories.insult.ladder[1].at: must be an integer`},
		{"empty ladder", "    ladder:\n      - {at: 1, actions: [delete]}\n      - {at: 2, actions: [delete, block], block_for: 30d}\n",
			"    ladder: []\n", "ladder: []", `categories.insult.ladder: must be a non-empty list of steps`},
		{"bad block_for", "block_for: 30d", "block_for: 30x", "block_for",
			`categories.insult.ladder[1].block_for: bad duration unit 'x'`},
		{"block_for without block", "[delete, block], block_for: 30d", "[delete], block_for: 30d", "block_for",
			`categories.insult.ladder[1].block_for: is set but the step does not block`},
		{"bad window", "{window: 365d}", "{window: 1y}", "window:",
			`category_defaults.window: bad duration unit 'y'`},
		{"bad category window", "    title: Insulti\n", "    title: Insulti\n    window: -5d\n", "window: -5d",
			`categories.insult.window: bad duration "-5d"`},
		{"group windows differ",
			"anonymous: allow\n",
			"  profanity:\n    article: \"6\"\n    title: T\n    group: insult\n    window: 30d\n    ladder: [{at: 1, actions: [delete]}]\nanonymous: allow\n",
			"window: 30d", `categories.profanity.window: group "insult" shares one strike counter`},
		{"bad no_reply", "    title: Insulti\n", "    title: Insulti\n    no_reply: yes please\n", "no_reply",
			`categories.insult.no_reply: must be true or false`},
		{"bad group", "    title: Insulti\n", "    title: Insulti\n    group: Bad Group\n", "group:",
			`categories.insult.group: group "Bad Group" must match`},
		{"overlapping hours", "08:30-12:30,14:00-16:00", "08:30-12:30,12:00-16:00", "hours:",
			`offices.urp.hours.mon: range "12:00-16:00" overlaps`},
		{"bad clock", "08:30-12:30,14:00-16:00", "08:30-12:30,14:00-25:00", "hours:",
			`offices.urp.hours.mon: bad range "14:00-25:00"`},
		{"unknown day", "hours: {mon:", "hours: {lun:", "hours:",
			`offices.urp.hours.lun: unknown day "lun"`},
		{"bad closure", `"2026-12-24"`, `"2026-13-24"`, "closures:",
			`closures[0]: bad date "2026-13-24"`},
		{"duplicate closure", `["2026-12-24"]`, `["2026-12-24", "2026-12-24"]`, "closures:",
			`closures[1]: duplicate closure 2026-12-24`},
		{"bad timezone", "Europe/Rome", "Europe/Milano", "timezone:",
			`identity.timezone: unknown time zone "Europe/Milano"`},
		{"bad patron date", `"06-24"`, `"06-31"`, "patron:",
			`identity.patron.date: bad day "06-31"`},
		{"bad istat", `"012345"`, `12345`, "istat:",
			`identity.istat: must be six digits`},
		{"bad website", "website: https://www.comune.prova.example", "website: www.comune.prova.example", "website:",
			`identity.website: must be an http(s) URL`},
		{"tenant code mismatch", "tenant: x", "tenant: y", "tenant:",
			`tenant: code "y" does not match the file name "x.yaml"`},
		{"unknown platform", "platform: facebook", "platform: tiktok", "platform:",
			`pages[0].platform: unknown value "tiktok"`},
		{"bad anonymous", "anonymous: allow", "anonymous: maybe", "anonymous:",
			`anonymous: unknown value "maybe"`},
		{"bad office email", "email: lp@x.example", "email: lp at x", "email: lp at x",
			`offices.lp.email: must be an e-mail address`},
		{"bad office kind", "    email: lp@x.example\n", "    email: lp@x.example\n    kind: partner\n", "kind:",
			`offices.lp.kind: unknown value "partner"`},
		{"missing office head", "    head: Mario Rossi\n", "", "    name: URP",
			`offices.urp.head: missing required field`},
		{"missing identity", "identity:\n", "identita:\n", "identita:",
			`identita: unknown field`},
		{"rule to unknown office", "office: lp}", "office: lavori}", "office: lavori",
			`routing.rules[0].office: unknown office "lavori"`},
		{"unknown topic", "[roads, lighting]", "[roads, lights]", "[roads, lights]",
			`routing.rules[0].topics[1]: unknown topic "lights"`},
		{"topic routed twice", "  fallback: urp\n", "    - {topics: [roads], office: urp}\n  fallback: urp\n", "[roads], office: urp",
			`routing.rules[1].topics[0]: topic "roads" is already routed by routing.rules[0]`},
		{"fallback to unknown office", "fallback: urp", "fallback: protocollo", "fallback:",
			`routing.fallback: unknown office "protocollo"`},
		{"bad sla span", "first_answer: 10wd", "first_answer: 10d", "sla:",
			`routing.sla.first_answer: bad span "10d"`},
		{"sla out of order", "resolution: 30wd", "resolution: 5wd", "sla:",
			`routing.sla.resolution: 5wd is shorter than first_answer 10wd`},
		{"bad warn_at", "resolution: 30wd}", "resolution: 30wd, warn_at: 1.5}", "sla:",
			`routing.sla.warn_at: must be a number between 0 and 1`},
		{"unknown escalation step", "[remind_office, urp, potere_sostitutivo]", "[remind_office, sindaco]", "escalation:",
			`routing.escalation[1]: unknown escalation step "sindaco"`},
		{"potere sostitutivo without contact", "  potere_sostitutivo: {name: Segretario, email: seg@x.example}\n", "", "escalation:",
			`routing.escalation[2]: escalation to the potere sostitutivo needs routing.potere_sostitutivo`},
		{"bad emergency number", `unico: "112"`, `unico: "11a"`, "emergency:",
			`emergency.unico: must be a short emergency number`},
		{"missing template", "  warning: \"Art. {article}\"\n", "", "  ack:",
			`templates.warning: missing required template`},
		{"unknown template", "  warning: \"Art. {article}\"\n", "  warning: \"Art. {article}\"\n  goodbye: \"Ciao\"\n", "goodbye:",
			`templates.goodbye: unknown template`},
		{"unknown placeholder", `"Attendere"`, `"Attendere {foo}"`, "interim:",
			`templates.interim: unknown placeholder {foo}`},
		{"unclosed placeholder", `"Attendere"`, `"Attendere {office"`, "interim:",
			`templates.interim: unclosed "{"`},
		{"template without required placeholder", `"{office} ({head}): {answer}"`, `"{office}: {answer}"`, "  answer:",
			`templates.answer: must use {head}`},
		{"redirect mode without redirect template", "  fallback: urp\n", "  fallback: urp\n  mode: redirect\n", "  ack:",
			`templates.redirect: missing required template`},
		{"duplicate key", "visibility: same\n", "visibility: same\nvisibility: private\n", "visibility: private",
			`visibility: duplicate key (first at line`},
		{"anchor", "document: {title: Policy}", "document: &d {title: Policy}", "document:",
			`document: anchors and aliases are not allowed`},
		{"string where mapping expected", "document: {title: Policy}", "document: Policy", "document:",
			`document: must be a mapping`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(validDoc, tc.old) {
				t.Fatalf("case is stale: %q not in validDoc", tc.old)
			}
			doc := strings.Replace(validDoc, tc.old, tc.new, 1)
			_, err := loadDoc(t, doc)
			if err == nil {
				t.Fatal("load succeeded, want an error")
			}
			want := fmt.Sprintf("x.yaml:%d: %s", lineOf(t, doc, tc.marker), tc.want)
			if !containsLine(err, want) {
				t.Errorf("errors:\n%v\nwant a line starting with:\n%s", err, want)
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Errorf("error %v is not a *FieldError", err)
			}
		})
	}
}

// containsLine reports whether one of err's lines starts with want.
func containsLine(err error, want string) bool {
	for line := range strings.SplitSeq(err.Error(), "\n") {
		if strings.HasPrefix(line, want) {
			return true
		}
	}
	return false
}

func TestSyntaxErrorHasLine(t *testing.T) {
	doc := "tenant: x\nidentity:\n  name: [unclosed\n"
	_, err := loadDoc(t, doc)
	if err == nil {
		t.Fatal("load succeeded, want a syntax error")
	}
	if !strings.HasPrefix(err.Error(), "x.yaml:") || !strings.Contains(err.Error(), "syntax:") {
		t.Errorf("error = %q, want x.yaml:<line>: syntax: ...", err)
	}
}

func TestAllErrorsReported(t *testing.T) {
	doc := strings.Replace(validDoc, "actions: [delete]}", "actions: [ban]}", 1)
	doc = strings.Replace(doc, "fallback: urp", "fallback: nowhere", 1)
	doc = strings.Replace(doc, "Europe/Rome", "Mars/Olympus", 1)
	_, err := loadDoc(t, doc)
	if err == nil {
		t.Fatal("load succeeded, want errors")
	}
	if got, want := len(unjoin(err)), 3; got != want {
		t.Errorf("got %d errors, want %d:\n%v", got, want, err)
	}
}

func TestMissingRequiredTopLevel(t *testing.T) {
	_, err := loadDoc(t, "tenant: x\n")
	if err == nil {
		t.Fatal("load succeeded, want errors")
	}
	for _, field := range []string{"identity", "document", "pages", "categories", "anonymous",
		"anonymous_reports", "visibility", "offices", "routing", "emergency", "templates"} {
		want := "x.yaml:1: " + field + ": missing required field"
		if !containsLine(err, want) {
			t.Errorf("errors:\n%v\nwant %q", err, want)
		}
	}
}

func TestNotAMapping(t *testing.T) {
	for _, doc := range []string{"", "- a\n- b\n", "just text\n", "a: 1\n---\nb: 2\n"} {
		_, err := loadDoc(t, doc)
		if err == nil {
			t.Errorf("load %q succeeded, want an error", doc)
			continue
		}
		if !strings.HasPrefix(err.Error(), "x.yaml:") {
			t.Errorf("load %q: error %q does not start with the file name", doc, err)
		}
	}
}
