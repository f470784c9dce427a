package rules

import "strings"

// This file holds the detectors of what a comment asks: an emergency, a
// request to an office (with its topic), or small talk off the post's subject.

// isPlea reports strong danger items that express urgency rather than danger.
func isPlea(id string) bool {
	switch id {
	case "danger.strong:aiuto", "danger.strong:aiutateci", "danger.strong:aiutatemi", "danger.strong:chiamate il 118",
		"danger.strong:chiamate il 112", "danger.strong:chiamate il 115", "danger.strong:chiamate i soccorsi",
		"danger.strong:chiamate l ambulanza", "danger.strong:chiamate i pompieri", "danger.strong:chiamate i vigili del fuoco":
		return true
	}
	return false
}

// isNow reports urgency items that mark something happening right now.
func isNow(id string) bool {
	switch id {
	case "urgent:adesso", "urgent:in questo momento", "urgent:proprio ora", "urgent:appena", "urgent:e appena",
		"urgent:si e appena", "urgent:ha appena", "urgent:ancora per terra", "urgent:ancora a terra", "urgent:in corso",
		"urgent:da mezz ora", "urgent:da un ora":
		return true
	}
	return false
}

// detectEmergency finds an ongoing danger: a danger word with a sign that
// it is happening now, not a past event or a chronic problem.
func (c *classifier) detectEmergency() {
	danger, strongDanger, urgency, now := 0, 0, 0, false
	for _, h := range c.s.hits[kDanger] {
		if !c.quoted(h) {
			danger++
		}
	}
	for _, h := range c.s.hits[kDangerStrong] {
		if c.quoted(h) {
			continue
		}
		if isPlea(c.e.lex.entries[h.e].id) {
			urgency++
		} else {
			strongDanger++
		}
	}
	for _, h := range c.s.hits[kUrgent] {
		urgency++
		if isNow(c.e.lex.entries[h.e].id) {
			now = true
		}
	}
	// Progressive present: "sta bruciando", "si sta allagando".
	for i := 0; i+1 < len(c.d.toks); i++ {
		if c.tokIn(i, "sta", "stano") {
			w := c.tok(i + 1)
			if strings.HasSuffix(w, "ndo") {
				urgency++
				now = true
			}
		}
	}
	if danger+strongDanger == 0 || urgency == 0 {
		return
	}
	chronic := len(c.s.hits[kChronic]) > 0 || len(c.s.hits[kPast]) > 0
	if chronic && !now && strongDanger == 0 {
		return
	}
	c.set(catEmergency, 0.6+0.1*float64(min(danger+2*strongDanger+urgency, 4)))
	for _, k := range [...]kind{kDangerStrong, kDanger} {
		for _, h := range c.s.hits[k] {
			c.evHit(catEmergency, h)
		}
	}
}

// addressedToComune reports words that speak to the Comune or its offices.
func (c *classifier) addressedToComune() bool {
	if c.has(kInstitution) {
		return true
	}
	for i := range c.d.toks {
		if c.tokIn(i, "potete", "potreste", "mandate", "sistemate", "intervenite", "fate", "controllate", "voi", "vi",
			"sindaco", "asesore", "vigili", "avete", "dovete", "segnalo", "multate", "multatelo") {
			return true
		}
	}
	return false
}

// detectRequest finds questions and reports for an office and picks the topic.
func (c *classifier) detectRequest() (string, float64) {
	strong, rhet := 0, 0
	for _, h := range c.s.hits[kReqStrong] {
		if !c.quoted(h) {
			strong++
		}
	}
	rhet = len(c.s.hits[kRhetoric])
	q := strings.Count(c.in.Text, "?")
	var scores [16]int
	total, best := 0, -1
	for _, h := range c.s.hits[kTopic] {
		ent := c.e.lex.entries[h.e]
		scores[ent.topic] += int(ent.weight)
		total += int(ent.weight)
	}
	for t := range topicNames {
		if scores[t] > 0 && (best < 0 || scores[t] > scores[best]) {
			best = t
		}
	}
	topicScore := 0
	if best >= 0 {
		topicScore = scores[best]
	}
	offCue := len(c.s.hits[kOffTopic]) > 0
	addressed := c.addressedToComune()
	req := false
	switch {
	case strong >= 1 && (q >= 1 || topicScore >= 2 || c.in.Private):
		req = true
	case q >= 1 && topicScore >= 3 && rhet == 0:
		req = true
	case c.in.Private && topicScore >= 3:
		req = true
	}
	if req && rhet > 0 && strong == 0 {
		req = false
	}
	if req && offCue && !addressed && topicScore < 3 {
		req = false
	}
	if !req {
		return "", 0
	}
	c.set(catRequest, 0.55+0.1*float64(min(strong+q, 4)))
	for _, h := range c.s.hits[kReqStrong] {
		c.evHit(catRequest, h)
	}
	if best < 0 {
		return "general", 0.3
	}
	for _, h := range c.s.hits[kTopic] {
		if int(c.e.lex.entries[h.e].topic) == best {
			c.evHit(catRequest, h)
		}
	}
	conf := 0.35 + 0.6*float64(scores[best])/float64(total)*min(1, float64(scores[best])/4)
	return topicNames[best], min(conf, 0.95)
}

// stopStems are short prefixes too common to show that two texts share a subject.
var stopStems = map[string]bool{
	"quest": true, "quell": true, "perch": true, "anche": true, "sempr": true, "ancor": true, "tutti": true, "tuti": true,
	"dalle": true, "della": true, "dello": true, "degli": true, "delle": true, "nella": true, "nelle": true, "sono": true,
	"grazi": true, "buong": true, "qualc": true, "domen": true, "sabat": true, "stase": true, "oggi": true, "prima": true,
	"dopo": true, "comun": true, "fatto": true, "fato": true, "ogni": true, "molto": true, "poi": true, "solo": true,
}

// detectOffTopic marks small talk unrelated to the post.
func (c *classifier) detectOffTopic() {
	if c.in.PostText == "" || len(c.s.hits[kOffTopic]) == 0 || c.on(catRequest) {
		return
	}
	p := &c.s.post
	p.reset(c.in.PostText)
	p.normalize()
	overlap := 0
	for _, t := range c.d.toks {
		w := c.d.text[t.s:t.e]
		if len(w) < 5 {
			continue
		}
		stem := string(w[:5])
		if stopStems[stem] {
			continue
		}
		for _, pt := range p.toks {
			pw := p.text[pt.s:pt.e]
			if len(pw) >= 5 && string(pw[:5]) == stem {
				overlap++
				break
			}
		}
	}
	if overlap > 0 {
		return
	}
	c.set(catOffTopic, 0.7)
	for _, h := range c.s.hits[kOffTopic] {
		c.evHit(catOffTopic, h)
	}
}
