package calendar

import (
	"testing"
	"time"
	// The embedded zone database makes the tests independent of the host's /usr/share/zoneinfo.
	_ "time/tzdata"
)

// rome loads Europe/Rome, the time zone of every tenant.
func rome(tb testing.TB) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		tb.Fatalf("load Europe/Rome: %v", err)
	}
	return loc
}

// at reads "YYYY-MM-DD HH:MM[:SS]" as a wall-clock time in loc.
func at(tb testing.TB, loc *time.Location, s string) time.Time {
	tb.Helper()
	layout := "2006-01-02 15:04"
	if len(s) > len(layout) {
		layout = time.DateTime
	}
	t, err := time.ParseInLocation(layout, s, loc)
	if err != nil {
		tb.Fatalf("parse %q: %v", s, err)
	}
	return t
}

// day builds a Date from its three parts, keeping the tables short.
func day(y int, m time.Month, d int) Date { return Date{Year: y, Month: m, Day: d} }

// clock returns the duration since midnight of h:m.
func clock(h, m int) time.Duration { return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute }

// townHallHours are typical Comune hours: Monday to Friday 08:30-12:30 and 14:00-16:00.
func townHallHours() WeeklyHours {
	h := WeeklyHours{}
	for wd := time.Monday; wd <= time.Friday; wd++ {
		h[wd] = []ClockRange{{From: clock(8, 30), To: clock(12, 30)}, {From: clock(14, 0), To: clock(16, 0)}}
	}
	return h
}

// monza is the calendar of a Monza office: town-hall hours and San Giovanni Battista on 24 June.
func monza(tb testing.TB) *Calendar {
	tb.Helper()
	return New(rome(tb), townHallHours(), MonthDay{Month: time.June, Day: 24}, nil)
}

// fmtTime prints an instant in Rome with its offset, so failures show DST mistakes.
func fmtTime(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("2006-01-02 15:04:05 Mon -07:00")
}
