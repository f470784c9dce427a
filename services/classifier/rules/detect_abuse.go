package rules

import "strings"

// This file holds the detectors of abusive language: blasphemy, hate,
// threats, insults and profanity. They run in that order because each one
// consumes the words it explains: a vulgar word inside a blasphemous
// compound or aimed at a person must not also count as profanity.

// detectBlasphemy finds a holy name next to an insult or an animal, as two
// words ("porco dio", "madonna maiala") or one compound ("diocane").
func (c *classifier) detectBlasphemy() {
	d := c.d
	for _, h := range c.s.hits[kHoly] {
		for _, nb := range [2]int32{h.ts - 1, h.te} {
			if nb < 0 || int(nb) >= len(d.toks) {
				continue
			}
			lo, hi := min(nb, h.ts), max(nb, h.te-1)
			if c.anyBreak(int(lo), int(hi)) {
				continue
			}
			if !c.tokHas(int(nb), kBlasWord) {
				continue
			}
			c.set(catBlasphemy, 0.95)
			c.evTok(catBlasphemy, "blasphemy.pair:"+c.tok(int(min(nb, h.ts)))+"+"+c.tok(int(max(nb, h.te-1))), int(lo), int(hi)+1)
			for i := lo; i <= hi; i++ {
				c.s.consumed[i] = consumedBlasphemy
			}
		}
	}
	// Compounds written as one word.
	for i, t := range d.toks {
		w := d.text[t.s:t.e]
		if len(w) < 5 || len(w) > 24 {
			continue
		}
		for p := 2; p <= len(w)-2; p++ {
			a, b := string(w[:p]), string(w[p:])
			if (c.e.holy[a] && c.e.blas[b]) || (c.e.blas[a] && c.e.holy[b]) {
				c.set(catBlasphemy, 0.95)
				c.evTok(catBlasphemy, "blasphemy.compound:"+string(w), i, i+1)
				c.s.consumed[i] = consumedBlasphemy
				break
			}
		}
	}
}

// condemnation reports whether the comment reports or condemns hate
// rather than expressing it.
func (c *classifier) condemnation() bool {
	for _, h := range c.s.hits[kCondemn] {
		if !c.quoted(h) {
			return true
		}
	}
	return false
}

// ambiguousGroup lists group words that are also common adjectives.
var ambiguousGroup = map[string]bool{
	"vechi": true, "vechie": true, "neri": true, "donna": true, "arabo": true, "cinese": true, "rusi": true,
	"lombardi": true, "veneti": true, "sardi": true, "anziani": true, "straniero": true, "straniera": true,
	"africano": true, "albanese": true, "meridionale": true, "cristiani": true,
}

// copulas join a subject to a predicate ("sono", "è", "tutti").
var copulas = map[string]bool{
	"sono": true, "e": true, "siete": true, "sei": true, "restano": true, "rimangono": true, "tuti": true,
	"tute": true, "solo": true, "sempre": true, "proprio": true, "davero": true, "semplicemente": true,
	"cosi": true, "piu": true, "veramente": true, "soltanto": true, "tropo": true, "mai": true, "non": true,
}

