package policy

import (
	"fmt"
	"math"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// decoder turns a merged policy tree into a Tenant, collecting every problem instead of
// stopping at the first.
type decoder struct {
	origin map[*yaml.Node]string
	file   string // the tenant file, for nodes of unknown origin
	errs   []error
}

func (d *decoder) fail(n *yaml.Node, path, format string, args ...any) {
	file, line := d.file, 1
	if n != nil {
		if f, ok := d.origin[n]; ok {
			file = f
		}
		line = n.Line
	}
	d.errs = append(d.errs, &FieldError{File: file, Line: line, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// field is one key of a mapping.
type field struct {
	key   *yaml.Node
	value *yaml.Node
}

// fields checks that n is a mapping whose keys are all in allowed, and returns its non-null
// values by key. required keys that are absent are reported at the mapping's line.
func (d *decoder) fields(n *yaml.Node, path string, allowed, required []string) (map[string]field, bool) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "must be a mapping")
		return nil, false
	}
	out := map[string]field{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !slices.Contains(allowed, k.Value) {
			d.fail(k, join(path, k.Value), "unknown field (allowed: %s)", strings.Join(allowed, ", "))
			continue
		}
		if isNull(v) {
			continue
		}
		out[k.Value] = field{k, v}
	}
	for _, r := range required {
		if _, ok := out[r]; !ok {
			d.fail(n, join(path, r), "missing required field")
		}
	}
	return out, true
}

// pairs returns the entries of a mapping with free keys (categories, offices, ...).
func (d *decoder) pairs(n *yaml.Node, path string) []field {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "must be a mapping")
		return nil
	}
	var out []field
	for i := 0; i+1 < len(n.Content); i += 2 {
		if !isNull(n.Content[i+1]) {
			out = append(out, field{n.Content[i], n.Content[i+1]})
		}
	}
	return out
}

func (d *decoder) str(n *yaml.Node, path string) string {
	if n.Kind != yaml.ScalarNode {
		d.fail(n, path, "must be a string")
		return ""
	}
	v := strings.TrimSpace(n.Value)
	if v == "" {
		d.fail(n, path, "must not be empty")
	}
	return v
}

func (d *decoder) boolean(n *yaml.Node, path string) bool {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
		d.fail(n, path, "must be true or false")
		return false
	}
	v, _ := strconv.ParseBool(strings.ToLower(n.Value))
	return v
}

func (d *decoder) integer(n *yaml.Node, path string) (int, bool) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		d.fail(n, path, "must be an integer")
		return 0, false
	}
	v, err := strconv.ParseInt(n.Value, 0, 32)
	if err != nil {
		d.fail(n, path, "must be an integer: %v", err)
		return 0, false
	}
	return int(v), true
}

func (d *decoder) enum(n *yaml.Node, path string, allowed []string) string {
	v := d.str(n, path)
	if v != "" && !slices.Contains(allowed, v) {
		d.fail(n, path, "unknown value %q (allowed: %s)", v, strings.Join(allowed, ", "))
		return ""
	}
	return v
}

