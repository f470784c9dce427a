package calendar

import (
	"encoding/json"
	"testing"
	"time"
)

func TestDateArithmetic(t *testing.T) {
	tests := []struct {
		from Date
		n    int
		want Date
	}{
		{day(2026, time.December, 31), 1, day(2027, time.January, 1)},
		{day(2028, time.February, 28), 1, day(2028, time.February, 29)},
		{day(2027, time.February, 28), 1, day(2027, time.March, 1)},
		{day(2026, time.March, 1), -1, day(2026, time.February, 28)},
		{day(2026, time.March, 28), 2, day(2026, time.March, 30)}, // across the DST switch
		{day(2026, time.November, 10), 0, day(2026, time.November, 10)},
	}
	for _, tt := range tests {
		if got := tt.from.AddDays(tt.n); got != tt.want {
			t.Errorf("%s.AddDays(%d) = %s, want %s", tt.from, tt.n, got, tt.want)
		}
	}
	if got := day(2026, time.November, 10).Weekday(); got != time.Tuesday {
		t.Errorf("2026-11-10 weekday = %s, want Tuesday", got)
	}
	ordered := []Date{day(2025, time.December, 31), day(2026, time.January, 1), day(2026, time.January, 2), day(2026, time.February, 1)}
	for i := range ordered {
		for j := range ordered {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := ordered[i].Compare(ordered[j]); got != want {
				t.Errorf("%s.Compare(%s) = %d, want %d", ordered[i], ordered[j], got, want)
			}
		}
	}
}

func TestDateOf(t *testing.T) {
	loc := rome(t)
	instant := time.Date(2026, time.December, 31, 23, 30, 0, 0, time.UTC)
	if got, want := DateOf(instant), day(2026, time.December, 31); got != want {
		t.Errorf("DateOf(%s) = %s, want %s", instant, got, want)
	}
	if got, want := DateOf(instant.In(loc)), day(2027, time.January, 1); got != want {
		t.Errorf("DateOf(%s in Rome) = %s, want %s", instant, got, want)
	}
}

func TestParse(t *testing.T) {
	dates := []struct {
		in      string
		want    Date
		wantErr bool
	}{
		{"2026-06-24", day(2026, time.June, 24), false},
		{" 2028-02-29 ", day(2028, time.February, 29), false},
		{"2027-02-29", Date{}, true},
		{"24/06/2026", Date{}, true},
	}
	for _, tt := range dates {
		got, err := ParseDate(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseDate(%q) = %s, %v, want %s, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	monthDays := []struct {
		in      string
		want    MonthDay
		wantErr bool
	}{
		{"06-24", MonthDay{time.June, 24}, false},
		{"02-29", MonthDay{time.February, 29}, false},
		{"02-30", MonthDay{}, true},
		{"13-01", MonthDay{}, true},
	}
	for _, tt := range monthDays {
		got, err := ParseMonthDay(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseMonthDay(%q) = %s, %v, want %s, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	ranges := []struct {
		in      string
		want    ClockRange
		wantErr bool
	}{
		{"08:30-12:30", ClockRange{clock(8, 30), clock(12, 30)}, false},
		{"14:00–16:00", ClockRange{clock(14, 0), clock(16, 0)}, false},
		{" 20:00 - 24:00 ", ClockRange{clock(20, 0), 24 * time.Hour}, false},
		{"12:30-08:30", ClockRange{}, true},
		{"08:30", ClockRange{}, true},
		{"08:60-09:00", ClockRange{}, true},
		{"24:30-25:00", ClockRange{}, true},
		{"8h-9h", ClockRange{}, true},
	}
	for _, tt := range ranges {
		got, err := ParseClockRange(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseClockRange(%q) = %s, %v, want %s, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestTextRoundTrip(t *testing.T) {
	type config struct {
		Patron   MonthDay
		Closures []Date
		Hours    map[time.Weekday][]ClockRange
	}
	in := config{
		Patron:   MonthDay{time.June, 24},
		Closures: []Date{day(2026, time.December, 24)},
		Hours:    map[time.Weekday][]ClockRange{time.Monday: {{clock(8, 30), clock(12, 30)}}},
	}
	raw, err := json.Marshal(in)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	const want = `{"Patron":"06-24","Closures":["2026-12-24"],"Hours":{"1":["08:30-12:30"]}}`
	if string(raw) != want {
		t.Errorf("json = %s, want %s", raw, want)
	}
	var out config
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	if out.Patron != in.Patron || out.Closures[0] != in.Closures[0] || out.Hours[time.Monday][0] != in.Hours[time.Monday][0] {
		t.Errorf("round trip = %+v, want %+v", out, in)
	}
	if got := (ClockRange{clock(8, 30), clock(8, 30) + 90*time.Second}).String(); got != "08:30-08:31:30" {
		t.Errorf("ClockRange.String() = %q, want %q", got, "08:30-08:31:30")
	}
}
