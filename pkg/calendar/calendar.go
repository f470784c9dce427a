// Package calendar is the Italian working calendar Piazza measures service levels on: national
// holidays (with Easter computed), Sundays, the Comune's patron saint's day and ad-hoc closures,
// plus the weekly office hours of an office in its time zone.
//
// Deadlines follow the Italian counting rule (L. 241/1990 and art. 2963 c.c.): the day the
// request arrives is not counted, and a deadline that falls on a non-working day moves to the
// next working day. Business time (for SLA percentages, pauses and escalations) counts only the
// office hours of working days.
//
// Wall-clock times are always built per day with time.Date in the calendar's location, never by
// adding 24 hours to an instant, so that office hours stay at 08:30 local time on both sides of a
// daylight saving switch.
package calendar

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"
)

// WeeklyHours are an office's opening hours for each day of the week. A weekday with no ranges is
// closed. Sunday hours are ignored: Sunday is never a working day.
type WeeklyHours map[time.Weekday][]ClockRange

// Validate reports ranges outside 00:00-24:00, empty or overlapping ranges, and hours that open
// on no day from Monday to Saturday. New tolerates all of these (see New); configuration loaders
// call Validate to tell staff about the mistake instead.
func (h WeeklyHours) Validate() error {
	var errs []error
	open := false
	for wd := time.Sunday; wd <= time.Saturday; wd++ {
		ranges := slices.Clone(h[wd])
		slices.SortFunc(ranges, func(a, b ClockRange) int { return cmp.Compare(a.From, b.From) })
		for i, r := range ranges {
			if err := r.validate(); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", wd, err))
				continue
			}
			if i > 0 && r.From < ranges[i-1].To {
				errs = append(errs, fmt.Errorf("%s: range %s overlaps %s", wd, r, ranges[i-1]))
			}
			if wd != time.Sunday {
				open = true
			}
		}
	}
	if len(h) > 0 && !open {
		errs = append(errs, errors.New("no office hours from Monday to Saturday"))
	}
	return errors.Join(errs...)
}

// Calendar is a Comune's (or one office's) working calendar. It is immutable after New and safe
// for concurrent use.
type Calendar struct {
	loc      *time.Location
	hours    [7][]ClockRange // by time.Weekday; Sunday is always empty
	patron   MonthDay
	closures map[Date]struct{}
	workdays workdays
}

// New returns the calendar of an office in loc (nil means UTC) with the given weekly hours,
// patron saint's day (the zero MonthDay for none) and extraordinary closure days.
//
// Hours are normalised rather than rejected, so that a calendar can always be built: ranges are
// clipped to the day, empty ones dropped, overlapping ones merged. Hours that open on no day from
// Monday to Saturday (including nil) mean "no office hours configured": every working day from
// Monday to Saturday then counts in full, and deadlines end at 23:59:59. Use
// WeeklyHours.Validate to report such mistakes.
func New(loc *time.Location, hours WeeklyHours, patron MonthDay, closures []Date) *Calendar {
	if loc == nil {
		loc = time.UTC
	}
	c := &Calendar{loc: loc, patron: patron, closures: make(map[Date]struct{}, len(closures))}
	open := false
	for wd := time.Monday; wd <= time.Saturday; wd++ {
		c.hours[wd] = normalizeRanges(hours[wd])
		open = open || len(c.hours[wd]) > 0
	}
	if !open {
		// Without this fallback no day would ever be a working day and every search for the
		// next one would run forever.
		for wd := time.Monday; wd <= time.Saturday; wd++ {
			c.hours[wd] = []ClockRange{{From: 0, To: 24 * time.Hour}}
		}
	}
	for _, d := range closures {
		c.closures[d.normalized()] = struct{}{}
	}
	return c
}

// normalizeRanges clips ranges to the day, drops empty ones, sorts them and merges those that
// overlap or touch, so the rest of the package can rely on ordered, disjoint ranges.
func normalizeRanges(in []ClockRange) []ClockRange {
	var out []ClockRange
	for _, r := range in {
		r.From, r.To = max(r.From, 0), min(r.To, 24*time.Hour)
		if r.From < r.To {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b ClockRange) int { return cmp.Compare(a.From, b.From) })
	merged := out[:0]
	for _, r := range out {
		if n := len(merged); n > 0 && r.From <= merged[n-1].To {
			merged[n-1].To = max(merged[n-1].To, r.To)
			continue
		}
		merged = append(merged, r)
	}
	return merged
}

