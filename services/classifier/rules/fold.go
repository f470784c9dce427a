package rules

// leet maps digits and symbols used as letters inside words.
func leet(c byte) byte {
	switch c {
	case '0':
		return 'o'
	case '1', '!':
		return 'i'
	case '3':
		return 'e'
	case '4', '@':
		return 'a'
	case '5', '$':
		return 's'
	case '7':
		return 't'
	}
	return c
}

// abbreviations expands the shorthand of chat writing. Keys are compared
// before repeated letters are collapsed.
var abbreviations = map[string]string{
	"nn": "non", "x": "per", "cmq": "comunque", "xke": "perche", "xche": "perche", "perke": "perche",
	"xk": "perche", "ke": "che", "k": "che", "ki": "chi", "qlc": "qualche", "qlcs": "qualcosa",
	"qlcn": "qualcuno", "qlcuno": "qualcuno", "tt": "tutti", "sn": "sono", "dv": "dove", "pvt": "privato",
	"msg": "messaggio", "cell": "cellulare", "grz": "grazie", "anke": "anche", "kn": "con", "cn": "con",
	"xo": "pero", "vaff": "vaffanculo", "fanc": "fanculo", "mln": "milioni", "sx": "sinistra", "dx": "destra",
	"nessun1": "nessuno", "qst": "questo", "qnd": "quando", "qdo": "quando", "cm": "come", "dm": "domani",
	"tel": "telefono", "nr": "numero", "num": "numero", "cazz": "cazzo", "stronz": "stronzo",
}

// maskWords are the words a censored or emoji-split word is compared with
// ("c**o", "m🤬rda", "porcodd*o"). They are written in folded form with
// repeated letters already collapsed; a trailing '+' allows a short suffix.
var maskWords = []string{
	"cazo", "cazi", "cazata", "cazate", "merda", "merde", "merdoso", "stronzo", "stronza", "stronzi", "stronzate",
	"coglione", "coglioni", "cogliona", "minchia", "puttana", "putane", "troia", "troie", "vafanculo", "fanculo",
	"dio", "madona", "cristo", "gesu", "porco", "porca", "porcodio", "diocane", "dioporco", "porcamadona",
	"idiota", "idioti", "imbecile", "imbecili", "cretino", "cretini", "deficiente", "deficienti", "bastardo",
	"bastardi", "frocio", "froci", "negro", "negri", "negra", "negre", "ricchione", "ricchioni", "culatone",
	"zingaro", "zingari", "fica", "figa", "culo", "incula+", "fotut+", "fotere", "sfiga+", "scopare", "pompino",
	"mignota", "zocola", "zocole", "terone", "teroni", "ebrei", "ebreo", "islamici", "musulmani", "pirla",
	"ciula", "cesso", "schifo", "cagare", "pisciare", "rompicoglioni", "rompipale", "sega", "seghe", "pezente",
	"handicapato", "handicapati", "mongoloide", "mongoloidi", "ritardato", "ritardati", "coglionata",
}

// globMatch reports whether the masked word p ('*' stands for up to three
// hidden letters) can be w. A trailing '+' in w allows up to four more letters.
func globMatch(p, w string) bool {
	stem := len(w) > 0 && w[len(w)-1] == '+'
	if stem {
		w = w[:len(w)-1]
	}
	return globRec(p, w, stem, 0)
}

func globRec(p, w string, stem bool, depth int) bool {
	if depth > 32 {
		return false
	}
	for len(p) > 0 {
		if p[0] == '*' {
			for k := 0; k <= 3 && k <= len(w); k++ {
				if globRec(p[1:], w[k:], stem, depth+1) {
					return true
				}
			}
			if stem && len(w) == 0 {
				return true
			}
			return false
		}
		if len(w) == 0 {
			return stem && len(p) <= 4 && !containsByte(p, '*')
		}
		if p[0] != w[0] {
			return false
		}
		p, w = p[1:], w[1:]
	}
	return len(w) == 0
}

func containsByte(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}

