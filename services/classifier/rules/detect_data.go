package rules

import "strings"

// This file holds the detectors that look at what a comment carries rather
// than how it speaks: links, illegal offers, advertising, spam, personal
// data and political propaganda.

// linkClass is what a domain is known for.
type linkClass uint8

const (
	linkUnknown linkClass = iota
	linkAllowed
	linkDenied
	linkShortener
	linkPorn
	linkMalware
	linkPhishing
)

// link is one URL or bare domain found in the text.
type link struct {
	host       string
	path       string
	start, end int // original byte offsets
	email      bool
	class      linkClass
}

var tlds = map[string]bool{
	"com": true, "it": true, "net": true, "org": true, "info": true, "ru": true, "xxx": true, "io": true, "ly": true,
	"eu": true, "biz": true, "co": true, "me": true, "gl": true, "gd": true, "cn": true, "tk": true, "top": true,
	"xyz": true, "online": true, "site": true, "club": true, "app": true, "shop": true, "live": true, "at": true,
	"cc": true, "us": true, "uk": true, "de": true, "fr": true, "es": true, "ch": true, "sex": true, "porn": true,
	"adult": true, "win": true, "bid": true, "loan": true, "click": true, "link": true, "ml": true, "ga": true,
	"cf": true, "gq": true, "pw": true, "su": true, "ws": true, "store": true, "tv": true, "fm": true,
}

var shorteners = map[string]bool{
	"bit.ly": true, "tinyurl.com": true, "goo.gl": true, "t.co": true, "is.gd": true, "cutt.ly": true, "ow.ly": true,
	"buff.ly": true, "shorturl.at": true, "rebrand.ly": true, "tiny.cc": true, "rb.gy": true, "t.ly": true,
	"s.id": true, "v.gd": true, "bl.ink": true, "lnkd.in": true, "short.io": true, "tinyurl.it": true,
}

var pornHints = []string{"porn", "xxx", "sex", "hot-", "hot.", "escort", "incontri", "milf", "camgirl", "onlyfans", "nude", "erotic", "hard", "adult"}
var phishHints = []string{"gov", "comune", "inps", "poste", "bonus", "rimbors", "banca", "bank", "agenzia", "entrate", "spid",
	"pagopa", "enel", "omaggio", "buoni", "premio", "vinci", "login", "verifica", "sicurezza", "carta", "pagament", "regalo", "gratis"}
var malwareExt = []string{".apk", ".exe", ".scr", ".bat", ".msi", ".jar", ".vbs", ".dmg"}
var personalMail = []string{"gmail.", "libero.", "hotmail.", "yahoo.", "outlook.", "icloud.", "alice.", "tiscali.", "virgilio.",
	"live.", "fastwebnet.", "tim.it", "email.it", "tin.it", "inwind.", "me.com", "msn.", "aol.", "protonmail.", "proton.me"}