// Location returns the time zone the calendar's wall clock is read in.
func (c *Calendar) Location() *time.Location { return c.loc }

// IsHoliday reports whether d is a national holiday, the patron saint's day or a closure day, and
// gives its Italian name. An ordinary Sunday is a non-working day but not a holiday: see
// IsWorkingDay.
func (c *Calendar) IsHoliday(d Date) (name string, ok bool) {
	d = d.normalized()
	if name, ok := nationalHoliday(d); ok {
		return name, true
	}
	if c.patron.matches(d) {
		return PatronName, true
	}
	if _, ok := c.closures[d]; ok {
		return ClosureName, true
	}
	return "", false
}

// IsWorkingDay reports whether offices work on d: it is not a Sunday, not a holiday, not the
// patron saint's day, not a closure day, and the office has hours on that weekday.
func (c *Calendar) IsWorkingDay(d Date) bool {
	if !d.valid() {
		d = d.normalized()
	}
	return c.isWorkingDayCached(d)
}

// NextWorkingDay returns the first working day strictly after d. It always terminates: New
// guarantees at least one working weekday, and holidays and closures are finite in number.
func (c *Calendar) NextWorkingDay(d Date) Date {
	for d = d.normalized().next(); !c.isWorkingDayCached(d); d = d.next() {
	}
	return d
}

// PreviousWorkingDay returns the last working day strictly before d.
func (c *Calendar) PreviousWorkingDay(d Date) Date {
	for d = d.normalized().prev(); !c.isWorkingDayCached(d); d = d.prev() {
	}
	return d
}

// Holidays returns every holiday of the calendar in the given year: the national ones, the
// patron saint's day and the closure days, sorted by date. A day that is two holidays at once
// (25 April on Easter Monday, say) is listed once per reason.
func (c *Calendar) Holidays(year int) []Holiday {
	out := NationalHolidays(year)
	if !c.patron.IsZero() {
		if d := (Date{Year: year, Month: c.patron.Month, Day: c.patron.Day}); d.normalized() == d {
			out = append(out, Holiday{Date: d, Name: PatronName})
		}
	}
	for d := range c.closures {
		if d.Year == year {
			out = append(out, Holiday{Date: d, Name: ClosureName})
		}
	}
	slices.SortStableFunc(out, func(a, b Holiday) int { return a.Date.Compare(b.Date) })
	return out
}

// Interval is a span of time between two instants, Start inclusive and End exclusive.
type Interval struct {
	Start, End time.Time
}

// OpenIntervals returns the office's opening intervals on d as instants, in order, or nil when d
// is not a working day.
func (c *Calendar) OpenIntervals(d Date) []Interval {
	d = d.normalized()
	if !c.IsWorkingDay(d) {
		return nil
	}
	ranges := c.hours[d.Weekday()]
	out := make([]Interval, 0, len(ranges))
	for _, r := range ranges {
		iv := Interval{Start: c.wallClock(d, r.From), End: c.wallClock(d, r.To)}
		// A range inside a daylight saving gap can map its ends to the same instant, or in
		// principle to reversed ones; it then simply contributes no time.
		if iv.End.After(iv.Start) {
			out = append(out, iv)
		}
	}
	return out
}

// wallClock returns the instant at which the clock on the wall reads sinceMidnight on day d.
// time.Date resolves the time zone for that very day, which is what keeps 08:30 at 08:30 across
// a daylight saving switch; 24h becomes the next midnight.
func (c *Calendar) wallClock(d Date, sinceMidnight time.Duration) time.Time {
	h := sinceMidnight / time.Hour
	m := (sinceMidnight % time.Hour) / time.Minute
	s := (sinceMidnight % time.Minute) / time.Second
	ns := sinceMidnight % time.Second
	return time.Date(d.Year, d.Month, d.Day, int(h), int(m), int(s), int(ns), c.loc)
}