func (d *decoder) strList(n *yaml.Node, path string) []string {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, path, "must be a list")
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for i, c := range n.Content {
		if v := d.str(c, fmt.Sprintf("%s[%d]", path, i)); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func (d *decoder) url(n *yaml.Node, path string) string {
	v := d.str(n, path)
	if v == "" {
		return ""
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		d.fail(n, path, "must be an http(s) URL, got %q", v)
	}
	return v
}

func (d *decoder) email(n *yaml.Node, path string) string {
	v := d.str(n, path)
	if v == "" {
		return ""
	}
	at := strings.LastIndexByte(v, '@')
	if at < 1 || at == len(v)-1 || !strings.Contains(v[at:], ".") || strings.ContainsAny(v, " \t,;<>") {
		d.fail(n, path, "must be an e-mail address, got %q", v)
	}
	return v
}

func (d *decoder) duration(n *yaml.Node, path string) (time.Duration, bool) {
	v := d.str(n, path)
	if v == "" {
		return 0, false
	}
	dur, err := parseDuration(v)
	if err != nil {
		d.fail(n, path, "%v", err)
		return 0, false
	}
	return dur, true
}

// parseDuration reads durations written as a sequence of <integer><unit> with units d, h, m
// ("365d", "1d12h", "90m"), or "0".
func parseDuration(s string) (time.Duration, error) {
	if s == "0" {
		return 0, nil
	}
	const maxDays = 100 * 365
	var total time.Duration
	rest := s
	for rest != "" {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 || i == len(rest) {
			return 0, fmt.Errorf("bad duration %q (want e.g. 365d, 12h, 30m)", s)
		}
		n, err := strconv.Atoi(rest[:i])
		if err != nil || n > maxDays*24*60 {
			return 0, fmt.Errorf("duration %q is too long", s)
		}
		var unit time.Duration
		switch rest[i] {
		case 'd':
			unit = 24 * time.Hour
		case 'h':
			unit = time.Hour
		case 'm':
			unit = time.Minute
		default:
			return 0, fmt.Errorf("bad duration unit %q in %q (units: d, h, m)", rest[i], s)
		}
		total += time.Duration(n) * unit
		if total > maxDays*24*time.Hour {
			return 0, fmt.Errorf("duration %q is too long", s)
		}
		rest = rest[i+1:]
	}
	return total, nil
}

// formatDuration writes d the way policy files do, e.g. "365d", "1d12h", "90m".
func formatDuration(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	var b strings.Builder
	for _, u := range []struct {
		unit time.Duration
		name string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}} {
		if n := d / u.unit; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, u.name)
			d -= n * u.unit
		}
	}
	if d > 0 || b.Len() == 0 {
		return d.String()
	}
	return b.String()
}

// parseSpan reads "10wd" or "8wh".
func parseSpan(s string) (Span, error) {
	for _, unit := range []string{"wd", "wh"} {
		if num, ok := strings.CutSuffix(s, unit); ok {
			n, err := strconv.Atoi(num)
			if err != nil || n < 1 || n > 10000 || strings.HasPrefix(num, "+") {
				return Span{}, fmt.Errorf("bad span %q (want a positive amount, e.g. 10wd or 8wh)", s)
			}
			return Span{Amount: n, Unit: unit}, nil
		}
	}
	return Span{}, fmt.Errorf("bad span %q (units: wd = working days, wh = working hours)", s)
}

// parseClock reads "08:30" as an offset from midnight; "24:00" is the end of the day.
func parseClock(s string) (time.Duration, bool) {
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) != 2 || len(m) != 2 {
		return 0, false
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && mm != 0) {
		return 0, false
	}
	return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute, true
}

// parseRanges reads "08:30-12:30,14:00-16:00": ranges in increasing order, not overlapping.
func parseRanges(s string) ([]ClockRange, error) {
	var out []ClockRange
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		from, to, ok := strings.Cut(part, "-")
		f, okF := parseClock(strings.TrimSpace(from))
		t, okT := parseClock(strings.TrimSpace(to))
		if !ok || !okF || !okT {
			return nil, fmt.Errorf("bad range %q (want HH:MM-HH:MM)", part)
		}
		if f >= t {
			return nil, fmt.Errorf("range %q ends before it starts", part)
		}
		if len(out) > 0 && f < out[len(out)-1].To {
			return nil, fmt.Errorf("range %q overlaps or precedes the previous one", part)
		}
		out = append(out, ClockRange{From: f, To: t})
	}
	return out, nil
}

