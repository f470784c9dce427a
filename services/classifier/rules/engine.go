package rules

import (
	"slices"
	"sort"
	"strings"
	"sync"
)

// Category codes, as in the taxonomy.
const (
	CodeBlasphemy    = "blasphemy"
	CodeCommercial   = "commercial"
	CodeEmergency    = "emergency"
	CodeHate         = "hate"
	CodeIllegal      = "illegal"
	CodeInsult       = "insult"
	CodeOffTopic     = "off_topic"
	CodePersonalData = "personal_data"
	CodePolitical    = "political"
	CodeProfanity    = "profanity"
	CodeRequest      = "request"
	CodeSpam         = "spam"
	CodeThreat       = "threat"
)

// category indices, in the alphabetical order of the codes so that labels
// come out sorted.
const (
	catBlasphemy = iota
	catCommercial
	catEmergency
	catHate
	catIllegal
	catInsult
	catOffTopic
	catPersonalData
	catPolitical
	catProfanity
	catRequest
	catSpam
	catThreat
	numCats
)

var catCodes = [numCats]string{
	CodeBlasphemy, CodeCommercial, CodeEmergency, CodeHate, CodeIllegal, CodeInsult, CodeOffTopic,
	CodePersonalData, CodePolitical, CodeProfanity, CodeRequest, CodeSpam, CodeThreat,
}

// Input is one comment to classify.
type Input struct {
	// Text is the comment as written.
	Text string
	// PostText is the Comune's post the comment answers; it may be empty.
	PostText string
	// Private is true for a private message to the page.
	Private bool
	// AuthorAnonymous is true when the author is an evident nickname or fake profile.
	AuthorAnonymous bool
}

// TenantOptions carries what a Comune's policy adds to the shared lexicons.
type TenantOptions struct {
	// Sponsors are company names allowed to advertise.
	Sponsors []string
	// Contacts are the Comune's own phones and e-mail addresses: never personal data.
	Contacts []string
	// AllowDomains are official or trusted domains; DenyDomains are always spam.
	AllowDomains, DenyDomains []string
	// PoliticalTerms are extra party, list, candidate or hashtag terms.
	PoliticalTerms []string
}

// Result is the classification of one comment.
type Result struct {
	// Labels are sorted by Code; empty when the comment is clean.
	Labels []Label
	// Evidence lists the rules that fired, with offsets into Input.Text.
	Evidence []Evidence
	// Topic is set only when "request" is a label.
	Topic string
	// TopicConfidence is in [0,1], zero without a topic.
	TopicConfidence float64
}

// Label is one category with a score in [0,1].
type Label struct {
	Code  string
	Score float64
}

// Evidence is one rule that fired, with the byte range of Input.Text it matched.
type Evidence struct {
	Category, RuleID string
	Start, End       int
}

// Codes returns the label codes in order.
func (r Result) Codes() []string {
	out := make([]string, len(r.Labels))
	for i, l := range r.Labels {
		out[i] = l.Code
	}
	return out
}

// Has reports whether the result carries the code.
func (r Result) Has(code string) bool {
	for _, l := range r.Labels {
		if l.Code == code {
			return true
		}
	}
	return false
}

// Engine classifies comments with the compiled lexicons. It is safe for
// concurrent use.
type Engine struct {
	lex   *compiled
	holy  map[string]bool
	blas  map[string]bool
	pool  sync.Pool
	words map[string]int32 // single-word entries by folded form, for compound splitting
}

// NewEngine compiles the shared lexicons once.
func NewEngine() (*Engine, error) {
	lex, err := compileLexicon()
	if err != nil {
		return nil, err
	}
	e := &Engine{lex: lex, holy: map[string]bool{}, blas: map[string]bool{}}
	for _, s := range lexiconSources {
		if s.kind != kHoly && s.kind != kBlasWord {
			continue
		}
		for _, w := range strings.Split(s.words, "|") {
			f := Normalize(w).Text
			if strings.Contains(f, " ") || f == "" {
				continue
			}
			if s.kind == kHoly {
				e.holy[f] = true
			} else {
				e.blas[f] = true
			}
		}
	}
	e.pool.New = func() any { return new(scratch) }
	return e, nil
}

// maxHitsPerKind bounds the hits kept for one lexicon kind.
const maxHitsPerKind = 256

// hit is one lexicon match.
type hit struct {
	e      int32 // entry index
	ts, te int32 // token range [ts, te)
	bs, be int32 // byte range in the folded text
}

// catState is what the detectors found for one category.
type catState struct {
	on    bool
	score float64
}

// scratch is the reusable state of one call.
type scratch struct {
	d          doc
	post       doc
	hits       [numKinds][]hit
	tokKinds   []uint64
	consumed   []uint8 // per token: which detector took it
	cats       [numCats]catState
	ev         []Evidence
	compact    []compactChar
	compactOff []int32
	digits     []byte
	links      []link
}