// endOfDay returns the deadline instant on working day d: the close of its last office range, or
// 23:59:59 when the office is open until midnight (as with no hours configured), so that the
// deadline stays on its own date.
func (c *Calendar) endOfDay(d Date) time.Time {
	ranges := c.hours[d.Weekday()]
	last := ranges[len(ranges)-1].To
	if last >= 24*time.Hour {
		return time.Date(d.Year, d.Month, d.Day, 23, 59, 59, 0, c.loc)
	}
	return c.wallClock(d, last)
}

// AddWorkingDays returns the deadline n working days after from, counted as Italian law counts
// them: the day of from is not counted, the deadline is the n-th working day after it, at the end
// of that day's office hours (23:59:59 with no hours configured). With n == 0 the deadline is the
// end of the day of from, moved to the next working day if that day is not one. A negative n
// counts backwards, to the end of the |n|-th working day before the day of from, which is how a
// "warn two working days before the deadline" instant is found.
func (c *Calendar) AddWorkingDays(from time.Time, n int) time.Time {
	d := DateOf(from.In(c.loc))
	switch {
	case n > 0:
		for ; n > 0; n-- {
			d = c.NextWorkingDay(d)
		}
	case n < 0:
		for ; n < 0; n++ {
			d = c.PreviousWorkingDay(d)
		}
	default:
		if !c.IsWorkingDay(d) {
			d = c.NextWorkingDay(d)
		}
	}
	return c.endOfDay(d)
}

// AddCalendarDays returns the deadline of a term of n calendar days, such as the 30 days of
// L. 241/1990 art. 2: the day of from is not counted, and when the n-th day is not a working day
// the deadline moves to the next working day. The deadline is the end of that day's office
// hours, as for AddWorkingDays. A negative n is treated as zero.
func (c *Calendar) AddCalendarDays(from time.Time, n int) time.Time {
	d := DateOf(from.In(c.loc)).AddDays(max(n, 0))
	if !c.IsWorkingDay(d) {
		d = c.NextWorkingDay(d)
	}
	return c.endOfDay(d)
}

// AddWorkingHours returns the instant at which d of office time has elapsed since from; time
// outside office hours, on Sundays, holidays and closures does not count. A result that lands
// exactly on a closing time is that closing time, not the next opening. A non-positive d returns
// from unchanged.
func (c *Calendar) AddWorkingHours(from time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return from
	}
	remaining := d
	for day := DateOf(from.In(c.loc)); ; day = day.AddDays(1) {
		for _, iv := range c.OpenIntervals(day) {
			if !from.Before(iv.End) {
				continue
			}
			start := iv.Start
			if from.After(start) {
				start = from
			}
			if avail := iv.End.Sub(start); remaining > avail {
				remaining -= avail
				continue
			}
			return start.Add(remaining)
		}
	}
}

// WorkingDuration returns the office time between from and to: the inverse of AddWorkingHours,
// used for the share of an SLA already consumed and to exclude paused periods. It is zero when
// to is not after from.
func (c *Calendar) WorkingDuration(from, to time.Time) time.Duration {
	if !to.After(from) {
		return 0
	}
	var total time.Duration
	last := DateOf(to.In(c.loc))
	for day := DateOf(from.In(c.loc)); !day.After(last); day = day.AddDays(1) {
		for _, iv := range c.OpenIntervals(day) {
			start, end := iv.Start, iv.End
			if from.After(start) {
				start = from
			}
			if to.Before(end) {
				end = to
			}
			if end.After(start) {
				total += end.Sub(start)
			}
		}
	}
	return total
}

// InOfficeHours reports whether the office is open at t.
func (c *Calendar) InOfficeHours(t time.Time) bool {
	for _, iv := range c.OpenIntervals(DateOf(t.In(c.loc))) {
		if !t.Before(iv.Start) && t.Before(iv.End) {
			return true
		}
	}
	return false
}

// NextOfficeOpen returns t itself when the office is open at t, and otherwise the next opening
// time: notifications and escalations to staff wait for it instead of arriving at midnight or on
// a Sunday.
func (c *Calendar) NextOfficeOpen(t time.Time) time.Time {
	for day := DateOf(t.In(c.loc)); ; day = day.AddDays(1) {
		for _, iv := range c.OpenIntervals(day) {
			if !t.Before(iv.End) {
				continue
			}
			if t.Before(iv.Start) {
				return iv.Start
			}
			return t
		}
	}
}