// detectHate finds slurs and derogation of protected groups.
func (c *classifier) detectHate() {
	if c.condemnation() {
		return
	}
	d := c.d
	mark := func(h hit, score float64) {
		c.set(catHate, score)
		c.evHit(catHate, h)
		c.consume(h, consumedHate)
	}
	for _, h := range c.s.hits[kSlur] {
		if c.quoted(h) || c.consumedAny(h) {
			continue
		}
		t := d.toks[h.ts]
		// "dott. Negro": a capitalised slur inside a sentence is a surname.
		if h.te == h.ts+1 && t.flags&flagCap != 0 && t.flags&flagAllCaps == 0 && t.brk == 0 && h.ts > 0 {
			continue
		}
		if h.ts > 0 && c.tokIn(int(h.ts)-1, "dot", "dotor", "dotoresa", "dr", "sig", "signor", "signora", "prof", "avv", "ing") {
			continue
		}
		mark(h, 0.9)
	}
	// Slurs that are only slurs when aimed at someone ("un jihadista come te").
	for _, h := range c.s.hits[kSlurPerson] {
		if c.quoted(h) {
			continue
		}
		// Used as a noun for people: after a determiner, or "come te".
		if (c.tokIs(int(h.te), "come") && c.tokIn(int(h.te)+1, "te", "voi")) ||
			c.tokIn(int(h.ts)-1, "un", "una", "uno", "i", "gli", "le", "questo", "questa", "questi", "queste", "quel", "quei", "sti", "ste", "dei", "degli", "tropi", "trope") {
			mark(h, 0.8)
		}
	}
	// "i gay non sono mai intelligenti", "le vite dei disabili non contano".
	for _, g := range c.s.hits[kGroup] {
		if c.quoted(g) {
			continue
		}
		for i := int(g.te); i < min(len(d.toks), int(g.te)+8); i++ {
			if i > int(g.te) && d.toks[i].brk == 2 {
				break
			}
			if !c.tokIn(i, "non", "mai") {
				continue
			}
			for j := i + 1; j < min(len(d.toks), i+5); j++ {
				if negatedPositive[c.tok(j)] {
					mark(g, 0.75)
					c.evTok(catHate, "hate.negated-worth:"+c.tok(j), i, j+1)
					break
				}
			}
		}
	}
	// Fascist and nazi slogans and praise.
	for _, h := range c.s.hits[kFascistPhrase] {
		if !c.quoted(h) {
			mark(h, 0.9)
		}
	}
	for _, h := range c.s.hits[kFascistName] {
		if c.quoted(h) {
			continue
		}
		if p := c.near(kFascistPraise, h.ts, h.te, 4, 0, true); p >= 0 {
			mark(h, 0.85)
			c.evHit(catHate, c.s.hits[kFascistPraise][p])
		}
	}
	groups := append(c.s.hits[kGroup], c.s.hits[kSlurWeak]...)
	for _, g := range groups {
		if c.quoted(g) {
			continue
		}
		gw := string(d.text[d.toks[g.ts].s:d.toks[g.te-1].e])
		amb := ambiguousGroup[gw]
		if amb {
			// An adjective-like group word counts only when a predicate follows at once.
			n := int(g.te)
			if n >= len(d.toks) || !(copulas[c.tok(n)] || c.tokHas(n, kDerogWeak) || c.tokHas(n, kDerogStrong) || c.tokIs(n, "che")) {
				continue
			}
		}
		if p := c.near(kDerogStrong, g.ts, g.te, 8, 0, false); p >= 0 && !c.negated(c.s.hits[kDerogStrong][p]) {
			mark(g, 0.9)
			c.consume(c.s.hits[kDerogStrong][p], consumedHate)
			c.evHit(catHate, c.s.hits[kDerogStrong][p])
			continue
		}
		if p := c.weakDerog(g); p >= 0 {
			mark(g, 0.8)
			c.consume(c.s.hits[kDerogWeak][p], consumedHate)
			c.evHit(catHate, c.s.hits[kDerogWeak][p])
			continue
		}
		if p := c.hateVerb(g); p >= 0 {
			mark(g, 0.85)
			c.evHit(catHate, c.s.hits[kHateVerb][p])
			continue
		}
		for _, k := range [...]kind{kExclusion, kConspiracy, kVictimBlame, kViolentAct, kThreatPhrase} {
			if p := c.near(k, g.ts, g.te, 10, 0, false); p >= 0 && !c.quoted(c.s.hits[k][p]) && !c.negated(c.s.hits[k][p]) &&
				(k != kViolentAct || c.intentForm(c.s.hits[k][p])) {
				mark(g, 0.85)
				c.evHit(catHate, c.s.hits[k][p])
				c.consume(c.s.hits[k][p], consumedHate)
				break
			}
		}
		// "paesi di merda", "froci di merda": vulgar word attached to the group.
		for _, p := range c.s.hits[kProf] {
			if p.ts >= g.te && p.ts-g.te <= 4 && c.tokIs(int(p.ts), "di") && !c.sentenceBreak(int(g.ts), int(p.te)-1) {
				mark(g, 0.8)
				c.consume(p, consumedHate)
			}
		}
	}
}

