package rules

// omocodia lists the letters that replace digits in a codice fiscale when
// two people would otherwise share one (L=0, M=1, ... V=9).
const omocodia = "LMNPQRSTUV"

// monthCodes are the letters of the months in a codice fiscale.
const monthCodes = "ABCDEHLMPRST"

// cfOdd is the value of a character in an odd (1st, 3rd, ...) position.
var cfOdd = [36]int{
	1, 0, 5, 7, 9, 13, 15, 17, 19, 21, // 0-9
	1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23, // A-Z
}

func isUpper(b byte) bool { return b >= 'A' && b <= 'Z' }
func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// cfDigit reads a digit position of a codice fiscale, omocodia included.
func cfDigit(b byte) (int, bool) {
	if isDigit(b) {
		return int(b - '0'), true
	}
	for i := 0; i < len(omocodia); i++ {
		if omocodia[i] == b {
			return i, true
		}
	}
	return 0, false
}

// ValidCodiceFiscale reports whether s (16 uppercase characters) is a
// well-formed Italian codice fiscale with the right check character,
// omocodia included.
func ValidCodiceFiscale(s string) bool {
	if len(s) != 16 {
		return false
	}
	for i := 0; i < 6; i++ {
		if !isUpper(s[i]) {
			return false
		}
	}
	digitPos := [...]int{6, 7, 9, 10, 12, 13, 14}
	var vals [16]int
	for _, p := range digitPos {
		v, ok := cfDigit(s[p])
		if !ok {
			return false
		}
		vals[p] = v
	}
	month := false
	for i := 0; i < len(monthCodes); i++ {
		if monthCodes[i] == s[8] {
			month = true
		}
	}
	if !month || !isUpper(s[11]) || !isUpper(s[15]) {
		return false
	}
	day := vals[9]*10 + vals[10]
	if !(day >= 1 && day <= 31) && !(day >= 41 && day <= 71) {
		return false
	}
	sum := 0
	for i := 0; i < 15; i++ {
		b := s[i]
		idx := 0
		if isDigit(b) {
			idx = int(b - '0')
		} else {
			idx = 10 + int(b-'A')
		}
		if i%2 == 0 {
			sum += cfOdd[idx]
		} else if isDigit(b) {
			sum += int(b - '0')
		} else {
			sum += int(b - 'A')
		}
	}
	return s[15] == byte('A'+sum%26)
}

// ValidIBAN reports whether s (uppercase, no spaces) is an IBAN with a
// correct mod-97 check; Italian IBANs must also be 27 characters long.
func ValidIBAN(s string) bool {
	if len(s) < 15 || len(s) > 34 || !isUpper(s[0]) || !isUpper(s[1]) || !isDigit(s[2]) || !isDigit(s[3]) {
		return false
	}
	if s[:2] == "IT" && (len(s) != 27 || !isUpper(s[4])) {
		return false
	}
	rem := 0
	for k := 0; k < len(s); k++ {
		b := s[(k+4)%len(s)]
		switch {
		case isDigit(b):
			rem = (rem*10 + int(b-'0')) % 97
		case isUpper(b):
			v := int(b-'A') + 10
			rem = (rem*100 + v) % 97
		default:
			return false
		}
	}
	return rem == 1
}

// plateLetter reports letters used on Italian plates (no I, O, Q, U).
func plateLetter(b byte) bool {
	return isUpper(b) && b != 'I' && b != 'O' && b != 'Q' && b != 'U'
}

// ValidPlate reports whether s (7 uppercase characters, no spaces) has the
// shape of a current Italian car plate: two letters, three digits, two letters.
func ValidPlate(s string) bool {
	if len(s) != 7 {
		return false
	}
	return plateLetter(s[0]) && plateLetter(s[1]) && isDigit(s[2]) && isDigit(s[3]) && isDigit(s[4]) &&
		plateLetter(s[5]) && plateLetter(s[6])
}

// ValidItalianPhone reports whether the digits (no prefix, no separators)
// form an Italian mobile (3xx, 9-10 digits) or landline (0xx, 6-11 digits) number.
func ValidItalianPhone(digits string) bool {
	if len(digits) == 0 {
		return false
	}
	for i := 0; i < len(digits); i++ {
		if !isDigit(digits[i]) {
			return false
		}
	}
	switch digits[0] {
	case '3':
		return len(digits) >= 9 && len(digits) <= 10
	case '0':
		return len(digits) >= 6 && len(digits) <= 11
	}
	return false
}