// tenant decodes and validates the merged root; code is the code the file name implies.
func (d *decoder) tenant(root *yaml.Node, code string) *Tenant {
	t := &Tenant{
		Categories: map[string]*Category{},
		Offices:    map[string]*Office{},
		Templates:  map[string]string{},
	}
	f, ok := d.fields(root, "", []string{
		"tenant", "identity", "document", "pages", "category_defaults", "categories",
		"anonymous", "anonymous_reports", "visibility", "exceptions", "contacts", "offices",
		"routing", "emergency", "closures", "templates",
	}, []string{
		"tenant", "identity", "document", "pages", "categories", "anonymous",
		"anonymous_reports", "visibility", "offices", "routing", "emergency", "templates",
	})
	if !ok {
		return t
	}
	if v, ok := f["tenant"]; ok {
		t.Code = d.str(v.value, "tenant")
		switch {
		case t.Code == "":
		case !isCode(t.Code, true):
			d.fail(v.value, "tenant", "code %q must match [a-z][a-z0-9_-]*", t.Code)
		case t.Code != code:
			d.fail(v.value, "tenant", "code %q does not match the file name %q", t.Code, code+".yaml")
		}
	}
	if v, ok := f["identity"]; ok {
		d.identity(t, v.value)
	}
	if v, ok := f["document"]; ok {
		df, ok := d.fields(v.value, "document", []string{"title", "reference", "url"}, []string{"title"})
		if ok {
			if x, ok := df["title"]; ok {
				t.Document.Title = d.str(x.value, "document.title")
			}
			if x, ok := df["reference"]; ok {
				t.Document.Reference = d.str(x.value, "document.reference")
			}
			if x, ok := df["url"]; ok {
				t.Document.URL = d.url(x.value, "document.url")
			}
		}
	}
	if v, ok := f["pages"]; ok {
		d.pages(t, v.value)
	}
	defaults := categoryDefaults{noReply: true}
	if v, ok := f["category_defaults"]; ok {
		defaults = d.categoryDefaults(v.value)
	}
	if v, ok := f["categories"]; ok {
		d.categories(t, v.value, defaults)
	}
	if v, ok := f["anonymous"]; ok {
		t.Anonymous = d.enum(v.value, "anonymous", []string{"review", "allow"})
	}
	if v, ok := f["anonymous_reports"]; ok {
		t.AnonymousReports = d.enum(v.value, "anonymous_reports", []string{"accept", "refuse"})
	}
	if v, ok := f["visibility"]; ok {
		t.Visibility = d.enum(v.value, "visibility", []string{"same", "private"})
	}
	if v, ok := f["exceptions"]; ok {
		ef, ok := d.fields(v.value, "exceptions", []string{"sponsors"}, nil)
		if x, has := ef["sponsors"]; ok && has {
			t.Sponsors = d.uniqueList(x.value, "exceptions.sponsors")
		}
	}
	if v, ok := f["contacts"]; ok {
		t.Contacts = d.uniqueList(v.value, "contacts")
	}
	if v, ok := f["offices"]; ok {
		d.offices(t, v.value)
	}
	if v, ok := f["routing"]; ok {
		d.routing(t, v.value)
	}
	if v, ok := f["emergency"]; ok {
		d.emergency(t, v.value)
	}
	if v, ok := f["closures"]; ok {
		d.closures(t, v.value)
	}
	if v, ok := f["templates"]; ok {
		d.templates(t, v.value)
	}
	return t
}

func (d *decoder) uniqueList(n *yaml.Node, path string) []string {
	list := d.strList(n, path)
	seen := map[string]bool{}
	for i, v := range list {
		if seen[strings.ToLower(v)] {
			d.fail(n.Content[i], fmt.Sprintf("%s[%d]", path, i), "duplicate %q", v)
		}
		seen[strings.ToLower(v)] = true
	}
	return list
}

