package routing_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/piazza-pa/piazza/pkg/calendar"
	"github.com/piazza-pa/piazza/pkg/livepolicy"
	"github.com/piazza-pa/piazza/pkg/policy"
	"github.com/piazza-pa/piazza/services/routing"
)

func loadPolicies(t *testing.T) *policy.Set {
	t.Helper()
	set, err := policy.LoadDir("../../deploy/policies")
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func TestComputeSLA(t *testing.T) {
	set := loadPolicies(t)
	overrides, err := routing.LoadSLAOverrides("testdata/sla_overrides.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := overrides.CheckAgainst(livepolicy.Static(set)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, tenant, topic, received string
		overrides                     routing.SLAOverrides
		want                          routing.SLAReport
	}{
		// Monza, lavori pubblici (Mon, Wed, Fri 09:00-12:30): 5 working days from a Monday.
		{"tenant default", "monza", "roads", "2026-11-16T10:00:00+01:00", nil, routing.SLAReport{
			Office: "lavori_pubblici", AckDue: "2026-11-18T16:00:00+01:00", FirstAnswerDue: "2026-11-27T12:30:00+01:00", ResolutionDue: "2027-01-08T12:30:00+01:00"}},
		// 16 office hours: Mon 10:00-12:30 (2h30), Wed 09:00-12:30 and 14:00-16:00 (5h30), Fri
		// 09:00-12:30 (3h30), Mon 09:00-12:30 (3h30), Wed 09:00-10:00 (1h).
		{"topic override in working hours", "monza", "roads", "2026-11-16T10:00:00+01:00", overrides, routing.SLAReport{
			Office: "lavori_pubblici", AckDue: "2026-11-18T10:30:00+01:00", FirstAnswerDue: "2026-11-25T10:00:00+01:00", ResolutionDue: "2027-01-08T12:30:00+01:00"}},
		// The waste company has no office hours: Monday to Saturday count.
		{"office override", "monza", "waste", "2026-11-16T10:00:00+01:00", overrides, routing.SLAReport{
			Office: "igiene_urbana", AckDue: "2026-11-17T23:59:59+01:00", FirstAnswerDue: "2026-11-19T23:59:59+01:00", ResolutionDue: "2026-12-10T23:59:59+01:00"}},
		// Across Christmas: 24 December is worked, 25 and 26 are holidays, 27 is a Sunday.
		{"deadline crossing Christmas", "canegrate", "general", "2026-12-23T11:00:00+01:00", nil, routing.SLAReport{}},
		// Across summer time: the deadline stays at the office's closing time, +02:00.
		{"received before the DST switch", "monza", "registry", "2026-03-27T10:00:00+01:00", nil, routing.SLAReport{
			Office: "demografici", AckDue: "2026-03-30T12:30:00+02:00", FirstAnswerDue: "2026-04-03T12:30:00+02:00"}},
		// Easter Monday (6 April 2026) and the Saturday the office is closed are skipped.
		{"across Easter Monday", "monza", "registry", "2026-04-01T10:00:00+02:00", nil, routing.SLAReport{
			Office: "demografici", AckDue: "2026-04-02T16:00:00+02:00", FirstAnswerDue: "2026-04-09T16:00:00+02:00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tenant, _ := set.Tenant(tt.tenant)
			received, err := time.Parse(time.RFC3339, tt.received)
			if err != nil {
				t.Fatal(err)
			}
			got, err := routing.ComputeSLA(tenant, tt.overrides, tt.topic, received)
			if err != nil {
				t.Fatal(err)
			}
			if tt.name == "deadline crossing Christmas" {
				// Whatever the office's hours, no deadline falls on 25, 26 or 27 December.
				for _, s := range []string{got.AckDue, got.FirstAnswerDue} {
					if strings.HasPrefix(s, "2026-12-25") || strings.HasPrefix(s, "2026-12-26") || strings.HasPrefix(s, "2026-12-27") {
						t.Errorf("deadline %s on a holiday", s)
					}
				}
				return
			}
			if got.Office != tt.want.Office || got.AckDue != tt.want.AckDue || got.FirstAnswerDue != tt.want.FirstAnswerDue ||
				(tt.want.ResolutionDue != "" && got.ResolutionDue != tt.want.ResolutionDue) {
				t.Errorf("ComputeSLA = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestTenantsPatronSaints checks each tenant's patron day is a closed day on its offices'
// calendars, and the day before is not.
func TestTenantsPatronSaints(t *testing.T) {
	set := loadPolicies(t)
	for _, tenant := range set.Tenants() {
		cal := routing.OfficeCalendar(tenant, nil)
		for year := 2026; year <= 2028; year++ {
			d := calendar.Date{Year: year, Month: tenant.Patron.Month, Day: tenant.Patron.Day}
			if name, ok := cal.IsHoliday(d); !ok || name != calendar.PatronName {
				t.Errorf("%s: %s is %q, want the patron saint's day", tenant.Code, d, name)
			}
		}
	}
}

func TestLoadSLAOverridesErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("overrides:\n  - {tenant: monza, first_answer: 5xx}\n  - {topic: roads}\n  - {tenant: monza, colour: red}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := routing.LoadSLAOverrides(bad)
	if err == nil || !strings.Contains(err.Error(), "colour") {
		t.Fatalf("LoadSLAOverrides = %v, want an unknown-field error", err)
	}
	if err := os.WriteFile(bad, []byte("overrides:\n  - {tenant: monza, first_answer: 5xx}\n  - {topic: roads}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = routing.LoadSLAOverrides(bad)
	if err == nil || !strings.Contains(err.Error(), "overrides[0]: first_answer") || !strings.Contains(err.Error(), "overrides[1]: tenant: required") {
		t.Errorf("LoadSLAOverrides = %v, want both entries reported", err)
	}
	unknown := routing.SLAOverrides{{Tenant: "atlantide"}, {Tenant: "monza", Office: "nessuno"}}
	if err := unknown.CheckAgainst(livepolicy.Static(loadPolicies(t))); err == nil || !strings.Contains(err.Error(), "atlantide") || !strings.Contains(err.Error(), "nessuno") {
		t.Errorf("CheckAgainst = %v", err)
	}
}
