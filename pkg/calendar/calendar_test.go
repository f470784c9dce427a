package calendar

import (
	"strings"
	"testing"
	"time"
)

func TestIsHolidayAndWorkingDay(t *testing.T) {
	cal := New(rome(t), townHallHours(), MonthDay{Month: time.June, Day: 24},
		[]Date{day(2026, time.December, 24), day(2026, time.August, 14)})
	tests := []struct {
		name        string
		d           Date
		wantHoliday string // empty when not a holiday
		wantWorking bool
	}{
		{"ordinary Tuesday", day(2026, time.November, 10), "", true},
		{"Saturday without office hours", day(2026, time.November, 14), "", false},
		{"ordinary Sunday is not a holiday", day(2026, time.November, 15), "", false},
		{"patron saint Monza", day(2026, time.June, 24), PatronName, false},
		{"patron saint next year", day(2027, time.June, 24), PatronName, false},
		{"day after patron", day(2026, time.June, 25), "", true},
		{"closure on Christmas Eve", day(2026, time.December, 24), ClosureName, false},
		{"closure is one year only", day(2027, time.December, 24), "", true},
		{"closure before Ferragosto", day(2026, time.August, 14), ClosureName, false},
		{"Easter Monday", day(2026, time.April, 6), easterMondayName, false},
		{"Festa della Repubblica on a Tuesday", day(2026, time.June, 2), "Festa della Repubblica", false},
		{"Immacolata on a Tuesday", day(2026, time.December, 8), "Immacolata Concezione", false},
		{"Santo Stefano on a Saturday", day(2026, time.December, 26), "Santo Stefano", false},
		{"31 November is read as 1 December, a Tuesday", Date{2026, time.November, 31}, "", true},
		{"32 December is read as 1 January", Date{2026, time.December, 32}, "Capodanno", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, ok := cal.IsHoliday(tt.d)
			if ok != (tt.wantHoliday != "") || name != tt.wantHoliday {
				t.Errorf("IsHoliday(%s) = %q, %v, want %q", tt.d, name, ok, tt.wantHoliday)
			}
			if got := cal.IsWorkingDay(tt.d); got != tt.wantWorking {
				t.Errorf("IsWorkingDay(%s) = %v, want %v", tt.d, got, tt.wantWorking)
			}
		})
	}

	// The same day is an ordinary working day where the patron saint is someone else.
	other := New(rome(t), townHallHours(), MonthDay{Month: time.November, Day: 11}, nil)
	if !other.IsWorkingDay(day(2026, time.June, 24)) {
		t.Errorf("IsWorkingDay(2026-06-24) = false for a Comune whose patron is on 11 November, want true")
	}
	if other.IsWorkingDay(day(2026, time.November, 11)) {
		t.Errorf("IsWorkingDay(2026-11-11) = true for a Comune whose patron is on 11 November, want false")
	}
}

func TestHolidaysListsLocalDays(t *testing.T) {
	cal := New(rome(t), townHallHours(), MonthDay{Month: time.June, Day: 24}, []Date{day(2026, time.December, 24), day(2027, time.January, 2)})
	got := cal.Holidays(2026)
	if want := len(NationalHolidays(2026)) + 2; len(got) != want {
		t.Fatalf("len(Holidays(2026)) = %d, want %d: %v", len(got), want, got)
	}
	for i := 1; i < len(got); i++ {
		if got[i].Date.Before(got[i-1].Date) {
			t.Errorf("Holidays(2026) not sorted at %d: %s before %s", i, got[i-1].Date, got[i].Date)
		}
	}
	wantLocal := map[Date]string{day(2026, time.June, 24): PatronName, day(2026, time.December, 24): ClosureName}
	for _, h := range got {
		if name, ok := wantLocal[h.Date]; ok {
			if h.Name != name {
				t.Errorf("Holidays(2026) has %s as %q, want %q", h.Date, h.Name, name)
			}
			delete(wantLocal, h.Date)
		}
	}
	if len(wantLocal) != 0 {
		t.Errorf("Holidays(2026) lacks %v", wantLocal)
	}
	leap := New(rome(t), nil, MonthDay{Month: time.February, Day: 29}, nil)
	if got := len(leap.Holidays(2027)); got != len(NationalHolidays(2027)) {
		t.Errorf("len(Holidays(2027)) with a 29 February patron = %d, want %d", got, len(NationalHolidays(2027)))
	}
	if got := len(leap.Holidays(2028)); got != len(NationalHolidays(2028))+1 {
		t.Errorf("len(Holidays(2028)) with a 29 February patron = %d, want %d", got, len(NationalHolidays(2028))+1)
	}
}

