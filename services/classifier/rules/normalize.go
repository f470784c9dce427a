package rules

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Normalized is the folded form of a comment that the lexicons are matched
// against, together with a map from every byte of the folded text back to
// the bytes of the original text that produced it.
type Normalized struct {
	// Text holds lowercase ASCII words separated by single spaces: accents,
	// homoglyphs, leetspeak, separators inside words, repeated letters and
	// common abbreviations are folded away.
	Text string
	// Start[i] is the byte offset in the original text of the rune that
	// produced Text[i].
	Start []int
	// End[i] is the byte offset just past that rune.
	End []int
}

// Span returns the original byte range covered by Text[i:j].
func (n Normalized) Span(i, j int) (start, end int) {
	if i < 0 || j > len(n.Text) || i >= j {
		return 0, 0
	}
	return n.Start[i], n.End[j-1]
}

// Normalize folds s for matching. It never panics, whatever the input,
// invalid UTF-8 included.
func Normalize(s string) Normalized {
	var d doc
	d.reset(s)
	d.normalize()
	out := Normalized{Text: string(d.text), Start: make([]int, len(d.text)), End: make([]int, len(d.text))}
	for i := range d.text {
		out.Start[i] = int(d.start[i])
		out.End[i] = int(d.end[i])
	}
	return out
}

// Token flags.
const (
	flagCap      = 1 << iota // first letter uppercase in the original
	flagJoined               // built from single characters separated by spaces or dots
	flagQuoted               // inside quotation marks
	flagMention              // preceded by '@'
	flagHashtag              // preceded by '#'
	flagAllCaps              // every letter uppercase in the original
	flagHasDigit             // the original token contained digits turned into letters
)

// token is one word of the folded text.
type token struct {
	s, e  int32 // byte range in doc.text
	os    int32 // original start offset
	oe    int32 // original end offset
	flags uint16
	brk   uint8 // break before the token: 0 none, 1 comma, 2 sentence end
}

// rawChar is one character of a word being built, before the word is folded.
type rawChar struct {
	c      byte // folded ASCII letter or digit, '*' for a mask, '@' '$' '!' as written
	upper  bool
	os, oe int32
}

// rawTok is a word being built together with what precedes it.
type rawTok struct {
	chars      []rawChar
	brk        uint8
	quoted     bool
	mention    bool
	hashtag    bool
	thinBefore bool // only spaces, dots or similar between this and the previous word
	joined     bool // built by joinSingles
}

// doc is the reusable working state of one classification.
type doc struct {
	src   string
	text  []byte
	start []int32
	end   []int32
	toks  []token
	raws  []rawTok
	pool  []rawChar
	tmp   []byte
	idxF  []int32
	idxL  []int32
	tokOf []int32 // byte of text -> token index
}

func (d *doc) reset(s string) {
	d.src = s
	d.text = d.text[:0]
	d.start = d.start[:0]
	d.end = d.end[:0]
	d.toks = d.toks[:0]
	d.raws = d.raws[:0]
	d.pool = d.pool[:0]
	d.tokOf = d.tokOf[:0]
}

// runeClass is what a rune becomes during folding.
type runeClass uint8

const (
	classSep       runeClass = iota // ends a word, thin (space, dot, dash...)
	classLetter                     // folded letters in buf
	classDigit                      // a digit in buf
	classInvisible                  // ignored entirely (zero-width, variation selectors, combining marks)
	classEmoji                      // pictograph: a mask inside a word, maybe a word on its own
	classComma                      // weak clause break
	classStop                       // sentence break
	classQuote                      // quotation mark
	classAt                         // '@'
	classHash                       // '#'
	classLeetSym                    // '$', '!', '*'
)

// homoglyphs maps Cyrillic and Greek letters that look like Latin ones.
var homoglyphs = map[rune]byte{
	'а': 'a', 'А': 'a', 'в': 'b', 'В': 'b', 'е': 'e', 'Е': 'e', 'ё': 'e', 'к': 'k', 'К': 'k',
	'м': 'm', 'М': 'm', 'н': 'h', 'Н': 'h', 'о': 'o', 'О': 'o', 'р': 'p', 'Р': 'p', 'с': 'c',
	'С': 'c', 'т': 't', 'Т': 't', 'у': 'y', 'У': 'y', 'х': 'x', 'Х': 'x', 'і': 'i', 'І': 'i',
	'ї': 'i', 'ј': 'j', 'Ј': 'j', 'ѕ': 's', 'Ѕ': 's', 'ԁ': 'd', 'ɡ': 'g', 'ո': 'n', 'ս': 'u',
	'α': 'a', 'Α': 'a', 'β': 'b', 'Β': 'b', 'ε': 'e', 'Ε': 'e', 'η': 'n', 'Η': 'h', 'ι': 'i',
	'Ι': 'i', 'κ': 'k', 'Κ': 'k', 'μ': 'u', 'Μ': 'm', 'ν': 'v', 'Ν': 'n', 'ο': 'o', 'Ο': 'o',
	'ρ': 'p', 'Ρ': 'p', 'τ': 't', 'Τ': 't', 'υ': 'u', 'Υ': 'y', 'χ': 'x', 'Χ': 'x', 'Ζ': 'z',
	'ζ': 'z', 'ϲ': 'c', 'ω': 'w', 'ѵ': 'v', 'Ꭺ': 'a', 'ı': 'i', 'ł': 'l', 'ø': 'o',
	'Ø': 'o', 'đ': 'd', 'ß': 's', 'æ': 'a', 'œ': 'o', '€': 'e',
}

