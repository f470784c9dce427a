package calendar

import (
	"encoding/json"
	"slices"
	"testing"
	"time"
)

func TestEaster(t *testing.T) {
	tests := []struct {
		year         int
		sunday       Date
		easterMonday Date
	}{
		{2024, day(2024, time.March, 31), day(2024, time.April, 1)},
		{2025, day(2025, time.April, 20), day(2025, time.April, 21)},
		{2026, day(2026, time.April, 5), day(2026, time.April, 6)},
		{2027, day(2027, time.March, 28), day(2027, time.March, 29)},
		{2028, day(2028, time.April, 16), day(2028, time.April, 17)},
		{2029, day(2029, time.April, 1), day(2029, time.April, 2)},
		{2030, day(2030, time.April, 21), day(2030, time.April, 22)},
		{2031, day(2031, time.April, 13), day(2031, time.April, 14)},
		{2032, day(2032, time.March, 28), day(2032, time.March, 29)},
	}
	cal := New(nil, nil, MonthDay{}, nil)
	for _, tt := range tests {
		if got := Easter(tt.year); got != tt.sunday {
			t.Errorf("Easter(%d) = %s, want %s", tt.year, got, tt.sunday)
		}
		if name, ok := cal.IsHoliday(tt.sunday); !ok || name != easterName {
			t.Errorf("IsHoliday(%s) = %q, %v, want %q, true", tt.sunday, name, ok, easterName)
		}
		if name, ok := cal.IsHoliday(tt.easterMonday); !ok || name != easterMondayName {
			t.Errorf("IsHoliday(%s) = %q, %v, want %q, true", tt.easterMonday, name, ok, easterMondayName)
		}
		if cal.IsWorkingDay(tt.easterMonday) {
			t.Errorf("IsWorkingDay(%s) = true, want false (Easter Monday)", tt.easterMonday)
		}
		if tuesday := tt.easterMonday.AddDays(1); !cal.IsWorkingDay(tuesday) {
			t.Errorf("IsWorkingDay(%s) = false, want true (the Tuesday after Easter)", tuesday)
		}
	}
}

// gaussEaster is Gauss's Easter algorithm with its two Gregorian exceptions, an independent
// method to check the computus against.
func gaussEaster(year int) Date {
	a, b, c := year%19, year%4, year%7
	k := year / 100
	p := (13 + 8*k) / 25
	q := k / 4
	m := (15 - p + k - q) % 30
	n := (4 + k - q) % 7
	d := (19*a + m) % 30
	e := (2*b + 4*c + 6*d + n) % 7
	switch {
	case d == 29 && e == 6:
		return day(year, time.April, 19)
	case d == 28 && e == 6 && (11*m+11)%30 < 19:
		return day(year, time.April, 18)
	}
	return day(year, time.March, 22).AddDays(d + e)
}

func TestEasterExtremes(t *testing.T) {
	// The earliest (22 March) and latest (25 April) possible dates. On 25 April Easter coincides
	// with the Festa della Liberazione, and IsHoliday names the fixed holiday.
	tests := []struct {
		year int
		want Date
	}{
		{1818, day(1818, time.March, 22)},
		{2285, day(2285, time.March, 22)},
		{1943, day(1943, time.April, 25)},
		{2038, day(2038, time.April, 25)},
	}
	for _, tt := range tests {
		if got := Easter(tt.year); got != tt.want {
			t.Errorf("Easter(%d) = %s, want %s", tt.year, got, tt.want)
		}
	}
	cal := New(nil, nil, MonthDay{}, nil)
	if name, ok := cal.IsHoliday(day(2038, time.April, 25)); !ok || name != "Festa della Liberazione" {
		t.Errorf("IsHoliday(2038-04-25) = %q, %v, want %q, true", name, ok, "Festa della Liberazione")
	}
	if name, ok := cal.IsHoliday(day(2038, time.April, 26)); !ok || name != easterMondayName {
		t.Errorf("IsHoliday(2038-04-26) = %q, %v, want %q, true", name, ok, easterMondayName)
	}
}

func TestEasterAgreesWithGauss(t *testing.T) {
	for year := 1583; year <= 4099; year++ {
		got, want := Easter(year), gaussEaster(year)
		if got != want {
			t.Fatalf("Easter(%d) = %s, want %s (Gauss)", year, got, want)
		}
		if got.Weekday() != time.Sunday {
			t.Fatalf("Easter(%d) = %s is a %s, want Sunday", year, got, got.Weekday())
		}
		if got.Before(day(year, time.March, 22)) || got.After(day(year, time.April, 25)) {
			t.Fatalf("Easter(%d) = %s, outside 22 March - 25 April", year, got)
		}
	}
}