// weakDerog finds a derogatory predicate about the group: adjacent to it
// ("vecchi rincoglioniti"), just before it ("sudicio come i gay"), after
// it in the same sentence ("gli islamici sono tutti terroristi"), or in
// the next sentence when that one refers back ("Sono peggio").
func (c *classifier) weakDerog(g hit) int {
	for pi, p := range c.s.hits[kDerogWeak] {
		if c.quoted(p) || c.negated(p) {
			continue
		}
		if p.ts == g.te || p.te == g.ts {
			return pi
		}
		if p.te <= g.ts {
			if g.ts-p.te <= 3 && !c.sentenceBreak(int(p.ts), int(g.ts)) && !c.personBetween(p.te, g.ts) {
				return pi
			}
			continue
		}
		if p.ts < g.te || p.ts-g.te > 10 || c.personBetween(g.te, p.ts) {
			continue
		}
		if !c.sentenceBreak(int(g.ts), int(p.ts)) {
			if p.ts-g.te <= 8 {
				return pi
			}
			continue
		}
		// Next sentence: it must refer back to the group.
		for i := int(p.ts) - 1; i >= int(g.te) && c.d.toks[i+1].brk != 2; i-- {
			if copulas[c.tok(i)] || c.tokIn(i, "loro", "li", "le", "dovrebbero", "meritate", "siete") {
				return pi
			}
		}
		if copulas[c.tok(int(p.ts))] || c.tokIn(int(p.ts)-1, "sono", "siete", "loro") {
			return pi
		}
	}
	return -1
}

// negatedPositive are words of worth whose negation about a group is hate.
var negatedPositive = map[string]bool{
	"inteligenti": true, "inteligente": true, "atraenti": true, "degni": true, "degne": true, "pari": true,
	"umani": true, "umane": true, "validi": true, "valido": true, "valida": true, "contano": true, "conta": true,
	"importanti": true, "vale": true, "valgono": true, "apartengono": true, "capaci": true, "normali": true,
}

// negated reports a negation just before a predicate ("non sono una
// minaccia", "nessun gay merita di morire"), unless the item carries it.
func (c *classifier) negated(h hit) bool {
	first := c.d.text[c.d.toks[h.ts].s:c.d.toks[h.ts].e]
	if string(first) == "non" || string(first) == "nesun" {
		return false
	}
	for i := int(h.ts) - 1; i >= 0 && i >= int(h.ts)-4; i-- {
		if c.d.toks[i+1].brk == 2 {
			break
		}
		if c.tokIn(i, "non", "nesun", "nesuna", "nesuno", "mai") {
			// "non sono altro che", "non ... che" are affirmative.
			if c.tokIn(i+1, "altro") || c.tokIn(i+2, "altro") {
				return false
			}
			return true
		}
	}
	return false
}

// personBetween reports a person (not a group) named between two tokens,
// so that a predicate about the mayor is not taken as one about a group.
func (c *classifier) personBetween(a, b int32) bool {
	for i := a; i < b; i++ {
		if c.tokHas(int(i), kPersonTarget) && !c.tokIn(int(i), "quel", "quela", "quelo", "quei", "quegli", "questi", "sti", "ste", "voi", "tu", "te", "lei", "lui", "sei", "siete", "vi", "ti", "gente", "tua", "tuo", "tuoi", "vostro", "vostra", "vostri", "el") {
			return true
		}
	}
	return false
}

// hateVerb finds "odio i X", "non sopporto i X", "i X ... io li odio".
func (c *classifier) hateVerb(g hit) int {
	for vi, v := range c.s.hits[kHateVerb] {
		if c.quoted(v) {
			continue
		}
		var dist int32
		switch {
		case v.te <= g.ts:
			dist = g.ts - v.te
			if dist > 6 || c.sentenceBreak(int(v.ts), int(g.ts)) {
				continue
			}
		case v.ts >= g.te:
			dist = v.ts - g.te
			if dist > 10 {
				continue
			}
		default:
			continue
		}
		// "non odio i trans": negated.
		if v.ts > 0 && c.tokIs(int(v.ts)-1, "non") && !c.tokIs(int(v.ts), "non") {
			continue
		}
		if v.ts > 1 && c.tokIs(int(v.ts)-2, "non") && c.tokIn(int(v.ts)-1, "li", "le", "lo", "la", "ti", "vi") {
			continue
		}
		return vi
	}
	return -1
}

