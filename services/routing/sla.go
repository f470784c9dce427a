package routing

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"
	"gopkg.in/yaml.v3"

	"github.com/piazza-pa/piazza/pkg/calendar"
	"github.com/piazza-pa/piazza/pkg/policy"
	routingv1 "github.com/piazza-pa/piazza/proto/gen/piazza/routing/v1"
)

// SLAOverride sets response targets for some of a tenant's requests, over the tenant's own
// routing.sla: those of one topic, of one office, or both. Unset spans keep the tenant's.
type SLAOverride struct {
	// Tenant is the tenant code the override applies to.
	Tenant string `yaml:"tenant"`
	// Topic, when set, limits the override to requests on that topic.
	Topic string `yaml:"topic"`
	// Office, when set, limits the override to requests assigned to that office.
	Office string `yaml:"office"`
	// Ack, FirstAnswer and Resolution are spans such as "2wd" or "8wh"; empty keeps the
	// tenant's.
	Ack         string `yaml:"ack"`
	FirstAnswer string `yaml:"first_answer"`
	Resolution  string `yaml:"resolution"`
	// WarnAt is the fraction of the first-answer target at which the office is warned; zero
	// keeps the tenant's.
	WarnAt float64 `yaml:"warn_at"`
}

// SLAOverrides are matched in order: the first override whose tenant, topic and office match a
// request wins, so write the most specific first.
type SLAOverrides []SLAOverride

