package evaluation

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode"
)

// Classify labels one case.
type Classify func(Case) Prediction

// Results is everything one evaluation run measured.
type Results struct {
	// Files are the taxonomy-format files, one report each.
	Files []MultiLabelReport `json:"files"`
	// HaSpeeDe is hate speech (hs) on the Facebook and Twitter training sets: Piazza and the
	// word-list baselines.
	HaSpeeDe []BinaryReport `json:"haspeede"`
	// AMIMisogynous and AMIAggressive are the two AMI 2020 tasks.
	AMIMisogynous []BinaryReport `json:"ami_misogynous"`
	AMIAggressive []BinaryReport `json:"ami_aggressive"`
	// HateCheck is accuracy per functionality on Multilingual HateCheck (Italian).
	HateCheck *GroupedReport `json:"hatecheck,omitempty"`
}

// Config says what to evaluate.
type Config struct {
	// EvalDir holds taxonomy-format *.jsonl files.
	EvalDir string
	// DatasetsDir holds the public data sets; empty skips them.
	DatasetsDir string
}

// The mappings of the public data sets' labels onto the taxonomy. They are fixed here, not
// tuned: the data sets are an outside check.
var (
	haspeedeHS    = []string{"hate", "insult", "threat"}
	amiMisogynous = []string{"hate", "insult"}
	amiAggressive = []string{"threat", "insult"}
	hateCheckHate = []string{"hate", "threat"}
)

