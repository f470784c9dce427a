package policy

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Tenant is one Comune's complete policy, after its base files have been merged in and every
// field has been validated and defaulted.
type Tenant struct {
	// Code is the tenant's stable identifier; it equals the policy file's name without ".yaml".
	Code string
	// Name is the Comune's official name, e.g. "Comune di Monza"; it fills {comune} in templates.
	Name string
	// ISTAT is the six-digit ISTAT code of the Comune.
	ISTAT string
	// Website is the Comune's institutional website.
	Website string
	// IstanzeURL is where citizens submit formal applications (istanze); social channels never
	// take them.
	IstanzeURL string
	// Location is the Comune's time zone, used for office hours and deadlines.
	Location *time.Location
	// Patron is the day of the patron saint, a local holiday for the Comune's offices.
	Patron MonthDay
	// PatronName is the patron saint's name.
	PatronName string
	// Document names the policy document this file encodes, so decisions can cite it.
	Document Document
	// Version is the hex SHA-256 of the merged policy in canonical form: it changes exactly
	// when the policy's meaning changes (not with comments or key order), so decisions can
	// record which policy they applied and reloads can detect changes.
	Version string
	// Categories holds the comment categories this tenant enforces, by taxonomy code.
	// Categories not present are not moderated for this tenant.
	Categories map[string]*Category
	// Anonymous says what happens to a comment from an anonymous or fake profile: "review"
	// (a human decides whether the anonymity is justified; any violation still follows its
	// ladder) or "allow" (nothing beyond the ladders).
	Anonymous string
	// AnonymousReports says whether requests and reports from anonymous authors are taken in
	// charge ("accept") or answered with the anonymous_refused template ("refuse").
	AnonymousReports string
	// Visibility says where replies go: "same" (public to public, private to private) or
	// "private" (always privately).
	Visibility string
	// Sponsors lists companies with a sponsorship contract, whose advertising is allowed.
	Sponsors []string
	// Contacts lists the Comune's own published contacts; they are never personal data.
	Contacts []string
	// Offices holds the Comune's offices by code.
	Offices map[string]*Office
	// Routing says which office handles which request topic and within which deadlines.
	Routing Routing
	// Emergency holds the emergency numbers that emergency reports are redirected to.
	Emergency Emergency
	// Closures lists ad-hoc office closures, in addition to national holidays and the patron.
	Closures []Date
	// Templates holds the Italian reply texts by name, with {placeholders}.
	Templates map[string]string
	// Pages lists the platform pages and accounts that belong to this tenant.
	Pages []Page
}

// Document identifies the policy document a tenant file encodes.
type Document struct {
	// Title is the document's title, e.g. "Social Media Policy".
	Title string
	// Reference says who adopted it and how, e.g. "Delib. G.C. n. 51 del 12/06/2025".
	Reference string
	// URL is where the document is published, when known.
	URL string
}

// Page is one platform page or account that belongs to a tenant.
type Page struct {
	// Platform is one of facebook, instagram, youtube, mastodon, replay.
	Platform string
	// ID is the page or account id on that platform.
	ID string

	file string
	line int
}

// Category is one category of comment a tenant enforces, with its sanction ladder.
type Category struct {
	// Code is the taxonomy code, e.g. "insult".
	Code string
	// Article is the article or section of the document that forbids it, as numbered there.
	Article string
	// Title is the Italian name of the rule, as shown to users and in decisions.
	Title string
	// Group names the strike counter: categories with the same group share one counter.
	// It defaults to the category's own code.
	Group string
	// Window is how long a strike counts: strikes older than this are forgotten.
	Window time.Duration
	// NoReply is true when violating comments get no answer.
	NoReply bool
	// Ladder lists the steps in increasing order of At.
	Ladder []Step
}

// Step is one rung of a sanction ladder.
type Step struct {
	// At is the strike count (within the window, in the category's group) from which the step
	// applies.
	At int
	// Actions lists what to do, among warn, hide, delete, block, report_platform,
	// report_police, review.
	Actions []string
	// BlockFor is how long a block lasts; zero means indefinitely.
	BlockFor time.Duration
}

// Has reports whether the step includes the given action.
func (s Step) Has(action string) bool { return slices.Contains(s.Actions, action) }

// StepFor returns the step that applies at the given strike count: the one with the highest
// At not above count. index is the step's 1-based position in the ladder; ok is false when no
// step applies (count below the first step's At).
func (c *Category) StepFor(count int) (step Step, index int, ok bool) {
	for i := len(c.Ladder) - 1; i >= 0; i-- {
		if c.Ladder[i].At <= count {
			return c.Ladder[i], i + 1, true
		}
	}
	return Step{}, 0, false
}