func TestAddWorkingDays(t *testing.T) {
	loc := rome(t)
	dec24 := []Date{day(2026, time.December, 24)}
	tests := []struct {
		name     string
		hours    WeeklyHours
		patron   MonthDay
		closures []Date
		from     string
		n        int
		want     string
	}{
		{"Christmas: 24, 28, 29", townHallHours(), MonthDay{}, nil, "2026-12-23 10:00", 3, "2026-12-29 16:00"},
		{"Christmas with 24 December closed", townHallHours(), MonthDay{}, dec24, "2026-12-23 10:00", 3, "2026-12-30 16:00"},
		{"Christmas with no hours: Santo Stefano is a Saturday", nil, MonthDay{}, nil, "2026-12-23 10:00", 3, "2026-12-29 23:59:59"},
		{"received in the evening: the day still is not counted", townHallHours(), MonthDay{}, nil, "2026-12-23 21:00", 1, "2026-12-24 16:00"},
		{"received on Friday, due Monday", townHallHours(), MonthDay{}, nil, "2026-11-13 20:00", 1, "2026-11-16 16:00"},
		{"received on Sunday", townHallHours(), MonthDay{}, nil, "2026-11-15 11:00", 1, "2026-11-16 16:00"},
		{"Easter Monday skipped", townHallHours(), MonthDay{}, nil, "2026-04-02 09:00", 2, "2026-04-07 16:00"},
		{"patron saint skipped in Monza", townHallHours(), MonthDay{Month: time.June, Day: 24}, nil, "2026-06-23 09:00", 1, "2026-06-25 16:00"},
		{"4 October 2027 skipped", townHallHours(), MonthDay{}, nil, "2027-10-01 09:00", 1, "2027-10-05 16:00"},
		{"4 October 2025 worked on an all-day calendar", nil, MonthDay{}, nil, "2025-10-03 09:00", 1, "2025-10-04 23:59:59"},
		{"ten working days", townHallHours(), MonthDay{}, nil, "2026-11-02 09:00", 10, "2026-11-16 16:00"},
		{"zero on a working day ends the same day", townHallHours(), MonthDay{}, nil, "2026-11-10 09:00", 0, "2026-11-10 16:00"},
		{"zero on a holiday moves on", townHallHours(), MonthDay{}, nil, "2026-12-08 10:00", 0, "2026-12-09 16:00"},
		{"zero on Christmas moves past the weekend", townHallHours(), MonthDay{}, nil, "2026-12-25 10:00", 0, "2026-12-28 16:00"},
		{"negative counts back over Christmas", townHallHours(), MonthDay{}, nil, "2026-12-29 10:00", -2, "2026-12-24 16:00"},
		{"afternoon-less Wednesday ends at 12:30", wednesdayMorningOnly(), MonthDay{}, nil, "2026-11-10 09:00", 1, "2026-11-11 12:30"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cal := New(loc, tt.hours, tt.patron, tt.closures)
			got := cal.AddWorkingDays(at(t, loc, tt.from), tt.n)
			if want := at(t, loc, tt.want); !got.Equal(want) {
				t.Errorf("AddWorkingDays(%s, %d) = %s, want %s", tt.from, tt.n, fmtTime(got, loc), fmtTime(want, loc))
			}
		})
	}
}