// detectThreat finds threats and calls to violence with a target.
func (c *classifier) detectThreat() {
	d := c.d
	for _, h := range c.s.hits[kThreatPhrase] {
		if c.quoted(h) {
			continue
		}
		if c.weakThreatPhrase(h) {
			continue
		}
		c.set(catThreat, 0.9)
		c.evHit(catThreat, h)
		c.consume(h, consumedThreat)
	}
	for _, h := range c.s.hits[kAwait] {
		if p := c.near(kAwaitCtx, h.ts, h.te, 8, 1, false); p >= 0 && !c.quoted(h) {
			c.set(catThreat, 0.85)
			c.evHit(catThreat, h)
			c.evHit(catThreat, c.s.hits[kAwaitCtx][p])
		}
	}
	for _, v := range c.s.hits[kThreatVerb] {
		if c.quoted(v) {
			continue
		}
		i := int(v.ts)
		for back := 1; back <= 2; back++ {
			p := i - back
			if p < 0 || !c.tokHas(p, kThreatPron) || c.anyBreak(p, i) {
				continue
			}
			// "lo sparo dei fuochi" is a noun, "lo meno" is not Italian.
			if c.tokIn(i, "sparo", "spara", "meno") && c.tokIn(p, "lo", "la", "le") {
				continue
			}
			c.set(catThreat, 0.85)
			c.evTok(catThreat, "threat.clitic:"+c.tok(p)+"+"+c.tok(i), p, int(v.te))
			break
		}
	}
	for _, a := range c.s.hits[kViolentAct] {
		if c.quoted(a) {
			continue
		}
		if p := c.near(kCallViolence, a.ts, a.te, 3, -1, true); p >= 0 {
			c.set(catThreat, 0.85)
			c.evHit(catThreat, c.s.hits[kCallViolence][p])
			c.evHit(catThreat, a)
			continue
		}
		if p := c.near(kGroup, a.ts, a.te, 10, 0, false); p >= 0 && c.intentForm(a) {
			c.set(catThreat, 0.8)
			c.evHit(catThreat, a)
		}
	}
	// A knife or a gun next to "you".
	for i := range d.toks {
		if c.tokIn(i, "coltelo", "pistola") && (d.toks[i].os < int32(len(c.in.Text)) && isPictograph(c.in.Text[d.toks[i].os:])) {
			for j := max(0, i-12); j < i; j++ {
				if c.tokIn(j, "ti", "vi", "tu", "voi", "te", "tua", "tuo") || c.tokHas(j, kThreatPron) && c.tokHas(j+1, kThreatVerb) {
					c.set(catThreat, 0.75)
					c.evTok(catThreat, "threat.weapon-emoji", i, i+1)
					break
				}
			}
		}
	}
	if c.on(catThreat) {
		// A threat aimed at a protected group is also hate.
		for _, g := range c.s.hits[kGroup] {
			if c.quoted(g) || c.condemnation() {
				continue
			}
			for _, k := range [...]kind{kThreatPhrase, kViolentAct} {
				if p := c.near(k, g.ts, g.te, 10, 0, false); p >= 0 && !c.weakThreatPhrase(c.s.hits[k][p]) && (k == kThreatPhrase || c.intentForm(c.s.hits[k][p])) {
					c.set(catHate, 0.8)
					c.evHit(catHate, g)
				}
			}
		}
	}
}

// intentForm reports whether a violent word expresses a wish, a plan or a
// call (infinitive, future, conditional, imperative, enclitic pronoun, or a
// phrase) rather than reporting a fact ("uccise", "5 morti", "torture").
func (c *classifier) intentForm(a hit) bool {
	if a.te-a.ts > 1 {
		return true
	}
	if p := c.near(kCallViolence, a.ts, a.te, 3, -1, true); p >= 0 {
		return true
	}
	w := c.tok(int(a.ts))
	for _, suf := range [...]string{"are", "ere", "ire", "aro", "ero", "iro", "remo", "rebe", "rebero", "iamo", "arli", "erli",
		"irli", "arle", "erle", "arlo", "erlo", "atelo", "ateli", "iamoli", "ebero", "asero", "asimo", "iamoci", "arci",
		"asse", "esse", "ise", "ira", "era", "ara", "erei", "arei", "irei"} {
		if strings.HasSuffix(w, suf) {
			return true
		}
	}
	return false
}