func TestNationalHolidays(t *testing.T) {
	base := func(y int) []Holiday {
		return []Holiday{
			{day(y, time.January, 1), "Capodanno"},
			{day(y, time.January, 6), "Epifania"},
			{day(y, time.April, 25), "Festa della Liberazione"},
			{day(y, time.May, 1), "Festa del Lavoro"},
			{day(y, time.June, 2), "Festa della Repubblica"},
			{day(y, time.August, 15), "Assunzione di Maria (Ferragosto)"},
			{day(y, time.November, 1), "Ognissanti"},
			{day(y, time.December, 8), "Immacolata Concezione"},
			{day(y, time.December, 25), "Natale"},
			{day(y, time.December, 26), "Santo Stefano"},
		}
	}
	withEaster := func(hs []Holiday, sunday Date) []Holiday {
		hs = append(hs, Holiday{sunday, easterName}, Holiday{sunday.AddDays(1), easterMondayName})
		slices.SortStableFunc(hs, func(a, b Holiday) int { return a.Date.Compare(b.Date) })
		return hs
	}
	saintFrancis := func(y int) Holiday {
		return Holiday{day(y, time.October, 4), "San Francesco d'Assisi, patrono d'Italia"}
	}
	tests := []struct {
		year int
		want []Holiday
	}{
		{2024, withEaster(base(2024), day(2024, time.March, 31))},
		{2025, withEaster(base(2025), day(2025, time.April, 20))},
		{2026, withEaster(append(base(2026), saintFrancis(2026)), day(2026, time.April, 5))},
		{2027, withEaster(append(base(2027), saintFrancis(2027)), day(2027, time.March, 28))},
	}
	for _, tt := range tests {
		got := NationalHolidays(tt.year)
		if !slices.Equal(got, tt.want) {
			t.Errorf("NationalHolidays(%d) =\n%v\nwant\n%v", tt.year, got, tt.want)
		}
		cal := New(nil, nil, MonthDay{}, nil)
		for _, h := range tt.want {
			if name, ok := cal.IsHoliday(h.Date); !ok || name != h.Name {
				t.Errorf("IsHoliday(%s) = %q, %v, want %q, true", h.Date, name, ok, h.Name)
			}
			if cal.IsWorkingDay(h.Date) {
				t.Errorf("IsWorkingDay(%s) = true, want false (%s)", h.Date, h.Name)
			}
		}
	}
}

func TestSaintFrancisFrom2026(t *testing.T) {
	// An all-day Monday-Saturday calendar, so that 4 October 2025 (a Saturday) would be worked.
	cal := New(rome(t), nil, MonthDay{}, nil)
	tests := []struct {
		d           Date
		wantHoliday bool
		wantWorking bool
	}{
		{day(2024, time.October, 4), false, true},  // Friday
		{day(2025, time.October, 4), false, true},  // Saturday
		{day(2026, time.October, 4), true, false},  // Sunday, and a holiday again
		{day(2027, time.October, 4), true, false},  // Monday
		{day(2030, time.October, 4), true, false},  // Friday
		{day(2027, time.October, 5), false, true},  // the day after stays a working day
		{day(2026, time.October, 3), false, true},  // Saturday before
		{day(2031, time.October, 4), true, false},  // Saturday
		{day(2026, time.October, 14), false, true}, // not confused with another day of October
	}
	for _, tt := range tests {
		_, gotHoliday := cal.IsHoliday(tt.d)
		if gotHoliday != tt.wantHoliday {
			t.Errorf("IsHoliday(%s) = %v, want %v", tt.d, gotHoliday, tt.wantHoliday)
		}
		if got := cal.IsWorkingDay(tt.d); got != tt.wantWorking {
			t.Errorf("IsWorkingDay(%s) = %v, want %v", tt.d, got, tt.wantWorking)
		}
	}
}

func TestHolidayJSONKeepsName(t *testing.T) {
	got, err := json.Marshal(Holiday{Date: day(2026, time.June, 24), Name: PatronName})
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	want := `{"Date":"2026-06-24","Name":"Festa del santo patrono"}`
	if string(got) != want {
		t.Errorf("json = %s, want %s", got, want)
	}
}