// wednesdayMorningOnly is town-hall hours with Wednesday afternoon closed.
func wednesdayMorningOnly() WeeklyHours {
	h := townHallHours()
	h[time.Wednesday] = h[time.Wednesday][:1]
	return h
}

func TestAddWorkingDaysUsesCalendarTimeZone(t *testing.T) {
	loc := rome(t)
	cal := monza(t)
	// 23:30 UTC on Tuesday is already Wednesday 00:30 in Rome: Wednesday is the day not counted.
	from := time.Date(2026, time.November, 10, 23, 30, 0, 0, time.UTC)
	got := cal.AddWorkingDays(from, 1)
	if want := at(t, loc, "2026-11-12 16:00"); !got.Equal(want) {
		t.Errorf("AddWorkingDays(%s, 1) = %s, want %s", from, fmtTime(got, loc), fmtTime(want, loc))
	}
}

func TestAddCalendarDays(t *testing.T) {
	loc := rome(t)
	cal := monza(t)
	tests := []struct {
		name string
		from string
		n    int
		want string
	}{
		{"30 days ending on a working day", "2026-11-10 09:00", 30, "2026-12-10 16:00"},
		{"30 days ending on Festa della Repubblica move on", "2026-05-03 11:00", 30, "2026-06-03 16:00"},
		{"30 days ending on a Sunday move to Monday", "2026-11-06 09:00", 30, "2026-12-07 16:00"},
		{"30 days ending on the patron saint move on", "2026-05-25 09:00", 30, "2026-06-25 16:00"},
		{"15 days ending on Santo Stefano move past the weekend", "2026-12-11 09:00", 15, "2026-12-28 16:00"},
		{"negative is zero", "2026-11-10 09:00", -3, "2026-11-10 16:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cal.AddCalendarDays(at(t, loc, tt.from), tt.n)
			if want := at(t, loc, tt.want); !got.Equal(want) {
				t.Errorf("AddCalendarDays(%s, %d) = %s, want %s", tt.from, tt.n, fmtTime(got, loc), fmtTime(want, loc))
			}
		})
	}
}

func TestAddWorkingHours(t *testing.T) {
	loc := rome(t)
	cal := monza(t)
	tests := []struct {
		name string
		from string
		d    time.Duration
		want string
	}{
		{"within the morning", "2026-11-10 09:00", 2 * time.Hour, "2026-11-10 11:00"},
		{"across the lunch break", "2026-11-10 11:30", 2 * time.Hour, "2026-11-10 15:00"},
		{"ending exactly at closing time stays there", "2026-11-10 11:30", time.Hour, "2026-11-10 12:30"},
		{"from the lunch break", "2026-11-10 13:00", 30 * time.Minute, "2026-11-10 14:30"},
		{"from before opening", "2026-11-10 07:00", 30 * time.Minute, "2026-11-10 09:00"},
		{"from after closing", "2026-11-10 18:00", 30 * time.Minute, "2026-11-11 09:00"},
		{"across the weekend", "2026-11-13 15:00", 2 * time.Hour, "2026-11-16 09:30"},
		{"from Saturday", "2026-11-14 10:00", 30 * time.Minute, "2026-11-16 09:00"},
		{"across the Immacolata", "2026-12-07 15:30", time.Hour, "2026-12-09 09:00"},
		{"across Christmas and Santo Stefano", "2026-12-23 15:00", 8 * time.Hour, "2026-12-28 09:30"},
		{"across the patron saint", "2026-06-23 15:00", 2 * time.Hour, "2026-06-25 09:30"},
		{"one full working week", "2026-11-09 08:30", 30 * time.Hour, "2026-11-13 16:00"},
		{"a second", "2026-11-10 12:29:59", time.Second, "2026-11-10 12:30"},
		{"zero is from itself", "2026-11-14 10:00", 0, "2026-11-14 10:00"},
		{"negative is from itself", "2026-11-10 10:00", -time.Hour, "2026-11-10 10:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from := at(t, loc, tt.from)
			got := cal.AddWorkingHours(from, tt.d)
			if want := at(t, loc, tt.want); !got.Equal(want) {
				t.Errorf("AddWorkingHours(%s, %s) = %s, want %s", tt.from, tt.d, fmtTime(got, loc), fmtTime(want, loc))
			}
			if tt.d > 0 {
				if got := cal.WorkingDuration(from, cal.AddWorkingHours(from, tt.d)); got != tt.d {
					t.Errorf("WorkingDuration(%s, AddWorkingHours(%s, %s)) = %s, want %s", tt.from, tt.from, tt.d, got, tt.d)
				}
			}
		})
	}
}