func (d *decoder) identity(t *Tenant, n *yaml.Node) {
	f, ok := d.fields(n, "identity",
		[]string{"name", "istat", "website", "istanze_url", "timezone", "patron"},
		[]string{"name", "istat", "website", "istanze_url", "timezone", "patron"})
	if !ok {
		return
	}
	if v, ok := f["name"]; ok {
		t.Name = d.str(v.value, "identity.name")
	}
	if v, ok := f["istat"]; ok {
		t.ISTAT = d.str(v.value, "identity.istat")
		if t.ISTAT != "" && !isDigits(t.ISTAT, 6, 6) {
			d.fail(v.value, "identity.istat", "must be six digits (quote it to keep leading zeros), got %q", t.ISTAT)
		}
	}
	if v, ok := f["website"]; ok {
		t.Website = d.url(v.value, "identity.website")
	}
	if v, ok := f["istanze_url"]; ok {
		t.IstanzeURL = d.url(v.value, "identity.istanze_url")
	}
	if v, ok := f["timezone"]; ok {
		name := d.str(v.value, "identity.timezone")
		if name != "" {
			loc, err := time.LoadLocation(name)
			if err != nil || name == "Local" {
				d.fail(v.value, "identity.timezone", "unknown time zone %q", name)
			}
			t.Location = loc
		}
	}
	if v, ok := f["patron"]; ok {
		pf, ok := d.fields(v.value, "identity.patron", []string{"date", "name"}, []string{"date", "name"})
		if ok {
			if x, ok := pf["date"]; ok {
				s := d.str(x.value, "identity.patron.date")
				md, err := parseMonthDay(s)
				if s != "" && err != nil {
					d.fail(x.value, "identity.patron.date", "%v", err)
				}
				t.Patron = md
			}
			if x, ok := pf["name"]; ok {
				t.PatronName = d.str(x.value, "identity.patron.name")
			}
		}
	}
}

func isDigits(s string, minLen, maxLen int) bool {
	if len(s) < minLen || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func parseMonthDay(s string) (MonthDay, error) {
	tm, err := time.Parse("2006-01-02", "2024-"+s) // 2024 is a leap year: 02-29 is valid.
	if err != nil || len(s) != 5 {
		return MonthDay{}, fmt.Errorf("bad day %q (want MM-DD)", s)
	}
	return MonthDay{Month: tm.Month(), Day: tm.Day()}, nil
}

func (d *decoder) pages(t *Tenant, n *yaml.Node) {
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		d.fail(n, "pages", "must be a non-empty list")
		return
	}
	seen := map[[2]string]bool{}
	for i, c := range n.Content {
		path := fmt.Sprintf("pages[%d]", i)
		f, ok := d.fields(c, path, []string{"platform", "id"}, []string{"platform", "id"})
		if !ok {
			continue
		}
		p := Page{file: d.originOf(c), line: c.Line}
		if v, ok := f["platform"]; ok {
			p.Platform = d.enum(v.value, path+".platform", platforms)
		}
		if v, ok := f["id"]; ok {
			p.ID = d.str(v.value, path+".id")
		}
		if p.Platform == "" || p.ID == "" {
			continue
		}
		if seen[[2]string{p.Platform, p.ID}] {
			d.fail(c, path, "duplicate page %s/%s", p.Platform, p.ID)
			continue
		}
		seen[[2]string{p.Platform, p.ID}] = true
		t.Pages = append(t.Pages, p)
	}
}

func (d *decoder) originOf(n *yaml.Node) string {
	if f, ok := d.origin[n]; ok {
		return f
	}
	return d.file
}

type categoryDefaults struct {
	window  time.Duration
	noReply bool
}

func (d *decoder) categoryDefaults(n *yaml.Node) categoryDefaults {
	out := categoryDefaults{noReply: true}
	f, ok := d.fields(n, "category_defaults", []string{"window", "no_reply"}, nil)
	if !ok {
		return out
	}
	if v, ok := f["window"]; ok {
		if w, ok := d.duration(v.value, "category_defaults.window"); ok {
			if w <= 0 {
				d.fail(v.value, "category_defaults.window", "must be positive")
			}
			out.window = w
		}
	}
	if v, ok := f["no_reply"]; ok {
		out.noReply = d.boolean(v.value, "category_defaults.no_reply")
	}
	return out
}