// scanLinks finds URLs, bare domains and e-mail addresses in the original
// text, also when written with spaces between the letters.
func (c *classifier) scanLinks() {
	src := c.in.Text
	if len(src) == 0 {
		return
	}
	// Build a lowercase view where spaces between one-character chunks vanish.
	lv := c.s.digits[:0]
	off := c.s.compactOff[:0]
	type chunk struct{ s, e int }
	i := 0
	prevSingle := false
	for i < len(src) {
		for i < len(src) && isSpaceByte(src[i]) {
			i++
		}
		if i >= len(src) {
			break
		}
		j := i
		for j < len(src) && !isSpaceByte(src[j]) {
			j++
		}
		single := runeCount(src[i:j]) == 1
		if len(lv) > 0 && !(single && prevSingle) {
			lv = append(lv, ' ')
			off = append(off, int32(i))
		}
		for k := i; k < j; k++ {
			b := src[k]
			if b >= 'A' && b <= 'Z' {
				b += 'a' - 'A'
			}
			lv = append(lv, b)
			off = append(off, int32(k))
		}
		prevSingle = single
		i = j
	}
	c.s.digits, c.s.compactOff = lv, off
	end := 0
	for p := 1; p < len(lv)-1; p++ {
		if p < end {
			continue
		}
		switch lv[p] {
		case '.':
			q := p + 1
			for q < len(lv) && lv[q] >= 'a' && lv[q] <= 'z' {
				q++
			}
			label := string(lv[p+1 : q])
			if !tlds[label] {
				// "villatours.ite": the spaced letters ran into the next word.
				cut := 0
				for n := min(len(label)-1, 4); n >= 2; n-- {
					if tlds[label[:n]] {
						cut = n
						break
					}
				}
				if cut == 0 || q < len(lv) && lv[q] != ' ' {
					continue
				}
				q = p + 1 + cut
			}
			if q < len(lv) && (isAlnumByte(lv[q]) || lv[q] == '@') {
				continue
			}
			h := p - 1
			for h >= 0 && (isAlnumByte(lv[h]) || lv[h] == '-' || lv[h] == '.' || lv[h] == '_') {
				h--
			}
			if p-(h+1) < 2 {
				continue
			}
			email := h >= 0 && lv[h] == '@'
			ps := q
			if q < len(lv) && lv[q] == '/' {
				for q < len(lv) && lv[q] != ' ' {
					q++
				}
			}
			host := strings.TrimPrefix(strings.TrimLeft(string(lv[h+1:ps]), ".-"), "www.")
			l := link{host: host, path: string(lv[ps:q]), start: int(off[h+1]), end: int(off[q-1]) + 1, email: email}
			if email {
				ls := h - 1
				for ls >= 0 && (isAlnumByte(lv[ls]) || strings.IndexByte("._%+-", lv[ls]) >= 0) {
					ls--
				}
				l.start = int(off[ls+1])
			}
			l.class = c.classifyHost(l)
			c.s.links = append(c.s.links, l)
			end = q
		}
	}
	// Obfuscated e-mail addresses: "nome [at] gmail [dot] com", "chiocciola ... punto it".
	d := c.d
	for i := 1; i+3 < len(d.toks); i++ {
		if !c.tokIn(i, "at", "chiociola") {
			continue
		}
		if !c.tokIn(i+2, "dot", "punto") || !tlds[c.tok(i+3)] {
			continue
		}
		host := c.tok(i+1) + "." + c.tok(i+3)
		l := link{host: host, start: int(d.toks[i-1].os), end: int(d.toks[i+3].oe), email: true}
		l.class = c.classifyHost(l)
		c.s.links = append(c.s.links, l)
	}
}

func isSpaceByte(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

func isAlnumByte(b byte) bool {
	return (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9')
}

func runeCount(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i]&0xC0 != 0x80 {
			n++
		}
	}
	return n
}

// classifyHost says what a domain is known for.
func (c *classifier) classifyHost(l link) linkClass {
	h := l.host
	if c.opt != nil {
		for _, dd := range c.opt.DenyDomains {
			if dd = strings.ToLower(strings.TrimSpace(dd)); dd != "" && (h == dd || strings.HasSuffix(h, "."+dd)) {
				return linkDenied
			}
		}
		for _, a := range c.opt.AllowDomains {
			if a = strings.ToLower(strings.TrimSpace(a)); a != "" && (h == a || strings.HasSuffix(h, "."+a)) {
				return linkAllowed
			}
		}
	}
	if strings.HasSuffix(h, ".gov.it") || strings.HasSuffix(h, ".edu.it") || strings.HasPrefix(h, "comune.") ||
		strings.Contains(h, ".comune.") || strings.HasPrefix(h, "regione.") || h == "inps.it" || h == "pagopa.gov.it" {
		return linkAllowed
	}
	if shorteners[h] {
		return linkShortener
	}
	for _, ext := range malwareExt {
		if strings.HasSuffix(l.path, ext) {
			return linkMalware
		}
	}
	if strings.HasSuffix(h, ".xxx") || strings.HasSuffix(h, ".sex") || strings.HasSuffix(h, ".porn") || strings.HasSuffix(h, ".adult") {
		return linkPorn
	}
	if !l.email {
		for _, p := range pornHints {
			if strings.Contains(h, p) {
				return linkPorn
			}
		}
		for _, p := range phishHints {
			if strings.Contains(h, p) {
				return linkPhishing
			}
		}
	}
	if (strings.HasSuffix(h, ".ru") || strings.HasSuffix(h, ".tk") || strings.HasSuffix(h, ".cn")) && c.has(kMalwareCue) {
		return linkMalware
	}
	return linkUnknown
}