// Run evaluates classify on the configured files and data sets.
func Run(cfg Config, classify Classify) (*Results, error) {
	res := &Results{}
	files, err := filepath.Glob(filepath.Join(cfg.EvalDir, "*.jsonl"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no *.jsonl files in %s", cfg.EvalDir)
	}
	sort.Strings(files)
	for _, path := range files {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
		cases, bad, err := ReadTaxonomy(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(bad) > 0 {
			return nil, fmt.Errorf("%s: %d unreadable lines, first: %v", path, len(bad), bad[0])
		}
		preds := make([]Prediction, len(cases))
		for i, c := range cases {
			preds[i] = classify(c)
		}
		res.Files = append(res.Files, ScoreMultiLabel(filepath.Base(path), cases, preds))
	}
	if cfg.DatasetsDir == "" {
		return res, nil
	}
	ds := cfg.DatasetsDir
	ldnoobw, err := LoadWordList(filepath.Join(ds, "ldnoobw_it", "it.txt"))
	if err != nil {
		return nil, err
	}
	hurtlex, err := LoadHurtLex(filepath.Join(ds, "hurtlex_it", "hurtlex_IT_1.2.tsv"), "conservative")
	if err != nil {
		return nil, err
	}
	has := func(text string, codes []string) bool {
		p := classify(Case{Text: text})
		for _, l := range p.Labels {
			for _, c := range codes {
				if l == c {
					return true
				}
			}
		}
		return false
	}
	for _, name := range []string{"FB", "TW"} {
		cases, err := ReadHaSpeeDe(filepath.Join(ds, "haspeede2018", "haspeede_"+name+"-train.tsv"))
		if err != nil {
			return nil, err
		}
		gold := make([]bool, len(cases))
		ours, wl1, wl2 := make([]bool, len(cases)), make([]bool, len(cases)), make([]bool, len(cases))
		for i, c := range cases {
			gold[i] = c.Gold
			ours[i] = has(c.Text, haspeedeHS)
			wl1[i] = ldnoobw.Match(c.Text)
			wl2[i] = hurtlex.Match(c.Text)
		}
		res.HaSpeeDe = append(res.HaSpeeDe,
			ScoreBinary("HaSpeeDe "+name+": Piazza (hate|insult|threat)", gold, ours),
			ScoreBinary("HaSpeeDe "+name+": LDNOOBW word list", gold, wl1),
			ScoreBinary("HaSpeeDe "+name+": HurtLex conservative", gold, wl2))
	}
	ami, err := ReadAMI(filepath.Join(ds, "ami2020", "AMI2020_training_raw.tsv"))
	if err != nil {
		return nil, err
	}
	mis, agg := make([]bool, len(ami)), make([]bool, len(ami))
	pm, pa, w1, w2 := make([]bool, len(ami)), make([]bool, len(ami)), make([]bool, len(ami)), make([]bool, len(ami))
	for i, c := range ami {
		mis[i], agg[i] = c.Misogynous, c.Aggressive
		p := classify(Case{Text: c.Text})
		pm[i], pa[i] = anyOf(p.Labels, amiMisogynous), anyOf(p.Labels, amiAggressive)
		w1[i], w2[i] = ldnoobw.Match(c.Text), hurtlex.Match(c.Text)
	}
	res.AMIMisogynous = []BinaryReport{
		ScoreBinary("AMI misogynous: Piazza (hate|insult)", mis, pm),
		ScoreBinary("AMI misogynous: LDNOOBW word list", mis, w1),
		ScoreBinary("AMI misogynous: HurtLex conservative", mis, w2),
	}
	res.AMIAggressive = []BinaryReport{
		ScoreBinary("AMI aggressive: Piazza (threat|insult)", agg, pa),
		ScoreBinary("AMI aggressive: LDNOOBW word list", agg, w1),
		ScoreBinary("AMI aggressive: HurtLex conservative", agg, w2),
	}
	hc, err := ReadHateCheck(filepath.Join(ds, "mhc_italian", "hatecheck_cases_final_italian.csv"))
	if err != nil {
		return nil, err
	}
	groups, gold, got := make([]string, len(hc)), make([]bool, len(hc)), make([]bool, len(hc))
	for i, c := range hc {
		groups[i], gold[i], got[i] = c.Functionality, c.Hateful, has(c.Text, hateCheckHate)
	}
	g := ScoreGrouped("Multilingual HateCheck (Italian): hateful = hate|threat", groups, gold, got)
	res.HateCheck = &g
	return res, nil
}

func anyOf(labels, codes []string) bool {
	for _, l := range labels {
		for _, c := range codes {
			if l == c {
				return true
			}
		}
	}
	return false
}

// WriteTable prints every report.
func (r *Results) WriteTable(w io.Writer) {
	for _, f := range r.Files {
		WriteMultiLabel(w, f)
		fmt.Fprintln(w)
	}
	if len(r.HaSpeeDe) > 0 {
		WriteBinary(w, "HaSpeeDe 2018 (hs → hate|insult|threat), with word-list baselines", r.HaSpeeDe)
		fmt.Fprintln(w)
		WriteBinary(w, "AMI 2020 training (misogynous → hate|insult)", r.AMIMisogynous)
		WriteBinary(w, "AMI 2020 training (aggressive → threat|insult)", r.AMIAggressive)
		fmt.Fprintln(w)
	}
	if r.HateCheck != nil {
		WriteGrouped(w, *r.HateCheck)
	}
}

// WordList is a word-list baseline: a text is positive when it contains any entry as a whole
// word (or word sequence), case-insensitively.
type WordList struct {
	words  map[string]bool
	phrase []string
}

// Match reports whether text contains an entry.
func (l *WordList) Match(text string) bool {
	toks := tokens(text)
	for _, t := range toks {
		if l.words[t] {
			return true
		}
	}
	if len(l.phrase) == 0 {
		return false
	}
	joined := " " + strings.Join(toks, " ") + " "
	for _, p := range l.phrase {
		if strings.Contains(joined, " "+p+" ") {
			return true
		}
	}
	return false
}

func tokens(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

func newWordList(entries []string) *WordList {
	l := &WordList{words: map[string]bool{}}
	for _, e := range entries {
		toks := tokens(e)
		switch len(toks) {
		case 0:
		case 1:
			l.words[toks[0]] = true
		default:
			l.phrase = append(l.phrase, strings.Join(toks, " "))
		}
	}
	return l
}

// LoadWordList reads one entry per line.
func LoadWordList(path string) (*WordList, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	var entries []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		entries = append(entries, sc.Text())
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return newWordList(entries), nil
}

// LoadHurtLex reads the HurtLex lemmas of one level ("conservative" or "inclusive").
func LoadHurtLex(path, level string) (*WordList, error) {
	rows, err := readTSV(path, true)
	if err != nil {
		return nil, err
	}
	var entries []string
	for _, r := range rows {
		if len(r) >= 6 && r[5] == level {
			entries = append(entries, r[4])
		}
	}
	return newWordList(entries), nil
}