func (d *decoder) categories(t *Tenant, n *yaml.Node, defaults categoryDefaults) {
	type groupSeen struct {
		window time.Duration
		by     string
	}
	groups := map[string]groupSeen{}
	for _, p := range d.pairs(n, "categories") {
		code := p.key.Value
		path := "categories." + code
		if !slices.Contains(violationCategories, code) {
			if slices.Contains(routedCategories, code) {
				d.fail(p.key, path, "%q is routed, not sanctioned: configure it under routing", code)
			} else {
				d.fail(p.key, path, "unknown category %q (allowed: %s)", code, strings.Join(violationCategories, ", "))
			}
			continue
		}
		c := d.category(p.value, path, code, defaults)
		if c == nil {
			continue
		}
		if g, ok := groups[c.Group]; ok && g.window != c.Window {
			at := p.value
			if i := keyIndex(p.value, "window"); i >= 0 {
				at = p.value.Content[i+1]
			}
			d.fail(at, path+".window", "group %q shares one strike counter, but %s has window %s and %s has %s",
				c.Group, g.by, formatDuration(g.window), code, formatDuration(c.Window))
		} else if !ok {
			groups[c.Group] = groupSeen{window: c.Window, by: code}
		}
		t.Categories[code] = c
	}
}

func (d *decoder) category(n *yaml.Node, path, code string, defaults categoryDefaults) *Category {
	f, ok := d.fields(n, path, []string{"article", "title", "group", "window", "no_reply", "ladder"},
		[]string{"article", "title", "ladder"})
	if !ok {
		return nil
	}
	c := &Category{Code: code, Group: code, Window: defaults.window, NoReply: defaults.noReply}
	if v, ok := f["article"]; ok {
		c.Article = d.str(v.value, path+".article")
	}
	if v, ok := f["title"]; ok {
		c.Title = d.str(v.value, path+".title")
	}
	if v, ok := f["group"]; ok {
		c.Group = d.str(v.value, path+".group")
		if c.Group != "" && !isCode(c.Group, true) {
			d.fail(v.value, path+".group", "group %q must match [a-z][a-z0-9_-]*", c.Group)
		}
	}
	if v, ok := f["window"]; ok {
		if w, ok := d.duration(v.value, path+".window"); ok {
			c.Window = w
		}
	}
	if c.Window <= 0 {
		node := n
		if v, ok := f["window"]; ok {
			node = v.value
		}
		d.fail(node, path+".window", "must be a positive duration (set it here or in category_defaults)")
	}
	if v, ok := f["no_reply"]; ok {
		c.NoReply = d.boolean(v.value, path+".no_reply")
	}
	if v, ok := f["ladder"]; ok {
		c.Ladder = d.ladder(v.value, path+".ladder")
	}
	return c
}

func (d *decoder) ladder(n *yaml.Node, path string) []Step {
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		d.fail(n, path, "must be a non-empty list of steps")
		return nil
	}
	var out []Step
	prev := 0
	for i, c := range n.Content {
		sp := fmt.Sprintf("%s[%d]", path, i)
		f, ok := d.fields(c, sp, []string{"at", "actions", "block_for"}, []string{"at", "actions"})
		if !ok {
			continue
		}
		var s Step
		if v, ok := f["at"]; ok {
			if at, ok := d.integer(v.value, sp+".at"); ok {
				switch {
				case at < 1:
					d.fail(v.value, sp+".at", "must be at least 1, got %d", at)
				case at <= prev:
					d.fail(v.value, sp+".at", "must be greater than the previous step's at (%d), got %d", prev, at)
				}
				s.At = at
				prev = max(prev, at)
			}
		}
		if v, ok := f["actions"]; ok {
			if v.value.Kind != yaml.SequenceNode || len(v.value.Content) == 0 {
				d.fail(v.value, sp+".actions", "must be a non-empty list")
			} else {
				for j, a := range v.value.Content {
					ap := fmt.Sprintf("%s.actions[%d]", sp, j)
					name := d.str(a, ap)
					switch {
					case name == "":
					case !slices.Contains(actions, name):
						d.fail(a, ap, "unknown action %q (allowed: %s)", name, strings.Join(actions, ", "))
					case s.Has(name):
						d.fail(a, ap, "duplicate action %q", name)
					default:
						s.Actions = append(s.Actions, name)
					}
				}
			}
		}
		if v, ok := f["block_for"]; ok {
			if dur, ok := d.duration(v.value, sp+".block_for"); ok {
				s.BlockFor = dur
				if dur > 0 && !s.Has("block") {
					d.fail(v.value, sp+".block_for", "is set but the step does not block")
				}
			}
		}
		out = append(out, s)
	}
	return out
}

