package rules

import "strings"

// phone is a validated Italian phone number found in the text.
type phone struct {
	digits string
	ts, te int // token range
	mobile bool
}

// compactChar is one ASCII letter or digit of the original text, uppercase.
type compactChar struct {
	c   byte
	off int32
	gap bool // a separator precedes it
}

// numberWords maps spelled digits (folded) to their value.
var numberWords = map[string]byte{
	"zero": '0', "uno": '1', "due": '2', "tre": '3', "quatro": '4', "cinque": '5', "sei": '6', "sete": '7',
	"oto": '8', "nove": '9',
}

// phones finds phone numbers written with spaces, dots, dashes or words.
func (c *classifier) phones() []phone {
	d := c.d
	var out []phone
	var buf [24]byte
	for i := 0; i < len(d.toks); {
		n := 0
		j := i
		for j < len(d.toks) && n < 20 {
			t := d.toks[j]
			if j > i && t.os-d.toks[j-1].oe > 2 {
				break
			}
			w := d.text[t.s:t.e]
			if isDigitTok(c, j) {
				if n+len(w) > len(buf) {
					break
				}
				n += copy(buf[n:], w)
			} else if v, ok := numberWords[string(w)]; ok {
				buf[n] = v
				n++
			} else {
				break
			}
			j++
		}
		if j == i {
			i++
			continue
		}
		digits := string(buf[:n])
		switch {
		case strings.HasPrefix(digits, "0039") && len(digits) >= 12:
			digits = digits[4:]
		case strings.HasPrefix(digits, "39") && len(digits) >= 11:
			digits = digits[2:]
		}
		mobile := digits[0] == '3' && len(digits) >= 9 && len(digits) <= 10
		land := digits[0] == '0' && len(digits) >= 8 && len(digits) <= 11
		if mobile || land {
			out = append(out, phone{digits: digits, ts: i, te: j, mobile: mobile})
		}
		i = j
	}
	return out
}

func (c *classifier) phoneCount() int { return len(c.phones()) }

// mobileCount counts Italian mobile numbers, which businesses advertise and offices do not.
func (c *classifier) mobileCount() int {
	n := 0
	for _, p := range c.phones() {
		if p.mobile {
			n++
		}
	}
	return n
}

// buildCompact fills the uppercase alphanumeric view of the original text.
func (c *classifier) buildCompact() []compactChar {
	src := c.in.Text
	out := c.s.compact[:0]
	gap := true
	for i := 0; i < len(src); i++ {
		b := src[i]
		switch {
		case b >= 'a' && b <= 'z':
			out = append(out, compactChar{c: b - 'a' + 'A', off: int32(i), gap: gap})
			gap = false
		case b >= 'A' && b <= 'Z', b >= '0' && b <= '9':
			out = append(out, compactChar{c: b, off: int32(i), gap: gap})
			gap = false
		default:
			gap = true
		}
	}
	c.s.compact = out
	return out
}

// windowAt copies n characters from position i when they form whole words.
func windowAt(cc []compactChar, i, n int, buf []byte) ([]byte, bool) {
	if i+n > len(cc) || !cc[i].gap || (i+n < len(cc) && !cc[i+n].gap) {
		return nil, false
	}
	buf = buf[:0]
	for k := i; k < i+n; k++ {
		buf = append(buf, cc[k].c)
	}
	return buf, true
}