// LoadSLAOverrides reads overrides from a YAML file holding a list under "overrides". Problems
// are reported with the file, the entry and the field.
func LoadSLAOverrides(path string) (SLAOverrides, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read SLA overrides: %w", err)
	}
	var doc struct {
		Overrides SLAOverrides `yaml:"overrides"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var errs []error
	for i, o := range doc.Overrides {
		if err := o.validate(); err != nil {
			errs = append(errs, fmt.Errorf("%s: overrides[%d]: %w", path, i, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return doc.Overrides, nil
}

func (o SLAOverride) validate() error {
	var errs []error
	if o.Tenant == "" {
		errs = append(errs, errors.New("tenant: required"))
	}
	for name, v := range map[string]string{"ack": o.Ack, "first_answer": o.FirstAnswer, "resolution": o.Resolution} {
		if v == "" {
			continue
		}
		if _, err := ParseSpan(v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	if o.WarnAt < 0 || o.WarnAt >= 1 {
		errs = append(errs, fmt.Errorf("warn_at: must be between 0 and 1, got %v", o.WarnAt))
	}
	return errors.Join(errs...)
}

// CheckAgainst reports overrides that name a tenant, topic's office or office the policies do
// not know, so a typo does not silently leave a tenant on its default targets.
func (ov SLAOverrides) CheckAgainst(p Policies) error {
	var errs []error
	for i, o := range ov {
		t, ok := p.Tenant(o.Tenant)
		if !ok {
			errs = append(errs, fmt.Errorf("overrides[%d]: unknown tenant %q", i, o.Tenant))
			continue
		}
		if o.Office != "" && t.Offices[o.Office] == nil {
			errs = append(errs, fmt.Errorf("overrides[%d]: tenant %s has no office %q", i, o.Tenant, o.Office))
		}
	}
	return errors.Join(errs...)
}

// ParseSpan reads a span of working time: "10wd" (working days) or "8wh" (working hours).
func ParseSpan(s string) (policy.Span, error) {
	for _, unit := range []string{"wd", "wh"} {
		if num, ok := strings.CutSuffix(strings.TrimSpace(s), unit); ok {
			n, err := strconv.Atoi(num)
			if err != nil || n < 1 || n > 10000 || strings.HasPrefix(num, "+") {
				return policy.Span{}, fmt.Errorf("bad span %q (want a positive amount, e.g. 10wd or 8wh)", s)
			}
			return policy.Span{Amount: n, Unit: unit}, nil
		}
	}
	return policy.Span{}, fmt.Errorf("bad span %q (units: wd = working days, wh = working hours)", s)
}

// SLAFor returns the targets for a request on topic assigned to office: the first matching
// override over the tenant's routing.sla.
func (ov SLAOverrides) SLAFor(t *policy.Tenant, topic, office string) policy.SLA {
	sla := t.Routing.SLA
	for _, o := range ov {
		if o.Tenant != t.Code || (o.Topic != "" && o.Topic != topic) || (o.Office != "" && o.Office != office) {
			continue
		}
		// Spans were validated at load; a bad one here keeps the tenant's.
		if sp, err := ParseSpan(o.Ack); err == nil {
			sla.Ack = sp
		}
		if sp, err := ParseSpan(o.FirstAnswer); err == nil {
			sla.FirstAnswer = sp
		}
		if sp, err := ParseSpan(o.Resolution); err == nil {
			sla.Resolution = sp
		}
		if o.WarnAt > 0 {
			sla.WarnAt = o.WarnAt
		}
		break
	}
	return sla
}

// Due is the deadline of an SLA span from received on the calendar.
func Due(cal *calendar.Calendar, received time.Time, span policy.Span) time.Time {
	if span.Unit == "wh" {
		return cal.AddWorkingHours(received, time.Duration(span.Amount)*time.Hour)
	}
	return cal.AddWorkingDays(received, span.Amount)
}

// Deadlines computes a request's deadlines from start on the office's calendar; the warning
// falls at sla.WarnAt of the office time to the first-answer deadline.
func Deadlines(cal *calendar.Calendar, start time.Time, sla policy.SLA) *routingv1.Deadlines {
	first := Due(cal, start, sla.FirstAnswer)
	d := &routingv1.Deadlines{
		AckDue:         timestamppb.New(Due(cal, start, sla.Ack)),
		FirstAnswerDue: timestamppb.New(first),
		ResolutionDue:  timestamppb.New(Due(cal, start, sla.Resolution)),
	}
	if sla.WarnAt > 0 && sla.WarnAt < 1 {
		work := cal.WorkingDuration(start, first)
		d.WarnDue = timestamppb.New(cal.AddWorkingHours(start, time.Duration(float64(work)*sla.WarnAt)))
	}
	return d
}

// shiftDeadlines moves every deadline later by paused office time: the clock stood still
// while the request waited for the citizen.
func shiftDeadlines(cal *calendar.Calendar, d *routingv1.Deadlines, paused time.Duration) *routingv1.Deadlines {
	shift := func(ts *timestamppb.Timestamp) *timestamppb.Timestamp {
		if ts == nil {
			return nil
		}
		return timestamppb.New(cal.AddWorkingHours(ts.AsTime(), paused))
	}
	return &routingv1.Deadlines{
		AckDue: shift(d.GetAckDue()), FirstAnswerDue: shift(d.GetFirstAnswerDue()),
		ResolutionDue: shift(d.GetResolutionDue()), WarnDue: shift(d.GetWarnDue()),
	}
}

// OfficeCalendar builds an office's calendar from its tenant's file: its weekly hours, the
// tenant's time zone, patron saint and closures. An office with no hours (an external
// operator, say) works every working day from Monday to Saturday.
func OfficeCalendar(t *policy.Tenant, o *policy.Office) *calendar.Calendar {
	hours := calendar.WeeklyHours{}
	if o != nil {
		for day, ranges := range o.Hours {
			for _, r := range ranges {
				hours[day] = append(hours[day], calendar.ClockRange{From: r.From, To: r.To})
			}
		}
	}
	closures := make([]calendar.Date, 0, len(t.Closures))
	for _, d := range t.Closures {
		closures = append(closures, calendar.Date{Year: d.Year, Month: d.Month, Day: d.Day})
	}
	return calendar.New(t.Location, hours, calendar.MonthDay{Month: t.Patron.Month, Day: t.Patron.Day}, closures)
}

// SLAReport is what `piazza sla` prints: the office a topic goes to and the deadlines of a
// request received at a given instant, in the tenant's time zone.
type SLAReport struct {
	Office         string `json:"office"`
	AckDue         string `json:"ack_due"`
	FirstAnswerDue string `json:"first_answer_due"`
	ResolutionDue  string `json:"resolution_due"`
}

// ComputeSLA returns the office and deadlines for a request on topic received at received.
func ComputeSLA(t *policy.Tenant, overrides SLAOverrides, topic string, received time.Time) (SLAReport, error) {
	office := t.OfficeFor(topic)
	if office == nil {
		return SLAReport{}, fmt.Errorf("tenant %s routes topic %q to no office", t.Code, topic)
	}
	d := Deadlines(OfficeCalendar(t, office), received, overrides.SLAFor(t, topic, office.Code))
	f := func(ts *timestamppb.Timestamp) string { return ts.AsTime().In(t.Location).Format(time.RFC3339) }
	return SLAReport{Office: office.Code, AckDue: f(d.GetAckDue()), FirstAnswerDue: f(d.GetFirstAnswerDue()), ResolutionDue: f(d.GetResolutionDue())}, nil
}