// detectIllegal finds offers of drugs, weapons or forgeries and links to
// porn, malware or phishing.
func (c *classifier) detectIllegal() {
	for _, h := range c.s.hits[kIllegalMarker] {
		c.set(catIllegal, 0.95)
		c.evHit(catIllegal, h)
	}
	if c.has(kSaleCue) || c.priceCount() > 0 {
		for _, k := range [...]kind{kDrug, kWeapon, kCounterfeit} {
			for _, h := range c.s.hits[k] {
				if c.quoted(h) {
					continue
				}
				// A drug word with a sale cue in the same comment.
				c.set(catIllegal, 0.85)
				c.evHit(catIllegal, h)
				if p := c.near(kSaleCue, h.ts, h.te, 30, 0, false); p >= 0 {
					c.evHit(catIllegal, c.s.hits[kSaleCue][p])
				}
			}
		}
	}
	for _, l := range c.s.links {
		switch l.class {
		case linkPorn, linkMalware, linkPhishing:
			c.set(catIllegal, 0.9)
			c.set(catSpam, 0.9)
			id := "link.porn:" + l.host
			switch l.class {
			case linkMalware:
				id = "link.malware:" + l.host
			case linkPhishing:
				id = "link.phishing:" + l.host
			}
			c.evRaw(catIllegal, id, l.start, l.end)
			c.evRaw(catSpam, id, l.start, l.end)
		}
	}
	if c.has(kPhishCue) && (c.has(kSpamStrong) || len(c.s.links) > 0) {
		for _, l := range c.s.links {
			if l.class == linkUnknown && !l.email {
				c.set(catIllegal, 0.8)
				c.set(catSpam, 0.8)
				c.evRaw(catIllegal, "link.phishing-cue:"+l.host, l.start, l.end)
			}
		}
	}
}

// priceCount counts prices: a number next to "€" or "euro", or a discount.
func (c *classifier) priceCount() int {
	src := c.in.Text
	n := 0
	for i := 0; i < len(src); i++ {
		switch {
		case strings.HasPrefix(src[i:], "€"):
			if (i > 0 && src[i-1] >= '0' && src[i-1] <= '9') || (i+3 < len(src) && (src[i+3] >= '0' && src[i+3] <= '9' || src[i+3] == ' ' && i+4 < len(src) && src[i+4] >= '0' && src[i+4] <= '9')) || (i > 1 && src[i-1] == ' ' && src[i-2] >= '0' && src[i-2] <= '9') {
				n++
			}
		case src[i] == '%' && i > 0 && src[i-1] >= '0' && src[i-1] <= '9':
			n++
		}
	}
	for i := 1; i < len(c.d.toks); i++ {
		if c.tokIs(i, "euro") && isDigitTok(c, i-1) {
			n++
		}
	}
	return n
}

func isDigitTok(c *classifier, i int) bool {
	if i < 0 || i >= len(c.d.toks) {
		return false
	}
	t := c.d.toks[i]
	for b := t.s; b < t.e; b++ {
		if ch := c.d.text[b]; ch < '0' || ch > '9' {
			return false
		}
	}
	return t.e > t.s
}

// sponsored reports whether a tenant's sponsor is named in the comment.
func (c *classifier) sponsored() bool {
	if c.opt == nil {
		return false
	}
	for _, sp := range c.opt.Sponsors {
		f := Normalize(sp).Text
		if f != "" && containsWord(string(c.d.text), f) {
			return true
		}
	}
	return false
}

// containsWord reports whether w occurs in text at word boundaries.
func containsWord(text, w string) bool {
	for i := 0; ; {
		k := strings.Index(text[i:], w)
		if k < 0 {
			return false
		}
		s, e := i+k, i+k+len(w)
		if (s == 0 || text[s-1] == ' ') && (e == len(text) || text[e] == ' ') {
			return true
		}
		i = s + 1
	}
}