// emojiWords gives a few pictographs the word they stand for when they are
// written as a word of their own ("dio🐷").
var emojiWords = map[rune]string{
	'🐷': "porco", '🐖': "porco", '🐽': "porco", '🐶': "cane", '🐕': "cane", '🐒': "scimmia",
	'🐵': "scimmia", '🦍': "scimmia", '🔪': "coltello", '🔫': "pistola", '🖕': "vaffanculo",
	'💩': "merda", '🐍': "serpente", '🐀': "ratto", '🐁': "topo", '🐐': "capra", '🤡': "pagliaccio",
}

func isEmojiRune(r rune) bool {
	return (r >= 0x1F000 && r <= 0x1FAFF) || (r >= 0x2600 && r <= 0x27BF) || (r >= 0x2B00 && r <= 0x2BFF) ||
		(r >= 0x2190 && r <= 0x21FF) || (r >= 0x1F900 && r <= 0x1F9FF) || r == 0x2122 || r == 0x00A9 || r == 0x00AE
}

func isInvisible(r rune) bool {
	switch {
	case r == 0x200B || r == 0x200C || r == 0x200D || r == 0x2060 || r == 0xFEFF || r == 0x00AD:
		return true
	case r >= 0xFE00 && r <= 0xFE0F, r >= 0xE0100 && r <= 0xE01EF, r >= 0x1F3FB && r <= 0x1F3FF:
		return true
	}
	return unicode.Is(unicode.Mn, r)
}

// classify folds one rune into buf and says what it is.
func (d *doc) classify(r rune, buf []byte) (runeClass, []byte) {
	buf = buf[:0]
	if r < utf8.RuneSelf {
		c := byte(r)
		switch {
		case c >= 'a' && c <= 'z':
			return classLetter, append(buf, c)
		case c >= 'A' && c <= 'Z':
			return classLetter, append(buf, c+'a'-'A')
		case c >= '0' && c <= '9':
			return classDigit, append(buf, c)
		case c == '\n' || c == '.' || c == '!' || c == '?' || c == ';' || c == ':':
			if c == '!' {
				return classLeetSym, append(buf, c)
			}
			return classStop, buf
		case c == ',':
			return classComma, buf
		case c == '"':
			return classQuote, buf
		case c == '@':
			return classAt, buf
		case c == '#':
			return classHash, buf
		case c == '$' || c == '*':
			return classLeetSym, append(buf, c)
		}
		return classSep, buf
	}
	if r == utf8.RuneError {
		return classSep, buf
	}
	if b, ok := homoglyphs[r]; ok {
		return classLetter, append(buf, b)
	}
	switch r {
	case '“', '”', '«', '»', '„', '‟', '″':
		return classQuote, buf
	case '…', '。', '！', '？':
		return classStop, buf
	case '’', '‘', '´', '`':
		return classSep, buf
	}
	if isInvisible(r) {
		return classInvisible, buf
	}
	if isEmojiRune(r) {
		return classEmoji, buf
	}
	var rb [utf8.UTFMax]byte
	n := utf8.EncodeRune(rb[:], r)
	var dec [32]byte
	decomposed := norm.NFKD.Append(dec[:0], rb[:n]...)
	letters, digits := 0, 0
	for i := 0; i < len(decomposed); {
		dr, sz := utf8.DecodeRune(decomposed[i:])
		i += sz
		switch {
		case dr >= 'a' && dr <= 'z':
			buf = append(buf, byte(dr))
			letters++
		case dr >= 'A' && dr <= 'Z':
			buf = append(buf, byte(dr)+'a'-'A')
			letters++
		case dr >= '0' && dr <= '9':
			buf = append(buf, byte(dr))
			digits++
		default:
			if hb, ok := homoglyphs[dr]; ok {
				buf = append(buf, hb)
				letters++
			}
		}
	}
	if letters > 0 {
		return classLetter, buf
	}
	if digits > 0 {
		return classDigit, buf
	}
	if unicode.IsLetter(r) {
		// A letter of another script: keep words together without guessing.
		return classLetter, append(buf, 'x')
	}
	if unicode.IsSpace(r) {
		return classSep, buf
	}
	if unicode.Is(unicode.So, r) {
		return classEmoji, buf
	}
	return classSep, buf
}

