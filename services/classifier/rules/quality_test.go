package rules

import (
	"bufio"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// devSetPath is the shared labelled dev set, relative to this package.
const devSetPath = "../../../../shared/eval/dev-municipal.jsonl"

var showErrors = flag.Bool("dev.errors", false, "log every dev-set comment the engine gets wrong")

// devRow is one labelled comment of the dev set.
type devRow struct {
	ID       string   `json:"id"`
	Tenant   string   `json:"tenant"`
	Channel  string   `json:"channel"`
	PostText string   `json:"post_text"`
	Text     string   `json:"text"`
	Labels   []string `json:"labels"`
	Topic    string   `json:"topic"`
	Author   struct {
		Anonymous bool `json:"anonymous"`
	} `json:"author"`
}

func loadDevSet(t testing.TB) []devRow {
	t.Helper()
	f, err := os.Open(filepath.FromSlash(devSetPath))
	if err != nil {
		t.Fatalf("dev set %s is missing (it lives in the shared read-only folder next to the repository): %v", devSetPath, err)
	}
	defer f.Close()
	var rows []devRow
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r devRow
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("dev set line %d: %v", len(rows)+1, err)
		}
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("reading dev set: %v", err)
	}
	if len(rows) == 0 {
		t.Fatalf("dev set %s is empty", devSetPath)
	}
	return rows
}

func devInput(r devRow) Input {
	return Input{Text: r.Text, PostText: r.PostText, Private: r.Channel == "private_message", AuthorAnonymous: r.Author.Anonymous}
}

// prf holds the counts of one category.
type prf struct{ tp, fp, fn int }

func (c prf) scores() (p, r, f float64) {
	if c.tp+c.fp > 0 {
		p = float64(c.tp) / float64(c.tp+c.fp)
	} else if c.fn == 0 {
		p = 1
	}
	if c.tp+c.fn > 0 {
		r = float64(c.tp) / float64(c.tp+c.fn)
	} else if c.fp == 0 {
		r = 1
	}
	if p+r > 0 {
		f = 2 * p * r / (p + r)
	}
	return p, r, f
}

// TestDevSetQuality measures the engine on the labelled dev set and fails
// when quality falls below the floors reached so far.
func TestDevSetQuality(t *testing.T) {
	rows := loadDevSet(t)
	e, err := NewEngine()
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]*prf{}
	for _, code := range catCodes {
		counts[code] = &prf{}
	}
	topicOK, topicN, exact := 0, 0, 0
	for _, r := range rows {
		res := e.Classify(devInput(r), nil)
		got := res.Codes()
		for _, code := range catCodes {
			g, w := slices.Contains(got, code), slices.Contains(r.Labels, code)
			switch {
			case g && w:
				counts[code].tp++
			case g:
				counts[code].fp++
			case w:
				counts[code].fn++
			}
		}
		if slices.Equal(got, r.Labels) {
			exact++
		} else if *showErrors {
			t.Logf("%s got %v want %v | %s", r.ID, got, r.Labels, r.Text)
		}
		if slices.Contains(r.Labels, CodeRequest) && slices.Contains(got, CodeRequest) {
			topicN++
			if res.Topic == r.Topic {
				topicOK++
			} else if *showErrors {
				t.Logf("%s topic got %s want %s | %s", r.ID, res.Topic, r.Topic, r.Text)
			}
		}
	}
	macro := 0.0
	var lines []string
	for _, code := range catCodes {
		p, rc, f := counts[code].scores()
		macro += f
		lines = append(lines, code)
		t.Logf("%-14s P=%.3f R=%.3f F1=%.3f (tp=%d fp=%d fn=%d)", code, p, rc, f, counts[code].tp, counts[code].fp, counts[code].fn)
	}
	macro /= float64(len(catCodes))
	topicAcc := 0.0
	if topicN > 0 {
		topicAcc = float64(topicOK) / float64(topicN)
	}
	insultP, _, _ := counts[CodeInsult].scores()
	t.Logf("macro-F1=%.3f insult-P=%.3f topic-accuracy=%.3f (%d/%d on detected requests) exact=%d/%d [%s]",
		macro, insultP, topicAcc, topicOK, topicN, exact, len(rows), strings.Join(lines, ","))
	floors := struct{ macro, insultP, topic float64 }{0.93, 0.95, 0.90}
	if macro < floors.macro {
		t.Errorf("macro-F1 = %.3f, want >= %.2f", macro, floors.macro)
	}
	if insultP < floors.insultP {
		t.Errorf("insult precision = %.3f, want >= %.2f", insultP, floors.insultP)
	}
	if topicAcc < floors.topic {
		t.Errorf("topic accuracy = %.3f, want >= %.2f", topicAcc, floors.topic)
	}
}
