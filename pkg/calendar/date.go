package calendar

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Date is a calendar day with no time of day and no time zone: holidays, closures and deadlines
// are days on the Comune's wall calendar, and keeping them apart from instants avoids the classic
// mistake of comparing a midnight in UTC with a midnight in Rome.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the day of t on the wall calendar of t's own location; convert t with In first
// to read it in another time zone.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// ParseDate reads a date written as YYYY-MM-DD, the form used in tenant configuration files.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	if err != nil {
		return Date{}, fmt.Errorf("parse date %q: %w", s, err)
	}
	return DateOf(t), nil
}

// normalized returns d with out-of-range months and days carried over, as time.Date does, so
// that Date{2026, 2, 30} and Date{2026, 3, 2} compare equal.
func (d Date) normalized() Date {
	return DateOf(d.noonUTC())
}

// noonUTC anchors d at noon UTC, far from any day boundary, for calendar arithmetic that must not
// depend on a time zone.
func (d Date) noonUTC() time.Time {
	return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC)
}

// AddDays returns the day n calendar days after d (before it when n is negative).
func (d Date) AddDays(n int) Date {
	return DateOf(time.Date(d.Year, d.Month, d.Day+n, 12, 0, 0, 0, time.UTC))
}

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday {
	return d.noonUTC().Weekday()
}

// Compare returns -1 if d is before o, 0 if they are the same day and +1 if d is after o.
func (d Date) Compare(o Date) int {
	if c := cmp.Compare(d.Year, o.Year); c != 0 {
		return c
	}
	if c := cmp.Compare(d.Month, o.Month); c != 0 {
		return c
	}
	return cmp.Compare(d.Day, o.Day)
}

// Before reports whether d is an earlier day than o.
func (d Date) Before(o Date) bool { return d.Compare(o) < 0 }

// After reports whether d is a later day than o.
func (d Date) After(o Date) bool { return d.Compare(o) > 0 }

// String formats d as YYYY-MM-DD.
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// MarshalText writes d as YYYY-MM-DD, so that dates read naturally in JSON and YAML.
func (d Date) MarshalText() ([]byte, error) {
	return []byte(d.String()), nil
}

// UnmarshalText reads a date written as YYYY-MM-DD.
func (d *Date) UnmarshalText(text []byte) error {
	parsed, err := ParseDate(string(text))
	if err != nil {
		return err
	}
	*d = parsed
	return nil
}

// MonthDay is a day that recurs every year, such as a patron saint's feast. The zero value means
// "none".
type MonthDay struct {
	Month time.Month
	Day   int
}

// IsZero reports whether md is the zero value, used for "no patron saint's day".
func (md MonthDay) IsZero() bool { return md == MonthDay{} }

// matches reports whether d falls on md; 29 February matches only in leap years.
func (md MonthDay) matches(d Date) bool {
	return !md.IsZero() && d.Month == md.Month && d.Day == md.Day
}

// ParseMonthDay reads a recurring day written as MM-DD, for example "06-24" for San Giovanni
// Battista.
func ParseMonthDay(s string) (MonthDay, error) {
	// Parsing inside a leap year accepts 02-29 while still rejecting 02-30 and 13-01.
	t, err := time.Parse(time.DateOnly, "2000-"+strings.TrimSpace(s))
	if err != nil {
		return MonthDay{}, fmt.Errorf("parse month-day %q: %w", s, err)
	}
	return MonthDay{Month: t.Month(), Day: t.Day()}, nil
}

// String formats md as MM-DD.
func (md MonthDay) String() string {
	return fmt.Sprintf("%02d-%02d", int(md.Month), md.Day)
}

// MarshalText writes md as MM-DD.
func (md MonthDay) MarshalText() ([]byte, error) {
	return []byte(md.String()), nil
}

// UnmarshalText reads a recurring day written as MM-DD.
func (md *MonthDay) UnmarshalText(text []byte) error {
	parsed, err := ParseMonthDay(string(text))
	if err != nil {
		return err
	}
	*md = parsed
	return nil
}

// ClockRange is a span of wall-clock time within one day, measured from midnight, such as 08:30
// to 12:30. From is inclusive and To exclusive; To may be 24h to mean "until midnight".
type ClockRange struct {
	From, To time.Duration
}

// ParseClockRange reads a range written as "HH:MM-HH:MM" (an en dash is accepted too), for
// example "08:30-12:30" or "14:00–16:00".
func ParseClockRange(s string) (ClockRange, error) {
	from, to, ok := strings.Cut(strings.ReplaceAll(s, "–", "-"), "-")
	if !ok {
		return ClockRange{}, fmt.Errorf("parse clock range %q: want HH:MM-HH:MM", s)
	}
	f, err := parseClock(from)
	if err != nil {
		return ClockRange{}, fmt.Errorf("parse clock range %q: %w", s, err)
	}
	t, err := parseClock(to)
	if err != nil {
		return ClockRange{}, fmt.Errorf("parse clock range %q: %w", s, err)
	}
	r := ClockRange{From: f, To: t}
	if err := r.validate(); err != nil {
		return ClockRange{}, fmt.Errorf("parse clock range %q: %w", s, err)
	}
	return r, nil
}

// parseClock reads HH:MM, allowing 24:00 as the end of the day.
func parseClock(s string) (time.Duration, error) {
	hh, mm, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return 0, fmt.Errorf("clock %q: want HH:MM", s)
	}
	h, err := strconv.Atoi(hh)
	if err != nil {
		return 0, fmt.Errorf("clock %q: hours: %w", s, err)
	}
	m, err := strconv.Atoi(mm)
	if err != nil {
		return 0, fmt.Errorf("clock %q: minutes: %w", s, err)
	}
	if h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("clock %q: out of range", s)
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, nil
}

// validate reports a range that lies outside the day or is empty.
func (r ClockRange) validate() error {
	switch {
	case r.From < 0 || r.To > 24*time.Hour:
		return fmt.Errorf("range %s lies outside 00:00-24:00", r)
	case r.From >= r.To:
		return fmt.Errorf("range %s is empty or inverted", r)
	}
	return nil
}

// String formats r as HH:MM-HH:MM (with seconds when the range is not on whole minutes).
func (r ClockRange) String() string {
	return formatClock(r.From) + "-" + formatClock(r.To)
}

// MarshalText writes r as HH:MM-HH:MM.
func (r ClockRange) MarshalText() ([]byte, error) {
	return []byte(r.String()), nil
}

// UnmarshalText reads a range written as HH:MM-HH:MM.
func (r *ClockRange) UnmarshalText(text []byte) error {
	parsed, err := ParseClockRange(string(text))
	if err != nil {
		return err
	}
	*r = parsed
	return nil
}

func formatClock(d time.Duration) string {
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	h, m, s := d/time.Hour, (d%time.Hour)/time.Minute, (d%time.Minute)/time.Second
	if s != 0 || d%time.Second != 0 {
		return fmt.Sprintf("%s%02d:%02d:%02d", sign, h, m, s)
	}
	return fmt.Sprintf("%s%02d:%02d", sign, h, m)
}