func (d *decoder) offices(t *Tenant, n *yaml.Node) {
	list := d.pairs(n, "offices")
	if n.Kind == yaml.MappingNode && len(list) == 0 {
		d.fail(n, "offices", "at least one office is required")
	}
	for _, p := range list {
		code := p.key.Value
		path := "offices." + code
		if !isCode(code, false) {
			d.fail(p.key, path, "office code %q must match [a-z][a-z0-9_]*", code)
			continue
		}
		f, ok := d.fields(p.value, path,
			[]string{"name", "head", "email", "phone", "pec", "placeholder", "kind", "hours"},
			[]string{"name", "head", "email"})
		if !ok {
			continue
		}
		o := &Office{Code: code, Kind: "internal", Hours: WeeklyHours{}}
		if v, ok := f["name"]; ok {
			o.Name = d.str(v.value, path+".name")
		}
		if v, ok := f["head"]; ok {
			o.Head = d.str(v.value, path+".head")
		}
		if v, ok := f["email"]; ok {
			o.Email = d.email(v.value, path+".email")
		}
		if v, ok := f["pec"]; ok {
			o.PEC = d.email(v.value, path+".pec")
		}
		if v, ok := f["phone"]; ok {
			o.Phone = d.str(v.value, path+".phone")
		}
		if v, ok := f["placeholder"]; ok {
			o.Placeholder = d.boolean(v.value, path+".placeholder")
		}
		if v, ok := f["kind"]; ok {
			o.Kind = d.enum(v.value, path+".kind", []string{"internal", "external"})
		}
		if v, ok := f["hours"]; ok {
			for _, h := range d.pairs(v.value, path+".hours") {
				hp := path + ".hours." + h.key.Value
				day := slices.Index(weekdays, h.key.Value)
				if day < 0 {
					d.fail(h.key, hp, "unknown day %q (days: mon tue wed thu fri sat sun)", h.key.Value)
					continue
				}
				s := d.str(h.value, hp)
				if s == "" {
					continue
				}
				ranges, err := parseRanges(s)
				if err != nil {
					d.fail(h.value, hp, "%v", err)
					continue
				}
				o.Hours[time.Weekday(day)] = ranges
			}
		}
		t.Offices[code] = o
	}
}

func (d *decoder) contact(n *yaml.Node, path string) Contact {
	var c Contact
	f, ok := d.fields(n, path, []string{"name", "email", "placeholder"}, []string{"name", "email"})
	if !ok {
		return c
	}
	if v, ok := f["name"]; ok {
		c.Name = d.str(v.value, path+".name")
	}
	if v, ok := f["email"]; ok {
		c.Email = d.email(v.value, path+".email")
	}
	if v, ok := f["placeholder"]; ok {
		c.Placeholder = d.boolean(v.value, path+".placeholder")
	}
	return c
}