// weakThreatPhrase reports phrases that threaten only with a target nearby
// ("in ambulanza", "al muro", "stai attento").
func (c *classifier) weakThreatPhrase(h hit) bool {
	id := c.e.lex.entries[h.e].id
	switch id {
	case "threat:in ambulanza", "threat:al muro", "threat:stai attento", "threat:una bomba", "threat:fare le ronde",
		"threat:mazzate", "threat:a calci nel culo", "threat:la prossima volta lo", "threat:vengo li e",
		"threat:tanica di benzina", "threat:state attenti a voi", "threat:dare fuoco", "threat:do fuoco", "threat:diamo fuoco",
		"threat:morte a", "threat:morte ai":
	default:
		return false
	}
	// Needs a person or group target, a second person, or a violent first-person act around it.
	for j := max(0, int(h.ts)-10); j < min(len(c.d.toks), int(h.te)+8); j++ {
		if j >= int(h.ts) && j < int(h.te) {
			continue
		}
		if c.tokIn(j, "ti", "vi", "tu", "voi", "te", "gli", "li", "loro", "vengo", "veniamo", "giuro", "aspettiamo", "aspeto", "sindaco", "asesore", "operai", "comunisti", "ebrei") || c.tokHas(j, kGroup) || c.tokHas(j, kSlur) {
			return false
		}
	}
	return true
}

// isPictograph reports whether s starts with an emoji rather than letters.
func isPictograph(s string) bool {
	return len(s) > 0 && s[0] >= 0xE0
}

// animalInsults are insults that are ordinary nouns unless aimed at someone.
var animalInsults = map[string]bool{
	"capra": true, "capre": true, "oca": true, "oche": true, "asino": true, "asini": true, "somaro": true,
	"somari": true, "verme": true, "vermi": true, "troia": true, "troie": true, "puta": true, "putana": true,
	"putane": true, "zocola": true, "zocole": true, "mona": true, "porco": true, "maiale": true, "cornuto": true,
	"cornuti": true, "infame": true, "infami": true, "sanguisuga": true, "sanguisughe": true, "burino": true,
	"cafone": true, "cafoni": true, "servo": true, "servi": true, "analfabeta": true, "analfabeti": true,
}

// detectInsult finds personal attacks. Precision matters more than
// recall: a weak word needs a person as target, a decision is never one.
func (c *classifier) detectInsult() {
	d := c.d
	for _, h := range c.s.hits[kInsPhrase] {
		if c.quoted(h) || c.consumedAny(h) {
			continue
		}
		c.set(catInsult, 0.9)
		c.evHit(catInsult, h)
		c.consume(h, consumedInsult)
	}
	for _, h := range c.s.hits[kInsSarcasm] {
		if c.quoted(h) {
			continue
		}
		c.set(catInsult, 0.6)
		c.evHit(catInsult, h)
	}
	profPhrase := func(i int32) bool {
		for _, p := range c.s.hits[kProf] {
			if p.te-p.ts > 1 && i >= p.ts && i < p.te {
				return true
			}
		}
		return false
	}
	for _, k := range [...]kind{kInsStrong, kInsWeak} {
		for _, h := range c.s.hits[k] {
			if c.quoted(h) || c.consumedAny(h) || profPhrase(h.ts) {
				continue
			}
			w := c.tok(int(h.ts))
			strong := k == kInsStrong && !animalInsults[w]
			// "scelta idiota", "un'idea cretina": a decision, not a person.
			if h.ts > 0 && (c.tokHas(int(h.ts)-1, kDecision) || (h.ts > 1 && c.tokHas(int(h.ts)-2, kDecision) && c.tokIn(int(h.ts)-1, "da", "piu", "davero", "proprio", "cosi"))) {
				continue
			}
			// "incapace di gestire": criticism of an ability.
			if k == kInsWeak && c.tokIs(int(h.te), "di") {
				continue
			}
			// Self-deprecation: "sono un idiota io", "che scemo che sono".
			if c.selfReference(h) {
				continue
			}
			// Next to a protected group the hate detector speaks.
			if c.near(kGroup, h.ts, h.te, 1, 0, true) >= 0 {
				continue
			}
			if !strong && !c.insultTarget(h) {
				continue
			}
			score := 0.75
			if strong {
				score = 0.9
			}
			c.set(catInsult, score)
			c.evHit(catInsult, h)
			c.consume(h, consumedInsult)
		}
	}
	// "vaffanculo sindaco", "andate a fanculo voi".
	for _, h := range c.s.hits[kProf] {
		w := c.e.lex.entries[h.e].id
		if w != "prof:vaffanculo" && w != "prof:fanculo" && w != "prof:affanculo" {
			continue
		}
		if c.consumedAny(h) || c.quoted(h) {
			continue
		}
		for j := max(0, int(h.ts)-3); j < min(len(d.toks), int(h.te)+3); j++ {
			if j >= int(h.ts) && j < int(h.te) {
				continue
			}
			if c.tokHas(j, kPersonTarget) && !c.tokIn(j, "quelo", "quela", "quel") || d.toks[j].flags&flagMention != 0 {
				c.set(catInsult, 0.85)
				c.evHit(catInsult, h)
				c.consume(h, consumedInsult)
				break
			}
		}
	}
}

