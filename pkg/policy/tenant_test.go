package policy

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestStepFor(t *testing.T) {
	c := &Category{Ladder: []Step{
		{At: 2, Actions: []string{"warn"}},
		{At: 3, Actions: []string{"delete"}},
		{At: 5, Actions: []string{"delete", "block"}},
	}}
	tests := []struct {
		count     int
		wantAt    int
		wantIndex int
		wantOK    bool
	}{
		{count: -1, wantOK: false},
		{count: 0, wantOK: false},
		{count: 1, wantOK: false},
		{count: 2, wantAt: 2, wantIndex: 1, wantOK: true},
		{count: 3, wantAt: 3, wantIndex: 2, wantOK: true},
		{count: 4, wantAt: 3, wantIndex: 2, wantOK: true},
		{count: 5, wantAt: 5, wantIndex: 3, wantOK: true},
		{count: 100, wantAt: 5, wantIndex: 3, wantOK: true},
	}
	for _, tc := range tests {
		step, index, ok := c.StepFor(tc.count)
		if ok != tc.wantOK || index != tc.wantIndex || step.At != tc.wantAt {
			t.Errorf("StepFor(%d) = (at %d, %d, %v), want (at %d, %d, %v)",
				tc.count, step.At, index, ok, tc.wantAt, tc.wantIndex, tc.wantOK)
		}
	}
	if got, ok := c.FirstAt("block"); !ok || got != 5 {
		t.Errorf("FirstAt(block) = %d, %v, want 5, true", got, ok)
	}
	if _, ok := c.FirstAt("report_police"); ok {
		t.Error("FirstAt(report_police) = true, want false")
	}
	empty := &Category{}
	if _, _, ok := empty.StepFor(3); ok {
		t.Error("StepFor on an empty ladder = ok, want not ok")
	}
}

func loadValid(t *testing.T) *Tenant {
	t.Helper()
	tn, err := loadDoc(t, validDoc)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return tn
}

func TestRender(t *testing.T) {
	tn := loadValid(t)
	tn.Templates["custom"] = "{comune}: {answer}"
	tests := []struct {
		name     string
		template string
		vars     map[string]string
		want     string
		wantErr  string
	}{
		{"all vars", "answer", map[string]string{"office": "URP", "head": "Mario Rossi", "answer": "Fatto."},
			"URP (Mario Rossi): Fatto.", ""},
		{"comune defaults to name", "custom", map[string]string{"answer": "ok"}, "Comune di Prova: ok", ""},
		{"comune can be overridden", "custom", map[string]string{"answer": "ok", "comune": "Città"}, "Città: ok", ""},
		{"istanze_url defaults", "istanza", nil, "Vada su https://www.comune.prova.example/istanze", ""},
		{"emergency defaults", "emergency", nil,
			"Chiami 112 (numero unico di emergenza), 115 (Vigili del Fuoco), 118 (emergenza sanitaria)", ""},
		{"values are not expanded again", "answer",
			map[string]string{"office": "URP", "head": "{head}", "answer": "{office} {comune}"},
			"URP ({head}): {office} {comune}", ""},
		{"missing var", "answer", map[string]string{"office": "URP"}, "", "no value for {head}, {answer}"},
		{"unknown template", "nope", nil, "", "no such template"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tn.Render(tc.template, tc.vars)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Render error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if got != tc.want {
				t.Errorf("Render = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestOfficeFor(t *testing.T) {
	tn := loadValid(t)
	tests := []struct{ topic, want string }{
		{"roads", "lp"},
		{"lighting", "lp"},
		{"waste", "urp"},
		{"general", "urp"},
		{"not-a-topic", "urp"},
	}
	for _, tc := range tests {
		if got := tn.OfficeFor(tc.topic); got == nil || got.Code != tc.want {
			t.Errorf("OfficeFor(%q) = %v, want office %q", tc.topic, got, tc.want)
		}
	}
	// First match wins.
	tn.Routing.Rules = append([]Rule{{Topics: []string{"lighting"}, Office: "urp"}}, tn.Routing.Rules...)
	if got := tn.OfficeFor("lighting"); got.Code != "urp" {
		t.Errorf("OfficeFor(lighting) with an earlier rule = %q, want urp", got.Code)
	}
}

func TestEmergencyText(t *testing.T) {
	tests := []struct {
		e    Emergency
		want string
	}{
		{Emergency{"112", "115", "118"}, "112 (numero unico di emergenza), 115 (Vigili del Fuoco), 118 (emergenza sanitaria)"},
		{Emergency{Unico: "112"}, "112 (numero unico di emergenza)"},
		{Emergency{}, ""},
	}
	for _, tc := range tests {
		if got := tc.e.Text(); got != tc.want {
			t.Errorf("%+v.Text() = %q, want %q", tc.e, got, tc.want)
		}
	}
}

func TestHoursOpen(t *testing.T) {
	tn := loadValid(t)
	h := tn.Offices["urp"].Hours // mon 08:30-12:30,14:00-16:00
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, tn.Location)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	tests := []struct {
		when string
		want bool
	}{
		{"2026-03-02 08:29", false}, // Monday
		{"2026-03-02 08:30", true},
		{"2026-03-02 12:29", true},
		{"2026-03-02 12:30", false},
		{"2026-03-02 15:00", true},
		{"2026-03-03 09:00", false}, // Tuesday: closed
	}
	for _, tc := range tests {
		if got := h.Open(at(tc.when)); got != tc.want {
			t.Errorf("Open(%s) = %v, want %v", tc.when, got, tc.want)
		}
	}
}

func TestClosed(t *testing.T) {
	tn := loadValid(t) // patron 06-24, closure 2026-12-24
	tests := []struct {
		day  time.Time
		want bool
	}{
		{time.Date(2026, 6, 24, 10, 0, 0, 0, tn.Location), true},
		{time.Date(2027, 6, 24, 10, 0, 0, 0, tn.Location), true},
		{time.Date(2026, 12, 24, 10, 0, 0, 0, tn.Location), true},
		{time.Date(2027, 12, 24, 10, 0, 0, 0, tn.Location), false},
		{time.Date(2026, 6, 25, 10, 0, 0, 0, tn.Location), false},
		// 23:30 UTC on 23 June is already 24 June in Rome.
		{time.Date(2026, 6, 23, 23, 30, 0, 0, time.UTC), true},
	}
	for _, tc := range tests {
		if got := tn.Closed(tc.day); got != tc.want {
			t.Errorf("Closed(%v) = %v, want %v", tc.day, got, tc.want)
		}
	}
}

func TestOwnContacts(t *testing.T) {
	tn := loadValid(t)
	got := tn.OwnContacts()
	for _, want := range []string{"urp@x.example", "lp@x.example"} {
		if !slices.Contains(got, want) {
			t.Errorf("OwnContacts() = %v, want it to contain %q", got, want)
		}
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"0", 0, false},
		{"365d", 365 * 24 * time.Hour, false},
		{"1d12h", 36 * time.Hour, false},
		{"90m", 90 * time.Minute, false},
		{"12", 0, true},
		{"d", 0, true},
		{"1w", 0, true},
		{"-1d", 0, true},
		{"99999999999999999999d", 0, true},
		{"40000d", 0, true},
	}
	for _, tc := range tests {
		got, err := parseDuration(tc.in)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}
