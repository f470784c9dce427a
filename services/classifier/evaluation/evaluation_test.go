package evaluation

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestScoreMultiLabel(t *testing.T) {
	cases := []Case{
		{Labels: []string{"insult"}},
		{Labels: []string{"request"}, Topic: "roads"},
		{Labels: []string{}},
		{Labels: []string{"request"}, Topic: "waste"},
	}
	preds := []Prediction{
		{Labels: []string{"insult"}},
		{Labels: []string{"request"}, Topic: "roads"},
		{Labels: []string{"insult"}},
		{Labels: []string{"request"}, Topic: "green"},
	}
	r := ScoreMultiLabel("t", cases, preds)
	byCode := map[string]CategoryScore{}
	for _, c := range r.Categories {
		byCode[c.Code] = c
	}
	if c := byCode["insult"]; c.TP != 1 || c.FP != 1 || c.FN != 0 || !near(c.Precision, 0.5) || !near(c.Recall, 1) {
		t.Errorf("insult %+v, want TP 1 FP 1 precision 0.5 recall 1", c)
	}
	if c := byCode["request"]; c.TP != 2 || !near(c.F1, 1) {
		t.Errorf("request %+v", c)
	}
	if !near(r.MacroF1, (2.0/3+1)/2) {
		t.Errorf("macro-F1 %v", r.MacroF1)
	}
	if !near(r.TopicAccuracy, 0.5) || r.TopicCases != 2 || r.TopicConfusion["waste"]["green"] != 1 {
		t.Errorf("topics: accuracy %v over %d, confusion %v", r.TopicAccuracy, r.TopicCases, r.TopicConfusion)
	}
	if !near(r.ExactMatch, 0.75) {
		t.Errorf("exact match %v, want 0.75", r.ExactMatch)
	}
}

func TestScoreBinaryAndGrouped(t *testing.T) {
	gold := []bool{true, true, false, false}
	got := []bool{true, false, true, false}
	b := ScoreBinary("x", gold, got)
	if b.TP != 1 || b.FN != 1 || b.FP != 1 || b.TN != 1 || !near(b.MacroF1, 0.5) || !near(b.Accuracy, 0.5) {
		t.Errorf("binary %+v", b)
	}
	g := ScoreGrouped("g", []string{"a", "b", "b", "a"}, gold, got)
	if len(g.Groups) != 2 || g.Groups[0].Name != "a" || !near(g.Groups[0].Accuracy, 1) || !near(g.Groups[1].Accuracy, 0) {
		t.Errorf("grouped %+v", g)
	}
}

func TestReadersAndWordLists(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases, bad, err := ReadTaxonomy(strings.NewReader(`{"id":"1","tenant":"monza","text":"ciao","labels":[]}
not json
{"id":"3","text":"x"}
`))
	if err != nil || len(cases) != 1 || len(bad) != 2 || bad[0].Line != 2 || bad[1].Line != 3 {
		t.Errorf("ReadTaxonomy: %d cases, bad %v, err %v", len(cases), bad, err)
	}
	hs, err := ReadHaSpeeDe(write("hs.tsv", "1\tbrutto testo\t1\n2\tbel testo\t0\n"))
	if err != nil || len(hs) != 2 || !hs[0].Gold || hs[1].Gold {
		t.Errorf("ReadHaSpeeDe: %v %v", hs, err)
	}
	if _, err := ReadHaSpeeDe(write("bad.tsv", "1\tonly two\n")); err == nil {
		t.Error("a short HaSpeeDe row was accepted")
	}
	ami, err := ReadAMI(write("ami.tsv", "id\ttext\tmisogynous\taggressiveness\n1\tx\t1\t0\n"))
	if err != nil || len(ami) != 1 || !ami[0].Misogynous || ami[0].Aggressive {
		t.Errorf("ReadAMI: %v %v", ami, err)
	}
	hc, err := ReadHateCheck(write("hc.csv", "functionality,test_case,label_gold\nslur_h,\"testo, con virgola\",hateful\nident_neutral_nh,altro,non-hateful\n"))
	if err != nil || len(hc) != 2 || !hc[0].Hateful || hc[0].Text != "testo, con virgola" || hc[1].Hateful {
		t.Errorf("ReadHateCheck: %v %v", hc, err)
	}
	wl, err := LoadWordList(write("wl.txt", "stronzo\nfiglio di\n"))
	if err != nil {
		t.Fatal(err)
	}
	for text, want := range map[string]bool{"Sei uno STRONZO!": true, "stronzone": false, "figlio di nessuno": true, "figlio mio": false} {
		if got := wl.Match(text); got != want {
			t.Errorf("Match(%q) = %v, want %v", text, got, want)
		}
	}
}
