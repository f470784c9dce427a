package calendar

import (
	"slices"
	"time"
)

// Holiday is a named non-working day. Date is a named field rather than an embedded one so that
// Date's MarshalText is not promoted to Holiday, which would make JSON drop the name.
type Holiday struct {
	// Date is the day of the holiday.
	Date Date
	// Name is the holiday's Italian name, as shown to citizens and staff.
	Name string
}

// Names of the non-national closing days, in Italian because staff and citizens read them.
const (
	PatronName  = "Festa del santo patrono"
	ClosureName = "Chiusura straordinaria degli uffici"
)

// saintFrancisFrom is the first year in which 4 October (San Francesco d'Assisi, patron saint of
// Italy) is again a national holiday; it was abolished as a holiday in 1977 and restored by law
// from 2026.
const saintFrancisFrom = 2026

// Easter returns the date of Easter Sunday in the given year of the Gregorian calendar, by the
// anonymous Gregorian computus (Meeus/Jones/Butcher). It is meaningful from 1583 on.
func Easter(year int) Date {
	a := year % 19 // position in the 19-year Metonic cycle
	b, c := year/100, year%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30 // epact-derived offset of the paschal full moon
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7 // days from the full moon to the following Sunday
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return Date{Year: year, Month: time.Month(month), Day: day}
}

// fixedHoliday is a national holiday on the same day every year.
type fixedHoliday struct {
	day  MonthDay
	name string
	from int // first year the holiday applies; 0 means every year the package models
}

// fixedHolidays are the national holidays of L. 260/1949 and later laws that fall on a fixed day,
// as in force today. The package models the current law (Epiphany restored in 1985, 2 June in
// 2001), not the history of earlier decades, because deadlines are computed for the present.
var fixedHolidays = [...]fixedHoliday{
	{MonthDay{time.January, 1}, "Capodanno", 0},
	{MonthDay{time.January, 6}, "Epifania", 0},
	{MonthDay{time.April, 25}, "Festa della Liberazione", 0},
	{MonthDay{time.May, 1}, "Festa del Lavoro", 0},
	{MonthDay{time.June, 2}, "Festa della Repubblica", 0},
	{MonthDay{time.August, 15}, "Assunzione di Maria (Ferragosto)", 0},
	{MonthDay{time.October, 4}, "San Francesco d'Assisi, patrono d'Italia", saintFrancisFrom},
	{MonthDay{time.November, 1}, "Ognissanti", 0},
	{MonthDay{time.December, 8}, "Immacolata Concezione", 0},
	{MonthDay{time.December, 25}, "Natale", 0},
	{MonthDay{time.December, 26}, "Santo Stefano", 0},
}

// Names of the movable national holidays.
const (
	easterName       = "Pasqua"
	easterMondayName = "Lunedì dell'Angelo (Pasquetta)"
)

// NationalHolidays returns Italy's national holidays in the given year, sorted by date. Sundays
// are non-working days but not holidays and are not listed, except Easter Sunday, which is named.
func NationalHolidays(year int) []Holiday {
	easter := Easter(year)
	out := []Holiday{
		{Date: easter, Name: easterName},
		{Date: easter.AddDays(1), Name: easterMondayName},
	}
	for _, h := range fixedHolidays {
		if year < h.from {
			continue
		}
		out = append(out, Holiday{Date: Date{Year: year, Month: h.day.Month, Day: h.day.Day}, Name: h.name})
	}
	slices.SortStableFunc(out, func(a, b Holiday) int { return a.Date.Compare(b.Date) })
	return out
}

// nationalHoliday returns the name of the national holiday on d, without building the year's
// list: it is on the hot path of every deadline computation.
func nationalHoliday(d Date) (string, bool) {
	for _, h := range fixedHolidays {
		if d.Year >= h.from && h.day.matches(d) {
			return h.name, true
		}
	}
	// Easter falls between 22 March and 26 April (Easter Monday), so other months skip the
	// computus.
	if d.Month != time.March && d.Month != time.April {
		return "", false
	}
	switch easter := Easter(d.Year); d {
	case easter:
		return easterName, true
	case easter.AddDays(1):
		return easterMondayName, true
	}
	return "", false
}