func TestWorkingDuration(t *testing.T) {
	loc := rome(t)
	cal := monza(t)
	tests := []struct {
		name     string
		from, to string
		want     time.Duration
	}{
		{"morning and afternoon", "2026-11-10 09:00", "2026-11-10 15:00", 4*time.Hour + 30*time.Minute},
		{"whole weekend counts nothing", "2026-11-14 00:00", "2026-11-16 00:00", 0},
		{"Friday afternoon to Monday morning", "2026-11-13 15:00", "2026-11-16 09:30", 2 * time.Hour},
		{"over the Immacolata", "2026-12-07 08:00", "2026-12-09 23:00", 12 * time.Hour},
		{"inside the lunch break", "2026-11-10 12:45", "2026-11-10 13:45", 0},
		{"reversed is zero", "2026-11-10 15:00", "2026-11-10 09:00", 0},
		{"equal is zero", "2026-11-10 10:00", "2026-11-10 10:00", 0},
		{"a calendar month", "2026-11-01 00:00", "2026-12-01 00:00", 21 * 6 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cal.WorkingDuration(at(t, loc, tt.from), at(t, loc, tt.to)); got != tt.want {
				t.Errorf("WorkingDuration(%s, %s) = %s, want %s", tt.from, tt.to, got, tt.want)
			}
		})
	}
}

func TestWorkingDurationInvertsAddWorkingHours(t *testing.T) {
	loc := rome(t)
	cal := New(loc, townHallHours(), MonthDay{Month: time.June, Day: 24}, []Date{day(2026, time.December, 24)})
	durations := []time.Duration{time.Nanosecond, time.Minute, 47 * time.Minute, 4 * time.Hour, 6 * time.Hour, 61 * time.Hour}
	start, end := at(t, loc, "2026-01-01 00:00"), at(t, loc, "2027-01-01 00:00")
	// Every 97 minutes hits every time of day across a year, DST switches and holidays included.
	for from := start; from.Before(end); from = from.Add(97 * time.Minute) {
		prev := from
		for _, d := range durations {
			due := cal.AddWorkingHours(from, d)
			if got := cal.WorkingDuration(from, due); got != d {
				t.Fatalf("WorkingDuration(%s, AddWorkingHours(%s, %s)) = %s, want %s", fmtTime(from, loc), fmtTime(from, loc), d, got, d)
			}
			if due.Before(prev) {
				t.Fatalf("AddWorkingHours(%s, %s) = %s, earlier than for a shorter duration (%s)", fmtTime(from, loc), d, fmtTime(due, loc), fmtTime(prev, loc))
			}
			if !cal.InOfficeHours(due.Add(-time.Nanosecond)) {
				t.Fatalf("AddWorkingHours(%s, %s) = %s, which does not close office time", fmtTime(from, loc), d, fmtTime(due, loc))
			}
			prev = due
		}
	}
}