// detectCommercial finds advertising: an offer plus a price, a contact, a
// link or another promotion word.
func (c *classifier) detectCommercial() {
	strong, weak := 0, 0
	for _, h := range c.s.hits[kCommStrong] {
		if !c.quoted(h) {
			strong++
		}
	}
	weak = len(c.s.hits[kCommWeak])
	prices := c.priceCount()
	contacts := 0
	for _, l := range c.s.links {
		if l.class == linkUnknown || l.class == linkShortener {
			contacts++
		}
	}
	if c.phoneCount() > 0 {
		contacts++
	}
	for i := range c.d.toks {
		if c.d.toks[i].flags&flagMention != 0 && (c.tokHas(i-1, kCommWeak) || c.tokIn(i-1, "instagram", "telegram", "facebook", "tiktok", "su")) {
			contacts++
		}
	}
	// A price, a mobile number and commercial words together are an advert even without an
	// explicit offer word ("pizza a 5 euro, prenota al 333…"): a business's own advertised
	// contacts are commercial, not personal data. The institution's landlines do not count.
	advert := prices >= 1 && c.mobileCount() >= 1 && weak >= 2
	ok := strong >= 2 || (strong >= 1 && (weak+prices+contacts) >= 1) || advert
	if !ok {
		return
	}
	if c.sponsored() {
		return
	}
	// Selling drugs or weapons is illegal only.
	if c.on(catIllegal) && (c.has(kDrug) || c.has(kWeapon) || c.has(kCounterfeit)) {
		return
	}
	score := 0.6 + 0.1*float64(strong+prices+contacts)
	c.set(catCommercial, score)
	for _, h := range c.s.hits[kCommStrong] {
		c.evHit(catCommercial, h)
	}
	if advert && strong == 0 {
		for _, p := range c.phones() {
			if p.mobile {
				c.evTok(catCommercial, "commercial.advert_contact", p.ts, p.te)
			}
		}
	}
}

// detectSpam finds chains, schemes, giveaways, link bait and repetition.
func (c *classifier) detectSpam() {
	score := 0
	for _, h := range c.s.hits[kSpamStrong] {
		if !c.quoted(h) {
			score += 2
		}
	}
	weak := len(c.s.hits[kSpamWeak])
	if weak > 2 {
		weak = 2
	}
	score += weak
	for _, l := range c.s.links {
		switch l.class {
		case linkShortener, linkDenied:
			score += 3
			c.evRaw(catSpam, "link.shortener:"+l.host, l.start, l.end)
		case linkUnknown:
			if !l.email {
				score++
			}
		}
	}
	if c.priceCount() > 0 && score > 0 {
		score++
	}
	if rep := c.repetition(); rep {
		score += 3
		c.evTok(catSpam, "spam.repetition", 0, len(c.d.toks))
		if c.on(catCommercial) || c.has(kCommStrong) {
			c.set(catCommercial, 0.8)
		}
	}
	if score < 3 {
		return
	}
	// Advertising alone is commercial; spam needs a scheme, a chain or bait.
	if c.on(catCommercial) && len(c.s.hits[kSpamStrong]) == 0 && score < 4 {
		return
	}
	c.set(catSpam, 0.5+0.1*float64(score))
	for _, h := range c.s.hits[kSpamStrong] {
		c.evHit(catSpam, h)
	}
}

// repetition reports a comment made of the same words pasted again and again.
func (c *classifier) repetition() bool {
	n := len(c.d.toks)
	if n < 6 || n > 400 {
		return false
	}
	for p := 3; p*2 <= n; p++ {
		same := true
		for i := 0; i+p < n; i++ {
			a, b := c.d.toks[i], c.d.toks[i+p]
			if string(c.d.text[a.s:a.e]) != string(c.d.text[b.s:b.e]) {
				same = false
				break
			}
		}
		if same {
			return true
		}
	}
	return false
}

// detectPolitical finds propaganda: a vote solicitation, or a party
// together with an election word, a hashtag or an attack.
func (c *classifier) detectPolitical() {
	parties := len(c.s.hits[kParty])
	var extra []int
	if c.opt != nil {
		text := string(c.d.text)
		for _, t := range c.opt.PoliticalTerms {
			if f := Normalize(t).Text; f != "" && containsWord(text, f) {
				parties++
				k := strings.Index(text, f)
				extra = append(extra, k, k+len(f))
			}
		}
	}
	strong := 0
	for _, h := range c.s.hits[kPolStrong] {
		if !c.quoted(h) {
			strong++
		}
	}
	weak := len(c.s.hits[kPolWeak])
	hashtag := false
	for _, t := range c.d.toks {
		if t.flags&flagHashtag != 0 {
			hashtag = true
		}
	}
	on := strong > 0 || (parties > 0 && (weak > 0 || hashtag || c.on(catInsult)))
	if !on {
		return
	}
	c.set(catPolitical, 0.6+0.15*float64(strong+min(parties, 2)))
	for _, h := range c.s.hits[kPolStrong] {
		c.evHit(catPolitical, h)
	}
	for _, h := range c.s.hits[kParty] {
		c.evHit(catPolitical, h)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		c.evID(catPolitical, "political.tenant", extra[i], extra[i+1])
	}
}