// FirstAt returns the lowest strike count at which the ladder includes action, and false when
// the ladder never does.
func (c *Category) FirstAt(action string) (int, bool) {
	for _, s := range c.Ladder {
		if s.Has(action) {
			return s.At, true
		}
	}
	return 0, false
}

// Office is a municipal office (or an external operator) that requests are routed to.
type Office struct {
	// Code is the office's identifier within the tenant, e.g. "urp".
	Code string
	// Name is the office's Italian name, shown to citizens.
	Name string
	// Head is the name of the office's head, shown in public replies (Monza 3.G).
	Head string
	// Email is where notifications to the office are sent.
	Email string
	// Phone is the office's published phone number, when known.
	Phone string
	// PEC is the office's certified e-mail address, when known.
	PEC string
	// Placeholder is true when head and contacts are plausible placeholders, not real data.
	Placeholder bool
	// Kind is "internal" for the Comune's own offices and "external" for operators such as the
	// waste company.
	Kind string
	// Hours are the office's weekly opening hours; a day without ranges is closed.
	Hours WeeklyHours
}

// WeeklyHours maps a weekday to its opening ranges, in increasing order.
type WeeklyHours map[time.Weekday][]ClockRange

// ClockRange is an opening range within a day, as offsets from midnight.
type ClockRange struct {
	From, To time.Duration
}

// Open reports whether the hours include the given wall-clock time. The caller converts t to
// the tenant's Location first.
func (h WeeklyHours) Open(t time.Time) bool {
	since := time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute +
		time.Duration(t.Second())*time.Second
	for _, r := range h[t.Weekday()] {
		if since >= r.From && since < r.To {
			return true
		}
	}
	return false
}

// Contact is a named person reachable by e-mail, e.g. the titolare del potere sostitutivo.
type Contact struct {
	// Name is the person's name or role.
	Name string
	// Email is the person's e-mail address.
	Email string
	// Placeholder is true when name and e-mail are plausible placeholders, not real data.
	Placeholder bool
}

// Rule routes the listed request topics to one office.
type Rule struct {
	// Topics are taxonomy topic codes.
	Topics []string
	// Office is the code of the office that handles them.
	Office string
}

// Routing says how a tenant handles citizens' requests.
type Routing struct {
	// Mode is "answer" when the office's answer is published in reply (Monza 3.G), or
	// "redirect" when the reply points the citizen to the official channels and the request is
	// forwarded to the office (Bussero).
	Mode string
	// Rules are matched in order; the first whose topics include the request's topic wins.
	Rules []Rule
	// Fallback is the office for topics no rule matches.
	Fallback string
	// SLA holds the response targets.
	SLA SLA
	// Escalation lists the steps taken, in order, when a deadline is missed: remind_office,
	// office_head, urp, potere_sostitutivo, tell_citizen.
	Escalation []string
	// PotereSostitutivo is the titolare del potere sostitutivo (L. 241/1990 art. 2 c. 9-bis).
	PotereSostitutivo Contact
}

// SLA holds a tenant's response targets for requests.
type SLA struct {
	// Ack is the target for taking the request in charge.
	Ack Span
	// FirstAnswer is the target for the first substantive answer.
	FirstAnswer Span
	// Resolution is the target for closing the request.
	Resolution Span
	// WarnAt is the fraction of a target after which a warning is raised, in (0, 1).
	WarnAt float64
}

// Span is an amount of working time.
type Span struct {
	// Amount is the number of units.
	Amount int
	// Unit is "wd" (working days) or "wh" (working hours).
	Unit string
}

// String returns the span as written in policy files, e.g. "10wd".
func (s Span) String() string { return fmt.Sprintf("%d%s", s.Amount, s.Unit) }

// Emergency holds the emergency numbers citizens are redirected to.
type Emergency struct {
	// Unico is the single European emergency number (112).
	Unico string
	// Fire is the fire brigade's number (115).
	Fire string
	// Health is the health emergency number (118).
	Health string
}

// Text returns the numbers as an Italian phrase for replies.
func (e Emergency) Text() string {
	var parts []string
	if e.Unico != "" {
		parts = append(parts, e.Unico+" (numero unico di emergenza)")
	}
	if e.Fire != "" {
		parts = append(parts, e.Fire+" (Vigili del Fuoco)")
	}
	if e.Health != "" {
		parts = append(parts, e.Health+" (emergenza sanitaria)")
	}
	return strings.Join(parts, ", ")
}