func TestDaylightSavingSwitch(t *testing.T) {
	loc := rome(t)
	cal := monza(t)
	utc := func(s string) time.Time {
		t.Helper()
		return at(t, time.UTC, s)
	}
	t.Run("office hours stay at 08:30 local", func(t *testing.T) {
		tests := []struct {
			d         Date
			wantStart time.Time
			wantEnd   time.Time
		}{
			{day(2026, time.March, 27), utc("2026-03-27 07:30"), utc("2026-03-27 15:00")}, // Friday, CET
			{day(2026, time.March, 30), utc("2026-03-30 06:30"), utc("2026-03-30 14:00")}, // Monday, CEST
			{day(2026, time.October, 23), utc("2026-10-23 06:30"), utc("2026-10-23 14:00")},
			{day(2026, time.October, 26), utc("2026-10-26 07:30"), utc("2026-10-26 15:00")},
		}
		for _, tt := range tests {
			ivs := cal.OpenIntervals(tt.d)
			if len(ivs) != 2 {
				t.Fatalf("OpenIntervals(%s) = %v, want two intervals", tt.d, ivs)
			}
			if got := ivs[0].Start; !got.Equal(tt.wantStart) {
				t.Errorf("OpenIntervals(%s) opens at %s, want %s", tt.d, got.UTC(), tt.wantStart)
			}
			if got := ivs[1].End; !got.Equal(tt.wantEnd) {
				t.Errorf("OpenIntervals(%s) closes at %s, want %s", tt.d, got.UTC(), tt.wantEnd)
			}
		}
	})
	t.Run("the switch Sunday is never worked", func(t *testing.T) {
		allWeek := New(loc, nil, MonthDay{}, nil)
		for _, d := range []Date{day(2026, time.March, 29), day(2026, time.October, 25)} {
			if allWeek.IsWorkingDay(d) {
				t.Errorf("IsWorkingDay(%s) = true, want false", d)
			}
		}
	})
	t.Run("working time across the switch", func(t *testing.T) {
		tests := []struct {
			from     string
			d        time.Duration
			want     string
			wantWall string
		}{
			{"2026-03-27 15:00", 2 * time.Hour, "2026-03-30 07:30", "09:30"},
			{"2026-03-27 08:30", 8 * time.Hour, "2026-03-30 08:30", "10:30"},
			{"2026-10-23 15:00", 2 * time.Hour, "2026-10-26 08:30", "09:30"},
			{"2026-10-23 08:30", 12 * time.Hour, "2026-10-26 15:00", "16:00"},
		}
		for _, tt := range tests {
			from := at(t, loc, tt.from)
			got := cal.AddWorkingHours(from, tt.d)
			if want := utc(tt.want); !got.Equal(want) {
				t.Errorf("AddWorkingHours(%s, %s) = %s, want %s UTC", tt.from, tt.d, fmtTime(got, loc), tt.want)
			}
			if wall := got.In(loc).Format("15:04"); wall != tt.wantWall {
				t.Errorf("AddWorkingHours(%s, %s) reads %s on the wall, want %s", tt.from, tt.d, wall, tt.wantWall)
			}
			if back := cal.WorkingDuration(from, got); back != tt.d {
				t.Errorf("WorkingDuration(%s, %s) = %s, want %s", tt.from, fmtTime(got, loc), back, tt.d)
			}
		}
	})
	t.Run("a day-count deadline after the switch", func(t *testing.T) {
		got := cal.AddWorkingDays(at(t, loc, "2026-03-27 10:00"), 1)
		if want := utc("2026-03-30 14:00"); !got.Equal(want) {
			t.Errorf("AddWorkingDays(2026-03-27, 1) = %s, want %s UTC", fmtTime(got, loc), want)
		}
	})
}

func TestInOfficeHours(t *testing.T) {
	loc := rome(t)
	cal := monza(t)
	tests := []struct {
		at   string
		want bool
	}{
		{"2026-11-10 08:29:59", false},
		{"2026-11-10 08:30", true},
		{"2026-11-10 12:29:59", true},
		{"2026-11-10 12:30", false},
		{"2026-11-10 14:00", true},
		{"2026-11-10 16:00", false},
		{"2026-11-14 10:00", false}, // Saturday
		{"2026-11-15 10:00", false}, // Sunday
		{"2026-12-08 10:00", false}, // Immacolata
		{"2026-06-24 10:00", false}, // patron saint
	}
	for _, tt := range tests {
		if got := cal.InOfficeHours(at(t, loc, tt.at)); got != tt.want {
			t.Errorf("InOfficeHours(%s) = %v, want %v", tt.at, got, tt.want)
		}
	}
}