func (d *decoder) routing(t *Tenant, n *yaml.Node) {
	f, ok := d.fields(n, "routing",
		[]string{"mode", "rules", "fallback", "sla", "escalation", "potere_sostitutivo"},
		[]string{"fallback", "sla"})
	if !ok {
		return
	}
	r := &t.Routing
	r.Mode = "answer"
	if v, ok := f["mode"]; ok {
		r.Mode = d.enum(v.value, "routing.mode", []string{"answer", "redirect"})
	}
	officeRef := func(v *yaml.Node, path string) string {
		code := d.str(v, path)
		if code != "" && t.Offices[code] == nil {
			d.fail(v, path, "unknown office %q", code)
		}
		return code
	}
	if v, ok := f["rules"]; ok {
		if v.value.Kind != yaml.SequenceNode {
			d.fail(v.value, "routing.rules", "must be a list")
		} else {
			routed := map[string]int{}
			for i, c := range v.value.Content {
				path := fmt.Sprintf("routing.rules[%d]", i)
				rf, ok := d.fields(c, path, []string{"topics", "office"}, []string{"topics", "office"})
				if !ok {
					continue
				}
				var rule Rule
				if x, ok := rf["topics"]; ok {
					if x.value.Kind == yaml.SequenceNode && len(x.value.Content) == 0 {
						d.fail(x.value, path+".topics", "must not be empty")
					}
					for j, tn := range x.value.Content {
						tp := fmt.Sprintf("%s.topics[%d]", path, j)
						if x.value.Kind != yaml.SequenceNode {
							break
						}
						topic := d.str(tn, tp)
						switch {
						case topic == "":
						case !slices.Contains(topics, topic):
							d.fail(tn, tp, "unknown topic %q (allowed: %s)", topic, strings.Join(topics, ", "))
						case routed[topic] > 0:
							d.fail(tn, tp, "topic %q is already routed by routing.rules[%d]", topic, routed[topic]-1)
						default:
							routed[topic] = i + 1
							rule.Topics = append(rule.Topics, topic)
						}
					}
					if x.value.Kind != yaml.SequenceNode {
						d.fail(x.value, path+".topics", "must be a list")
					}
				}
				if x, ok := rf["office"]; ok {
					rule.Office = officeRef(x.value, path+".office")
				}
				r.Rules = append(r.Rules, rule)
			}
		}
	}
	if v, ok := f["fallback"]; ok {
		r.Fallback = officeRef(v.value, "routing.fallback")
	}
	if v, ok := f["sla"]; ok {
		d.sla(r, v.value)
	}
	var psNode *yaml.Node
	if v, ok := f["potere_sostitutivo"]; ok {
		psNode = v.value
		r.PotereSostitutivo = d.contact(v.value, "routing.potere_sostitutivo")
	}
	if v, ok := f["escalation"]; ok {
		if v.value.Kind != yaml.SequenceNode {
			d.fail(v.value, "routing.escalation", "must be a list")
		} else {
			for i, c := range v.value.Content {
				path := fmt.Sprintf("routing.escalation[%d]", i)
				step := d.str(c, path)
				switch {
				case step == "":
				case !slices.Contains(escalationSteps, step):
					d.fail(c, path, "unknown escalation step %q (allowed: %s)", step, strings.Join(escalationSteps, ", "))
				case slices.Contains(r.Escalation, step):
					d.fail(c, path, "duplicate escalation step %q", step)
				case step == "urp" && t.Offices["urp"] == nil:
					d.fail(c, path, "escalation to the URP needs an office with code \"urp\"")
				case step == "potere_sostitutivo" && psNode == nil:
					d.fail(c, path, "escalation to the potere sostitutivo needs routing.potere_sostitutivo")
				default:
					r.Escalation = append(r.Escalation, step)
				}
			}
		}
	}
}

func (d *decoder) sla(r *Routing, n *yaml.Node) {
	f, ok := d.fields(n, "routing.sla", []string{"ack", "first_answer", "resolution", "warn_at"},
		[]string{"ack", "first_answer", "resolution"})
	if !ok {
		return
	}
	span := func(name string) (Span, *yaml.Node) {
		v, ok := f[name]
		if !ok {
			return Span{}, nil
		}
		s := d.str(v.value, "routing.sla."+name)
		if s == "" {
			return Span{}, nil
		}
		sp, err := parseSpan(s)
		if err != nil {
			d.fail(v.value, "routing.sla."+name, "%v", err)
			return Span{}, nil
		}
		return sp, v.value
	}
	ack, _ := span("ack")
	first, firstNode := span("first_answer")
	res, resNode := span("resolution")
	r.SLA = SLA{Ack: ack, FirstAnswer: first, Resolution: res, WarnAt: 0.8}
	longer := func(a, b Span) bool { return a.Unit == b.Unit && a.Amount > b.Amount }
	if firstNode != nil && longer(ack, first) {
		d.fail(firstNode, "routing.sla.first_answer", "%s is shorter than ack %s", first, ack)
	}
	if resNode != nil && longer(first, res) {
		d.fail(resNode, "routing.sla.resolution", "%s is shorter than first_answer %s", res, first)
	}
	if v, ok := f["warn_at"]; ok {
		tag := v.value.ShortTag()
		w, err := strconv.ParseFloat(v.value.Value, 64)
		if v.value.Kind != yaml.ScalarNode || (tag != "!!float" && tag != "!!int") || err != nil ||
			math.IsNaN(w) || w <= 0 || w >= 1 {
			d.fail(v.value, "routing.sla.warn_at", "must be a number between 0 and 1 (exclusive), got %q", v.value.Value)
		} else {
			r.SLA.WarnAt = w
		}
	}
}

