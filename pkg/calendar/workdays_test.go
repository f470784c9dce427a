package calendar

import (
	"testing"
	"time"
)

// The per-year tables give the same answer as the rules on every day from 1960 to 2210, in and
// out of the cached years, for offices with and without Saturday hours, a patron saint (on 29
// February too) and closures; asking in any order, from many goroutines, changes nothing.
func TestWorkingDayTablesAgreeWithTheRules(t *testing.T) {
	loc := rome(t)
	saturdayClosed := townHallHours()
	delete(saturdayClosed, time.Saturday)
	cals := map[string]*Calendar{
		"town hall":        New(loc, townHallHours(), MonthDay{Month: time.June, Day: 24}, []Date{day(2026, time.December, 24), day(2100, time.March, 1)}),
		"saturday closed":  New(loc, saturdayClosed, MonthDay{Month: time.February, Day: 29}, nil),
		"no hours":         New(nil, nil, MonthDay{}, nil),
		"monza (fixtures)": monza(t),
	}
	for name, c := range cals {
		done := make(chan struct{})
		for range 4 { // build the tables concurrently, from the other end
			go func() {
				defer func() { done <- struct{}{} }()
				for y := 2210; y >= 1960; y -= 7 {
					c.IsWorkingDay(Date{Year: y, Month: time.July, Day: 1})
				}
			}()
		}
		for range 4 {
			<-done
		}
		for d := day(1960, time.January, 1); d.Year <= 2210; d = d.next() {
			if got, want := c.IsWorkingDay(d), c.isWorkingDayByRules(d); got != want {
				t.Fatalf("%s: IsWorkingDay(%s) = %v, the rules say %v", name, d, got, want)
			}
		}
	}
}

// next, prev and yearDay agree with the time package, across month ends, leap days and years.
func TestDateStepsAgreeWithTime(t *testing.T) {
	for d := day(1899, time.December, 1); d.Year <= 2101; d = d.next() {
		tm := d.noonUTC()
		if !d.valid() {
			t.Fatalf("%s is not valid", d)
		}
		if got, want := d.next(), DateOf(tm.AddDate(0, 0, 1)); got != want {
			t.Fatalf("%s.next() = %s, want %s", d, got, want)
		}
		if got, want := d.prev(), DateOf(tm.AddDate(0, 0, -1)); got != want {
			t.Fatalf("%s.prev() = %s, want %s", d, got, want)
		}
		if got, want := d.yearDay(), tm.YearDay(); got != want {
			t.Fatalf("%s.yearDay() = %d, want %d", d, got, want)
		}
	}
	for _, d := range []Date{{2026, 2, 29}, {2026, 13, 1}, {2026, 0, 10}, {2024, 4, 31}, {2024, 1, 0}, {1900, 2, 29}} {
		if d.valid() {
			t.Errorf("%v is taken for a real day", d)
		}
	}
	// An out-of-range date is normalised first, as before: 30 February 2026 is 2 March, a Monday.
	if !monza(t).IsWorkingDay(Date{2026, time.February, 30}) {
		t.Error("Date{2026, 2, 30} (Monday 2 March) is not a working day")
	}
}