func TestNextOfficeOpen(t *testing.T) {
	loc := rome(t)
	cal := monza(t)
	tests := []struct {
		from, want string
	}{
		{"2026-11-10 10:00", "2026-11-10 10:00"},
		{"2026-11-10 07:00", "2026-11-10 08:30"},
		{"2026-11-10 13:00", "2026-11-10 14:00"},
		{"2026-11-10 16:00", "2026-11-11 08:30"},
		{"2026-11-13 23:59", "2026-11-16 08:30"},
		{"2026-12-07 20:00", "2026-12-09 08:30"},
		{"2026-12-24 17:00", "2026-12-28 08:30"},
		{"2026-03-28 12:00", "2026-03-30 08:30"}, // across the spring switch, still 08:30
	}
	for _, tt := range tests {
		got := cal.NextOfficeOpen(at(t, loc, tt.from))
		if want := at(t, loc, tt.want); !got.Equal(want) {
			t.Errorf("NextOfficeOpen(%s) = %s, want %s", tt.from, fmtTime(got, loc), fmtTime(want, loc))
		}
		if !cal.InOfficeHours(got) {
			t.Errorf("InOfficeHours(NextOfficeOpen(%s)) = false, want true", tt.from)
		}
	}
}

func TestNewNormalizesHours(t *testing.T) {
	loc := rome(t)
	tests := []struct {
		name  string
		hours WeeklyHours
		d     Date
		want  []ClockRange
	}{
		{
			"overlapping and unsorted ranges merge",
			WeeklyHours{time.Tuesday: {{clock(14, 0), clock(16, 0)}, {clock(8, 30), clock(12, 30)}, {clock(12, 0), clock(13, 0)}}},
			day(2026, time.November, 10),
			[]ClockRange{{clock(8, 30), clock(13, 0)}, {clock(14, 0), clock(16, 0)}},
		},
		{
			"a range inside another disappears",
			WeeklyHours{time.Tuesday: {{clock(8, 30), clock(12, 30)}, {clock(9, 0), clock(10, 0)}}},
			day(2026, time.November, 10),
			[]ClockRange{{clock(8, 30), clock(12, 30)}},
		},
		{
			"ranges are clipped to the day and empty ones dropped",
			WeeklyHours{time.Tuesday: {{-time.Hour, clock(9, 0)}, {clock(10, 0), clock(10, 0)}, {clock(22, 0), 30 * time.Hour}}},
			day(2026, time.November, 10),
			[]ClockRange{{0, clock(9, 0)}, {clock(22, 0), 24 * time.Hour}},
		},
		{
			"Sunday-only hours fall back to all day Monday to Saturday",
			WeeklyHours{time.Sunday: {{clock(9, 0), clock(12, 0)}}},
			day(2026, time.November, 14),
			[]ClockRange{{0, 24 * time.Hour}},
		},
		{
			"a weekday without ranges is closed",
			WeeklyHours{time.Monday: {{clock(9, 0), clock(12, 0)}}},
			day(2026, time.November, 10),
			nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cal := New(loc, tt.hours, MonthDay{}, nil)
			got := cal.OpenIntervals(tt.d)
			if len(got) != len(tt.want) {
				t.Fatalf("OpenIntervals(%s) = %v, want %v", tt.d, got, tt.want)
			}
			for i, r := range tt.want {
				want := Interval{Start: cal.wallClock(tt.d, r.From), End: cal.wallClock(tt.d, r.To)}
				if !got[i].Start.Equal(want.Start) || !got[i].End.Equal(want.End) {
					t.Errorf("OpenIntervals(%s)[%d] = %v, want %v", tt.d, i, got[i], want)
				}
			}
		})
	}
}