// build folds the raw words into d.text and d.toks.
func (d *doc) build() {
	for ri := range d.raws {
		rt := &d.raws[ri]
		letters, upper := 0, 0
		for _, ch := range rt.chars {
			if ch.c >= 'a' && ch.c <= 'z' {
				letters++
				if ch.upper {
					upper++
				}
			}
		}
		// Fold the word into d.tmp with per-character offsets kept in
		// parallel in the pool-independent slices below.
		d.tmp = d.tmp[:0]
		idxF, idxL := d.idxF[:0], d.idxL[:0]
		masked := false
		hadDigit := false
		for k, ch := range rt.chars {
			c := ch.c
			if letters > 0 {
				if c >= '0' && c <= '9' || c == '@' || c == '$' || c == '!' {
					nc := leet(c)
					if nc != c {
						hadDigit = true
					}
					c = nc
				}
			} else if c == '@' || c == '$' || c == '!' {
				continue
			}
			if c == '*' {
				if letters == 0 {
					continue
				}
				masked = true
			}
			d.tmp = append(d.tmp, c)
			idxF = append(idxF, int32(k))
			idxL = append(idxL, int32(k))
		}
		d.idxF, d.idxL = idxF, idxL
		if len(d.tmp) == 0 {
			continue
		}
		os, oe := rt.chars[0].os, rt.chars[len(rt.chars)-1].oe
		whole := false // every output byte maps to the whole word
		if !rt.joined {
			if exp, ok := abbreviations[string(d.tmp)]; ok {
				d.tmp = append(d.tmp[:0], exp...)
				whole = true
			}
		}
		// Collapse repeated letters (and repeated masks).
		w := 0
		for k := 0; k < len(d.tmp); k++ {
			c := d.tmp[k]
			if w > 0 && c == d.tmp[w-1] && (c < '0' || c > '9') {
				if !whole {
					idxL[w-1] = idxL[k]
				}
				continue
			}
			d.tmp[w] = c
			if !whole {
				idxF[w], idxL[w] = idxF[k], idxL[k]
			}
			w++
		}
		d.tmp = d.tmp[:w]
		if masked {
			if word, ok := resolveMask(string(d.tmp)); ok {
				d.tmp = append(d.tmp[:0], word...)
				whole = true
			} else {
				// Unresolved masks split nothing: drop them.
				w = 0
				for k := 0; k < len(d.tmp); k++ {
					if d.tmp[k] == '*' {
						continue
					}
					d.tmp[w] = d.tmp[k]
					idxF[w], idxL[w] = idxF[k], idxL[k]
					w++
				}
				d.tmp = d.tmp[:w]
				if w == 0 {
					continue
				}
			}
		}
		if len(d.text) > 0 {
			d.text = append(d.text, ' ')
			d.start = append(d.start, os)
			d.end = append(d.end, os)
		}
		t := token{s: int32(len(d.text)), os: os, oe: oe, brk: rt.brk}
		for k, c := range d.tmp {
			d.text = append(d.text, c)
			if whole {
				d.start = append(d.start, os)
				d.end = append(d.end, oe)
				continue
			}
			d.start = append(d.start, rt.chars[idxF[k]].os)
			d.end = append(d.end, rt.chars[idxL[k]].oe)
		}
		t.e = int32(len(d.text))
		if len(rt.chars) > 0 && rt.chars[0].upper {
			t.flags |= flagCap
		}
		if letters >= 2 && upper == letters {
			t.flags |= flagAllCaps
		}
		if rt.joined {
			t.flags |= flagJoined
		}
		if rt.quoted {
			t.flags |= flagQuoted
		}
		if rt.mention {
			t.flags |= flagMention
		}
		if rt.hashtag {
			t.flags |= flagHashtag
		}
		if hadDigit {
			t.flags |= flagHasDigit
		}
		d.toks = append(d.toks, t)
	}
	if cap(d.tokOf) < len(d.text) {
		d.tokOf = make([]int32, len(d.text))
	}
	d.tokOf = d.tokOf[:len(d.text)]
	for ti, t := range d.toks {
		for b := t.s; b < t.e; b++ {
			d.tokOf[b] = int32(ti)
		}
		if t.e < int32(len(d.text)) {
			d.tokOf[t.e] = int32(ti)
		}
	}
}

// resolveMask finds the word a masked word most probably hides.
func resolveMask(p string) (string, bool) {
	real := 0
	for i := 0; i < len(p); i++ {
		if p[i] != '*' {
			real++
		}
	}
	if real < 2 || len(p)-real > 3 || len(p) > 24 {
		// Too many hidden letters to guess, and the search would explode.
		return "", false
	}
	best := ""
	for _, w := range maskWords {
		if globMatch(p, w) {
			word := w
			if word[len(word)-1] == '+' {
				word = word[:len(word)-1]
			}
			if len(word) > len(best) {
				best = word
			}
		}
	}
	return best, best != ""
}
