package calendar

import (
	"sync/atomic"
	"time"
)

// Every deadline walks the calendar day by day (30 working days is some 40 steps, each asking
// whether the day is a working day), so the answer is kept per year: the first question about a
// year builds its table from the rules, and the later ones read one bit. Years outside
// [minCachedYear, maxCachedYear] are answered from the rules every time, so that odd input
// cannot grow the tables without bound.
const (
	minCachedYear = 1970
	maxCachedYear = 2200
)

// yearDays holds, for one year, whether each day (by day of the year, from 1) is a working day.
type yearDays [6]uint64

func (y *yearDays) set(yday int)      { y[yday/64] |= 1 << (yday % 64) }
func (y *yearDays) has(yday int) bool { return y[yday/64]&(1<<(yday%64)) != 0 }

// workdays caches a calendar's yearDays by year (from minCachedYear); a Calendar is immutable,
// so a table never goes stale. Two goroutines may build the same year at once; both tables are
// the same, and either may stay.
type workdays [maxCachedYear - minCachedYear + 1]atomic.Pointer[yearDays]

// isWorkingDayCached answers from the year's table; d must be a valid date.
func (c *Calendar) isWorkingDayCached(d Date) bool {
	if d.Year < minCachedYear || d.Year > maxCachedYear {
		return c.isWorkingDayByRules(d)
	}
	slot := &c.workdays[d.Year-minCachedYear]
	days := slot.Load()
	if days == nil {
		days = new(yearDays)
		for x := (Date{Year: d.Year, Month: time.January, Day: 1}); x.Year == d.Year; x = x.next() {
			if c.isWorkingDayByRules(x) {
				days.set(x.yearDay())
			}
		}
		slot.Store(days)
	}
	return days.has(d.yearDay())
}

// isWorkingDayByRules applies the rules: a weekday the office has hours on that is no holiday.
func (c *Calendar) isWorkingDayByRules(d Date) bool {
	if len(c.hours[d.Weekday()]) == 0 {
		return false
	}
	_, holiday := c.IsHoliday(d)
	return !holiday
}

// cumulativeDays[m] is the number of days before month m in a common year.
var cumulativeDays = [13]int{0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334}

func isLeap(year int) bool { return year%4 == 0 && (year%100 != 0 || year%400 == 0) }

func daysIn(m time.Month, year int) int {
	switch m {
	case time.February:
		if isLeap(year) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// valid reports whether d is a real day, so that it needs no normalising.
func (d Date) valid() bool {
	return d.Month >= time.January && d.Month <= time.December && d.Day >= 1 && d.Day <= daysIn(d.Month, d.Year)
}

// yearDay is the day of the year of a valid d, from 1.
func (d Date) yearDay() int {
	n := cumulativeDays[d.Month] + d.Day
	if d.Month > time.February && isLeap(d.Year) {
		n++
	}
	return n
}

// next is the day after a valid d, without going through time.Time.
func (d Date) next() Date {
	if d.Day < daysIn(d.Month, d.Year) {
		d.Day++
		return d
	}
	if d.Month < time.December {
		return Date{Year: d.Year, Month: d.Month + 1, Day: 1}
	}
	return Date{Year: d.Year + 1, Month: time.January, Day: 1}
}

// prev is the day before a valid d.
func (d Date) prev() Date {
	if d.Day > 1 {
		d.Day--
		return d
	}
	if d.Month > time.January {
		return Date{Year: d.Year, Month: d.Month - 1, Day: daysIn(d.Month-1, d.Year)}
	}
	return Date{Year: d.Year - 1, Month: time.December, Day: 31}
}