const (
	consumedNone uint8 = iota
	consumedBlasphemy
	consumedHate
	consumedInsult
	consumedThreat
)

func (s *scratch) reset() {
	for k := range s.hits {
		s.hits[k] = s.hits[k][:0]
	}
	s.cats = [numCats]catState{}
	s.ev = s.ev[:0]
	s.links = s.links[:0]
}

// Classify labels one comment. opt may be nil.
func (e *Engine) Classify(in Input, opt *TenantOptions) Result {
	s := e.pool.Get().(*scratch)
	defer e.pool.Put(s)
	s.reset()
	s.d.reset(in.Text)
	s.d.normalize()
	e.match(s)
	c := classifier{e: e, s: s, d: &s.d, in: in, opt: opt}
	return c.run()
}

// match runs the automaton over the folded text and files the hits by kind.
func (e *Engine) match(s *scratch) {
	d := &s.d
	n := len(d.toks)
	if cap(s.tokKinds) < n {
		s.tokKinds = make([]uint64, n)
		s.consumed = make([]uint8, n)
	}
	s.tokKinds = s.tokKinds[:n]
	s.consumed = s.consumed[:n]
	for i := range s.tokKinds {
		s.tokKinds[i] = 0
		s.consumed[i] = 0
	}
	text := d.text
	m := e.lex.m
	st := int32(0)
	for i := 0; i < len(text); i++ {
		st = m.next[st*alphabetSize+symbol(text[i])]
		for _, p := range m.out[st] {
			be := i + 1
			bs := be - int(m.lens[p])
			ent := &e.lex.entries[p]
			leftOK := bs == 0 || text[bs-1] == ' '
			rightOK := ent.stem || be == len(text) || text[be] == ' '
			ts, te := d.tokOf[bs], d.tokOf[be-1]+1
			if ent.joined || !leftOK || !rightOK {
				// Inside letters joined from single characters, items may run
				// together; inside a hashtag only campaign and promotion words do.
				if ts+1 != te || be-bs < 4 {
					continue
				}
				f := d.toks[ts].flags
				if f&flagJoined == 0 && (f&flagHashtag == 0 || !hashtagKind(ent.kind)) {
					continue
				}
			}
			// A real comment never needs more; the cap bounds the detectors' work on hostile input.
			if len(s.hits[ent.kind]) < maxHitsPerKind {
				s.hits[ent.kind] = append(s.hits[ent.kind], hit{e: p, ts: ts, te: te, bs: int32(bs), be: int32(be)})
			}
			if te == ts+1 && !ent.joined && leftOK && rightOK {
				s.tokKinds[ts] |= 1 << ent.kind
			}
		}
	}
}

// hashtagKind reports the kinds that may be found run together inside a hashtag.
func hashtagKind(k kind) bool {
	switch k {
	case kParty, kPolStrong, kPolWeak, kSpamStrong, kCommStrong:
		return true
	}
	return false
}

// classifier holds one call's working state for the detectors.
type classifier struct {
	e   *Engine
	s   *scratch
	d   *doc
	in  Input
	opt *TenantOptions
}

func (c *classifier) tok(i int) string {
	t := c.d.toks[i]
	return string(c.d.text[t.s:t.e])
}

// tokIs compares a token with a folded word without allocating.
func (c *classifier) tokIs(i int, w string) bool {
	if i < 0 || i >= len(c.d.toks) {
		return false
	}
	t := c.d.toks[i]
	return string(c.d.text[t.s:t.e]) == w
}

func (c *classifier) tokIn(i int, ws ...string) bool {
	for _, w := range ws {
		if c.tokIs(i, w) {
			return true
		}
	}
	return false
}

func (c *classifier) has(k kind) bool { return len(c.s.hits[k]) > 0 }

func (c *classifier) tokHas(i int, k kind) bool {
	return i >= 0 && i < len(c.s.tokKinds) && c.s.tokKinds[i]&(1<<k) != 0
}

// sentenceBreak reports whether a sentence boundary lies between tokens a < b.
func (c *classifier) sentenceBreak(a, b int) bool {
	if a > b {
		a, b = b, a
	}
	for i := a + 1; i <= b && i < len(c.d.toks); i++ {
		if c.d.toks[i].brk == 2 {
			return true
		}
	}
	return false
}

// anyBreak reports whether any clause boundary lies between tokens a < b.
func (c *classifier) anyBreak(a, b int) bool {
	if a > b {
		a, b = b, a
	}
	for i := a + 1; i <= b && i < len(c.d.toks); i++ {
		if c.d.toks[i].brk > 0 {
			return true
		}
	}
	return false
}