func TestWeeklyHoursValidate(t *testing.T) {
	tests := []struct {
		name    string
		hours   WeeklyHours
		wantErr string // empty for valid hours
	}{
		{"town hall", townHallHours(), ""},
		{"none configured", nil, ""},
		{"until midnight", WeeklyHours{time.Saturday: {{clock(20, 0), 24 * time.Hour}}}, ""},
		{"inverted", WeeklyHours{time.Monday: {{clock(12, 0), clock(9, 0)}}}, "empty or inverted"},
		{"past midnight", WeeklyHours{time.Monday: {{clock(20, 0), 25 * time.Hour}}}, "outside"},
		{"overlap", WeeklyHours{time.Monday: {{clock(8, 0), clock(12, 0)}, {clock(11, 0), clock(13, 0)}}}, "overlaps"},
		{"Sunday only", WeeklyHours{time.Sunday: {{clock(9, 0), clock(12, 0)}}}, "no office hours from Monday to Saturday"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.hours.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Validate() = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestCalendarIsSafeForConcurrentUse(t *testing.T) {
	loc := rome(t)
	cal := monza(t)
	from := at(t, loc, "2026-12-23 10:00")
	want := cal.AddWorkingDays(from, 3)
	done := make(chan time.Time)
	for range 8 {
		go func() { done <- cal.AddWorkingDays(from, 3) }()
	}
	for range 8 {
		if got := <-done; !got.Equal(want) {
			t.Errorf("concurrent AddWorkingDays = %s, want %s", fmtTime(got, loc), fmtTime(want, loc))
		}
	}
}

func BenchmarkAddWorkingDays(b *testing.B) {
	loc := rome(b)
	cal := New(loc, townHallHours(), MonthDay{Month: time.June, Day: 24}, []Date{day(2026, time.December, 24)})
	from := at(b, loc, "2026-12-01 10:00")
	b.ReportAllocs()
	for b.Loop() {
		cal.AddWorkingDays(from, 30)
	}
}

func BenchmarkAddWorkingHours(b *testing.B) {
	loc := rome(b)
	cal := monza(b)
	from := at(b, loc, "2026-12-01 10:00")
	b.ReportAllocs()
	for b.Loop() {
		cal.AddWorkingHours(from, 60*time.Hour)
	}
}

func FuzzAddWorkingHours(f *testing.F) {
	f.Add(int64(1798099200), int64(time.Hour), int64(2*time.Hour))       // around Christmas 2026
	f.Add(int64(1774659600), int64(30*time.Minute), int64(8*time.Hour))  // Friday before the spring switch
	f.Add(int64(1792800000), int64(0), int64(12*time.Hour))              // October switch
	f.Add(int64(-1), int64(-time.Hour), int64(time.Nanosecond))          // negative inputs
	f.Add(int64(4102444800), int64(500*time.Hour), int64(501*time.Hour)) // 2100
	loc := rome(f)
	cal := New(loc, townHallHours(), MonthDay{Month: time.June, Day: 24}, []Date{day(2026, time.December, 24)})
	const maxSpan = int64(2000 * time.Hour) // about a year of office time
	f.Fuzz(func(t *testing.T, fromUnix, a, b int64) {
		// Keep from within 1970-2200 and durations within a year of office time, so that each
		// run stays fast; the properties do not depend on the magnitude.
		from := time.Unix(fromUnix%(230*365*24*3600), 0)
		da, db := time.Duration(a%maxSpan), time.Duration(b%maxSpan)
		if da > db {
			da, db = db, da
		}
		ta, tb := cal.AddWorkingHours(from, da), cal.AddWorkingHours(from, db)
		if tb.Before(ta) {
			t.Fatalf("AddWorkingHours(%s, %s) = %s is before AddWorkingHours(%s, %s) = %s", from, db, tb, from, da, ta)
		}
		if ta.Before(from) {
			t.Fatalf("AddWorkingHours(%s, %s) = %s is before from", from, da, ta)
		}
		if db > 0 {
			if got := cal.WorkingDuration(from, tb); got != db {
				t.Fatalf("WorkingDuration(%s, %s) = %s, want %s", from, tb, got, db)
			}
		}
	})
}