// MonthDay is a day of the year without a year, e.g. a patron saint's day.
type MonthDay struct {
	Month time.Month
	Day   int
}

// String returns the day as "MM-DD".
func (m MonthDay) String() string { return fmt.Sprintf("%02d-%02d", int(m.Month), m.Day) }

// Matches reports whether t falls on this day (in t's own location).
func (m MonthDay) Matches(t time.Time) bool { return t.Month() == m.Month && t.Day() == m.Day }

// Date is a civil date without a time zone, e.g. an office closure.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// String returns the date as "YYYY-MM-DD".
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// Matches reports whether t falls on this date (in t's own location).
func (d Date) Matches(t time.Time) bool {
	y, m, day := t.Date()
	return y == d.Year && m == d.Month && day == d.Day
}

// OfficeFor returns the office that handles a request topic: the first rule whose topics
// include it, otherwise the fallback office.
func (t *Tenant) OfficeFor(topic string) *Office {
	for _, r := range t.Routing.Rules {
		if slices.Contains(r.Topics, topic) {
			return t.Offices[r.Office]
		}
	}
	return t.Offices[t.Routing.Fallback]
}

// Closed reports whether day (in the tenant's location) is an ad-hoc closure or the patron
// saint's day. National holidays and weekends are the calendar's business, not the policy's.
func (t *Tenant) Closed(day time.Time) bool {
	day = day.In(t.Location)
	if t.Patron.Matches(day) {
		return true
	}
	for _, c := range t.Closures {
		if c.Matches(day) {
			return true
		}
	}
	return false
}

// OwnContacts returns every contact published by the Comune: the declared contacts plus the
// offices' e-mail addresses, PEC and phones. The classifier must never treat these as
// personal data.
func (t *Tenant) OwnContacts() []string {
	out := slices.Clone(t.Contacts)
	for _, o := range t.Offices {
		for _, c := range []string{o.Email, o.PEC, o.Phone} {
			if c != "" {
				out = append(out, c)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Render fills the named template's {placeholders} from vars. {comune}, {istanze_url} and
// {emergency} default to the tenant's own values. Values are inserted verbatim: braces inside
// a value are never expanded again, so a citizen's or an office's text cannot inject
// placeholders.
func (t *Tenant) Render(name string, vars map[string]string) (string, error) {
	text, ok := t.Templates[name]
	if !ok {
		return "", fmt.Errorf("render %s/%s: no such template", t.Code, name)
	}
	lookup := func(key string) (string, bool) {
		if v, ok := vars[key]; ok {
			return v, true
		}
		switch key {
		case "comune":
			return t.Name, true
		case "istanze_url":
			return t.IstanzeURL, true
		case "emergency":
			return t.Emergency.Text(), true
		}
		return "", false
	}
	out, err := expand(text, lookup)
	if err != nil {
		return "", fmt.Errorf("render %s/%s: %w", t.Code, name, err)
	}
	return out, nil
}

// expand replaces every {name} in text using lookup, in one pass.
func expand(text string, lookup func(string) (string, bool)) (string, error) {
	var b strings.Builder
	var missing []string
	err := scanTemplate(text, func(lit string) { b.WriteString(lit) }, func(name string) {
		v, ok := lookup(name)
		if !ok {
			missing = append(missing, name)
			return
		}
		b.WriteString(v)
	})
	if err != nil {
		return "", err
	}
	if len(missing) > 0 {
		return "", fmt.Errorf("no value for {%s}", strings.Join(missing, "}, {"))
	}
	return b.String(), nil
}

// scanTemplate splits text into literals and {placeholder} names. A brace that does not
// enclose a name of lowercase letters and underscores is an error, so typos such as
// "{office" are caught at load.
func scanTemplate(text string, literal, placeholder func(string)) error {
	for len(text) > 0 {
		open := strings.IndexAny(text, "{}")
		if open < 0 {
			literal(text)
			return nil
		}
		if text[open] == '}' {
			return fmt.Errorf("unmatched %q", "}")
		}
		literal(text[:open])
		end := strings.IndexAny(text[open+1:], "{}")
		if end < 0 || text[open+1+end] != '}' {
			return fmt.Errorf("unclosed %q", "{")
		}
		name := text[open+1 : open+1+end]
		if !isPlaceholderName(name) {
			return fmt.Errorf("bad placeholder {%s}", name)
		}
		placeholder(name)
		text = text[open+1+end+1:]
	}
	return nil
}