// near finds a hit of kind k within dist tokens of [ts,te); dir < 0 looks
// only before, dir > 0 only after, 0 both ways. sameSentence forbids a
// sentence boundary in between. It returns the hit index or -1.
func (c *classifier) near(k kind, ts, te int32, dist int32, dir int, sameSentence bool) int {
	best, bestD := -1, int32(1<<30)
	for hi, h := range c.s.hits[k] {
		var dd int32
		switch {
		case h.te <= ts:
			if dir > 0 {
				continue
			}
			dd = ts - h.te
		case h.ts >= te:
			if dir < 0 {
				continue
			}
			dd = h.ts - te
		default:
			continue // overlapping: not "near", the same words
		}
		if dd > dist || dd >= bestD {
			continue
		}
		if sameSentence && c.sentenceBreak(int(min(h.ts, ts)), int(max(h.te, te))-1) {
			continue
		}
		best, bestD = hi, dd
	}
	return best
}

func (c *classifier) quoted(h hit) bool {
	for i := h.ts; i < h.te; i++ {
		if c.d.toks[i].flags&flagQuoted == 0 {
			return false
		}
	}
	return true
}

func (c *classifier) consumedAny(h hit) bool {
	for i := h.ts; i < h.te; i++ {
		if c.s.consumed[i] != consumedNone {
			return true
		}
	}
	return false
}

func (c *classifier) consume(h hit, by uint8) {
	for i := h.ts; i < h.te; i++ {
		if c.s.consumed[i] == consumedNone {
			c.s.consumed[i] = by
		}
	}
}

// set turns a category on with at least the given score.
func (c *classifier) set(cat int, score float64) {
	st := &c.s.cats[cat]
	st.on = true
	if score > st.score {
		st.score = score
	}
}

func (c *classifier) off(cat int) { c.s.cats[cat] = catState{} }

func (c *classifier) on(cat int) bool { return c.s.cats[cat].on }

// evHit records a lexicon hit as evidence.
func (c *classifier) evHit(cat int, h hit) {
	c.evID(cat, c.e.lex.entries[h.e].id, int(h.bs), int(h.be))
}

// evID records evidence for the folded byte range [bs,be).
func (c *classifier) evID(cat int, id string, bs, be int) {
	d := c.d
	if bs < 0 || be > len(d.text) || bs >= be {
		return
	}
	c.s.ev = append(c.s.ev, Evidence{Category: catCodes[cat], RuleID: id, Start: int(d.start[bs]), End: int(d.end[be-1])})
}

// evTok records evidence for tokens [ts,te).
func (c *classifier) evTok(cat int, id string, ts, te int) {
	if ts < 0 || te > len(c.d.toks) || ts >= te {
		return
	}
	c.s.ev = append(c.s.ev, Evidence{Category: catCodes[cat], RuleID: id, Start: int(c.d.toks[ts].os), End: int(c.d.toks[te-1].oe)})
}

// evRaw records evidence for an original byte range.
func (c *classifier) evRaw(cat int, id string, start, end int) {
	c.s.ev = append(c.s.ev, Evidence{Category: catCodes[cat], RuleID: id, Start: start, End: end})
}

// run applies every detector and the taxonomy's conventions.
func (c *classifier) run() Result {
	c.detectBlasphemy()
	c.detectHate()
	c.detectThreat()
	c.detectInsult()
	c.detectProfanity()
	c.scanLinks()
	c.detectIllegal()
	c.detectCommercial()
	c.detectSpam()
	c.detectPersonalData()
	c.detectPolitical()
	c.detectEmergency()
	topic, conf := c.detectRequest()
	c.detectOffTopic()
	c.conventions()

	var res Result
	for cat := 0; cat < numCats; cat++ {
		st := c.s.cats[cat]
		if !st.on {
			continue
		}
		sc := st.score
		if sc > 1 {
			sc = 1
		}
		res.Labels = append(res.Labels, Label{Code: catCodes[cat], Score: sc})
	}
	if len(c.s.ev) > 0 {
		res.Evidence = make([]Evidence, 0, len(c.s.ev))
		for _, ev := range c.s.ev {
			if idx := catIndex(ev.Category); idx >= 0 && c.s.cats[idx].on {
				res.Evidence = append(res.Evidence, ev)
			}
		}
		sort.Slice(res.Evidence, func(i, j int) bool {
			a, b := res.Evidence[i], res.Evidence[j]
			if a.Start != b.Start {
				return a.Start < b.Start
			}
			if a.End != b.End {
				return a.End < b.End
			}
			if a.Category != b.Category {
				return a.Category < b.Category
			}
			return a.RuleID < b.RuleID
		})
		res.Evidence = slices.Compact(res.Evidence)
	}
	if c.on(catRequest) {
		res.Topic, res.TopicConfidence = topic, conf
	}
	return res
}

func catIndex(code string) int {
	for i, c := range catCodes {
		if c == code {
			return i
		}
	}
	return -1
}

// conventions applies the multi-label rules of the taxonomy.
func (c *classifier) conventions() {
	if c.on(catEmergency) {
		c.off(catRequest)
	}
	others := false
	for cat := 0; cat < numCats; cat++ {
		if cat != catOffTopic && c.on(cat) {
			others = true
		}
	}
	if others {
		c.off(catOffTopic)
	}
}