// detectPersonalData finds third parties' identifiers and sensitive facts
// about named people.
func (c *classifier) detectPersonalData() {
	d := c.d
	cc := c.buildCompact()
	var buf [32]byte
	ownContact := func(v string) bool {
		if c.opt == nil {
			return false
		}
		for _, ct := range c.opt.Contacts {
			if digitsOnly(ct) != "" && digitsOnly(ct) == digitsOnly(v) {
				return true
			}
			if strings.EqualFold(strings.TrimSpace(ct), v) {
				return true
			}
		}
		return false
	}
	commercial := c.on(catCommercial)
	identifiers := !c.in.Private // one's own data in a private message is just the request
	plates := 0
	for i := 0; i < len(cc); i++ {
		if !cc[i].gap {
			continue
		}
		if w, ok := windowAt(cc, i, 16, buf[:]); ok && ValidCodiceFiscale(string(w)) && identifiers {
			c.set(catPersonalData, 0.95)
			c.evRaw(catPersonalData, "pd.codice_fiscale", int(cc[i].off), int(cc[i+15].off)+1)
		}
		if w, ok := windowAt(cc, i, 27, buf[:]); ok && w[0] == 'I' && w[1] == 'T' && ValidIBAN(string(w)) && identifiers && !commercial {
			c.set(catPersonalData, 0.9)
			c.evRaw(catPersonalData, "pd.iban", int(cc[i].off), int(cc[i+26].off)+1)
		}
		if w, ok := windowAt(cc, i, 7, buf[:]); ok && ValidPlate(string(w)) {
			plates++
		}
	}
	named := c.namedPeople()
	// Phones.
	for _, p := range c.phones() {
		if ownContact(p.digits) || commercial || !identifiers || strings.HasPrefix(p.digits, "800") || strings.HasPrefix(p.digits, "803") {
			continue
		}
		private := c.near(kPrivate, int32(p.ts), int32(p.te), 10, 0, false) >= 0
		inst := c.near(kInstitution, int32(p.ts), int32(p.te), 8, 0, false) >= 0
		if inst && !private {
			continue
		}
		score := 0.65
		if private || named {
			score = 0.9
		}
		c.set(catPersonalData, score)
		c.evTok(catPersonalData, "pd.phone", p.ts, p.te)
	}
	// E-mail addresses.
	for _, l := range c.s.links {
		if !l.email || l.class == linkAllowed || commercial || !identifiers || ownContact(c.in.Text[l.start:l.end]) {
			continue
		}
		personal := false
		for _, pm := range personalMail {
			if strings.HasPrefix(l.host, pm) || strings.Contains(l.host, "."+pm) {
				personal = true
			}
		}
		if !personal && !named && !c.has(kPrivate) {
			continue
		}
		c.set(catPersonalData, 0.85)
		c.evRaw(catPersonalData, "pd.email", l.start, l.end)
	}
	if !named {
		return
	}
	// Sensitive facts, an address or a plate tied to a named person.
	for _, k := range [...]kind{kHealth, kJudicial, kOrientation} {
		for _, h := range c.s.hits[k] {
			if c.quoted(h) {
				continue
			}
			c.set(catPersonalData, 0.8)
			c.evHit(catPersonalData, h)
		}
	}
	for _, h := range c.s.hits[kResidence] {
		id := c.e.lex.entries[h.e].id
		home := strings.HasPrefix(id, "residence:abita") || strings.HasPrefix(id, "residence:vive") || strings.Contains(id, "civico") || strings.Contains(id, "piano")
		if !home {
			for j := int(h.te); j < min(len(d.toks), int(h.te)+4); j++ {
				if isDigitTok(c, j) && len(c.tok(j)) <= 3 {
					home = true
					break
				}
			}
		}
		if home {
			c.set(catPersonalData, 0.8)
			c.evHit(catPersonalData, h)
		}
	}
	if plates > 0 {
		c.set(catPersonalData, 0.8)
	}
}

// namedPeople reports whether the comment names a private person: a known
// first name followed by a capitalised surname, or a title followed by a
// capitalised name ("il sig. Sironi").
func (c *classifier) namedPeople() bool {
	d := c.d
	for i := 0; i+1 < len(d.toks); i++ {
		t, n := d.toks[i], d.toks[i+1]
		if n.flags&flagCap == 0 || n.flags&flagMention != 0 || t.flags&flagMention != 0 || n.brk != 0 {
			continue
		}
		if c.tokHas(i, kFirstName) && t.flags&flagCap != 0 {
			if c.tokHas(i+1, kFirstName) || c.tokHas(i+1, kPersonTarget) && !c.tokIs(i+1, "re") {
				continue
			}
			return true
		}
		if c.tokIn(i, "signor", "signora", "sig", "sigra", "dot", "dotor", "dotoresa", "maestra", "maestro") && i+2 < len(d.toks) && d.toks[i+2].flags&flagCap != 0 {
			return true
		}
	}
	return false
}

func digitsOnly(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b.WriteByte(s[i])
		}
	}
	r := b.String()
	switch {
	case strings.HasPrefix(r, "0039") && len(r) >= 12:
		r = r[4:]
	case strings.HasPrefix(r, "39") && len(r) >= 11:
		r = r[2:]
	}
	return r
}