func (d *decoder) emergency(t *Tenant, n *yaml.Node) {
	f, ok := d.fields(n, "emergency", []string{"unico", "fire", "health"}, []string{"unico", "fire", "health"})
	if !ok {
		return
	}
	num := func(name string) string {
		v, ok := f[name]
		if !ok {
			return ""
		}
		s := d.str(v.value, "emergency."+name)
		if s != "" && !isDigits(s, 3, 5) {
			d.fail(v.value, "emergency."+name, "must be a short emergency number (3 to 5 digits), got %q", s)
		}
		return s
	}
	t.Emergency = Emergency{Unico: num("unico"), Fire: num("fire"), Health: num("health")}
}

func (d *decoder) closures(t *Tenant, n *yaml.Node) {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, "closures", "must be a list of dates")
		return
	}
	seen := map[Date]bool{}
	for i, c := range n.Content {
		path := fmt.Sprintf("closures[%d]", i)
		s := d.str(c, path)
		if s == "" {
			continue
		}
		tm, err := time.Parse("2006-01-02", s)
		if err != nil {
			d.fail(c, path, "bad date %q (want YYYY-MM-DD)", s)
			continue
		}
		day := Date{Year: tm.Year(), Month: tm.Month(), Day: tm.Day()}
		if seen[day] {
			d.fail(c, path, "duplicate closure %s", day)
			continue
		}
		seen[day] = true
		t.Closures = append(t.Closures, day)
	}
	sort.Slice(t.Closures, func(i, j int) bool { return t.Closures[i].String() < t.Closures[j].String() })
}

func (d *decoder) templates(t *Tenant, n *yaml.Node) {
	present := map[string]bool{}
	for _, p := range d.pairs(n, "templates") {
		name := p.key.Value
		path := "templates." + name
		present[name] = true
		must, required := requiredTemplates[name]
		if !required {
			var optional bool
			must, optional = optionalTemplates[name]
			if !optional {
				d.fail(p.key, path, "unknown template (known: %s)", strings.Join(templateNames(), ", "))
				continue
			}
		}
		text := d.str(p.value, path)
		if text == "" {
			continue
		}
		used := map[string]bool{}
		err := scanTemplate(text, func(string) {}, func(ph string) {
			if !slices.Contains(placeholderNames, ph) {
				d.fail(p.value, path, "unknown placeholder {%s} (known: {%s})", ph, strings.Join(placeholderNames, "} {"))
			}
			used[ph] = true
		})
		if err != nil {
			d.fail(p.value, path, "%v", err)
			continue
		}
		for _, ph := range must {
			if !used[ph] {
				d.fail(p.value, path, "must use {%s}", ph)
			}
		}
		t.Templates[name] = text
	}
	if n.Kind != yaml.MappingNode {
		return
	}
	for _, name := range templateNames() {
		if present[name] {
			continue
		}
		_, required := requiredTemplates[name]
		if required || (name == "redirect" && t.Routing.Mode == "redirect") {
			d.fail(n, "templates."+name, "missing required template")
		}
	}
}

func templateNames() []string {
	var out []string
	for k := range requiredTemplates {
		out = append(out, k)
	}
	for k := range optionalTemplates {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