// normalize fills d.text, d.start, d.end and d.toks from d.src.
func (d *doc) normalize() {
	s := d.src
	var buf [16]byte
	var cur rawTok
	curStart := len(d.pool)
	inQuote := false
	pendingBrk := uint8(0)
	thin := true
	mention, hashtag := false, false
	lastWasLetter := false
	flush := func() {
		cur.chars = d.pool[curStart:len(d.pool):len(d.pool)]
		if len(cur.chars) > 0 {
			cur.brk = pendingBrk
			cur.thinBefore = thin
			cur.mention = mention
			cur.hashtag = hashtag
			d.raws = append(d.raws, cur)
			pendingBrk = 0
			thin = true
			mention, hashtag = false, false
		}
		cur = rawTok{quoted: inQuote}
		curStart = len(d.pool)
		lastWasLetter = false
	}
	cur.quoted = inQuote
	for i := 0; i < len(s); {
		r, sz := utf8.DecodeRuneInString(s[i:])
		os, oe := int32(i), int32(i+sz)
		i += sz
		cls, out := d.classify(r, buf[:0])
		switch cls {
		case classLetter, classDigit:
			upper := unicode.IsUpper(r)
			for k, c := range out {
				d.pool = append(d.pool, rawChar{c: c, upper: upper && k == 0, os: os, oe: oe})
			}
			lastWasLetter = cls == classLetter
		case classInvisible:
		case classLeetSym:
			c := out[0]
			if c == '!' {
				// "t!" or "d!o": an exclamation mark inside or right after a lone letter.
				n := len(d.pool) - curStart
				nextLetter := i < len(s) && isASCIIAlnum(s[i])
				// "t! aspetto" but not the last letter of "s t r o n z o!".
				loneWord := n == 1 && i+1 < len(s) && s[i] == ' ' && isASCIIAlnum(s[i+1]) &&
					(len(d.raws) == 0 || len(d.raws[len(d.raws)-1].chars) > 1)
				if lastWasLetter && (nextLetter || loneWord) {
					d.pool = append(d.pool, rawChar{c: '!', os: os, oe: oe})
					continue
				}
				flush()
				if pendingBrk < 2 {
					pendingBrk = 2
				}
				thin = false
				continue
			}
			if len(d.pool) > curStart || (i < len(s) && isASCIIAlnum(s[i])) {
				d.pool = append(d.pool, rawChar{c: c, os: os, oe: oe})
			} else {
				flush()
			}
		case classAt:
			if len(d.pool) > curStart {
				d.pool = append(d.pool, rawChar{c: '@', os: os, oe: oe})
			} else {
				flush()
				mention = true
			}
		case classHash:
			flush()
			hashtag = true
		case classEmoji:
			nextLetter := false
			if i < len(s) {
				nr, _ := utf8.DecodeRuneInString(s[i:])
				nextLetter = unicode.IsLetter(nr)
			}
			if lastWasLetter && nextLetter {
				d.pool = append(d.pool, rawChar{c: '*', os: os, oe: oe})
				lastWasLetter = false
				continue
			}
			flush()
			if w, ok := emojiWords[r]; ok {
				for k := 0; k < len(w); k++ {
					d.pool = append(d.pool, rawChar{c: w[k], os: os, oe: oe})
				}
				flush()
			}
		case classQuote:
			flush()
			inQuote = !inQuote
			cur.quoted = inQuote
			thin = false
		case classComma:
			flush()
			if pendingBrk < 1 {
				pendingBrk = 1
			}
			thin = false
		case classStop:
			flush()
			pendingBrk = 2
			if r == '\n' || r == '?' || r == ';' {
				thin = false
			}
		default:
			flush()
			if r != ' ' && r != '.' && r != '-' && r != '_' && r != '/' && r != '\'' && r != '*' && r != '\t' {
				if unicode.IsPunct(r) {
					thin = false
				}
			}
		}
	}
	flush()
	d.joinSingles()
	d.build()
}

func isASCIIAlnum(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

// joinSingles merges runs of three or more one-character words separated
// only by thin separators ("s t r o n z o", "v.a.f.f.a") into one word.
func (d *doc) joinSingles() {
	out := d.raws[:0]
	for i := 0; i < len(d.raws); {
		j := i
		for j < len(d.raws) && len(d.raws[j].chars) == 1 && isFoldedAlnum(d.raws[j].chars[0].c) && (j == i || d.raws[j].thinBefore) {
			j++
		}
		if j-i >= 3 {
			first := len(d.pool)
			for k := i; k < j; k++ {
				d.pool = append(d.pool, d.raws[k].chars[0])
			}
			t := d.raws[i]
			t.chars = d.pool[first:len(d.pool):len(d.pool)]
			t.joined = true
			t.mention = false
			out = append(out, t)
			i = j
			continue
		}
		out = append(out, d.raws[i])
		i++
	}
	d.raws = out
}

func isFoldedAlnum(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
}