// selfReference reports "io sono un idiota" and similar.
func (c *classifier) selfReference(h hit) bool {
	for j := max(0, int(h.ts)-4); j < int(h.ts); j++ {
		if c.tokIn(j, "io", "mi", "sento") && !c.anyBreak(j, int(h.ts)) {
			if c.tokIs(j, "mi") && !c.tokIn(j+1, "sento", "sono") {
				continue
			}
			return true
		}
	}
	if c.tokIs(int(h.te), "che") && c.tokIs(int(h.te)+1, "sono") {
		return true
	}
	return false
}

// insultTarget reports whether a weak insult is aimed at a person: a
// person word, a second person, a mention or a collective ("banda di")
// close by in the same clause, or a predicative article ("è un incapace").
func (c *classifier) insultTarget(h hit) bool {
	d := c.d
	if c.near(kCollective, h.ts, h.te, 3, -1, true) >= 0 {
		return true
	}
	prev := int(h.ts) - 1
	if prev >= 0 && c.tokIn(prev, "un", "una", "uno", "dei", "degli", "dele", "di") && !c.anyBreak(prev, int(h.ts)) {
		if prev-1 >= 0 && (copulas[c.tok(prev-1)] || c.tokIn(prev-1, "siete", "sei", "e", "sono", "manica", "banda", "branco")) {
			return true
		}
	}
	if prev >= 0 && c.tokIn(prev, "sei", "siete") {
		return true
	}
	for j := max(0, int(h.ts)-4); j < min(len(d.toks), int(h.te)+4); j++ {
		if j >= int(h.ts) && j < int(h.te) {
			continue
		}
		if c.sentenceBreak(j, int(h.ts)) {
			continue
		}
		if d.toks[j].flags&flagMention != 0 {
			return true
		}
		if c.tokHas(j, kPersonTarget) {
			return true
		}
	}
	for _, t := range c.s.hits[kPersonTarget] {
		if t.te-t.ts > 1 && (abs32(t.te-h.ts) <= 4 || abs32(h.te-t.ts) <= 4) && !c.sentenceBreak(int(min(t.ts, h.ts)), int(max(t.te, h.te))-1) {
			return true
		}
	}
	return false
}

func abs32(x int32) int32 {
	if x < 0 {
		return -x
	}
	return x
}

// detectProfanity keeps the vulgar words that no other detector explained.
func (c *classifier) detectProfanity() {
	for _, h := range c.s.hits[kProf] {
		if c.consumedAny(h) || c.quoted(h) {
			continue
		}
		// A longer vulgar phrase covering this one already counted.
		c.set(catProfanity, 0.85)
		c.evHit(catProfanity, h)
	}
}
