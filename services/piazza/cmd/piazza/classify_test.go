package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestClassifyWritesOneLinePerCommentAndReportsBadLines(t *testing.T) {
	in := strings.Join([]string{
		`{"id":"a","tenant":"monza","channel":"comment","text":"Sindaco sei un idiota","labels":["clean-by-mistake"]}`,
		`{"id":"b","text":`,
		`{"id":"c","channel":"comment","post_text":"Lavori in via Italia","text":"Buongiorno, c'è una buca enorme in via Roma davanti al civico 3, quando la riparate?"}`,
	}, "\n")
	var out, errOut bytes.Buffer
	if err := runClassify([]string{"--tenant", "monza", "--policies", "../../../../deploy/policies"}, strings.NewReader(in), &out, &errOut); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d output lines, want 2:\n%s", len(lines), out.String())
	}
	var a, c classifyLine
	if err := json.Unmarshal([]byte(lines[0]), &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &c); err != nil {
		t.Fatal(err)
	}
	if a.ID != "a" || len(a.Labels) != 1 || a.Labels[0] != "insult" || len(a.Evidence) == 0 || a.Scores["insult"] <= 0 {
		t.Errorf("line a = %+v, want insult with evidence and a score (input labels ignored)", a)
	}
	if c.ID != "c" || c.Topic != "roads" {
		t.Errorf("line c = %+v, want a request on roads", c)
	}
	if !strings.Contains(errOut.String(), "line 2") {
		t.Errorf("stderr %q does not name the bad line", errOut.String())
	}
}

func TestClassifyNeedsAKnownTenant(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := runClassify(nil, strings.NewReader(""), &out, &errOut); err == nil {
		t.Error("no --tenant, no error")
	}
	if err := runClassify([]string{"--tenant", "atlantide", "--policies", "../../../../deploy/policies"}, strings.NewReader(""), &out, &errOut); err == nil {
		t.Error("unknown tenant, no error")
	}
}

func TestEvalRunsOnTheSharedSets(t *testing.T) {
	var out, errOut bytes.Buffer
	jsonPath := t.TempDir() + "/eval.json"
	err := runEval([]string{"--eval", "../../../../../shared/eval", "--datasets", "../../../../../shared/datasets",
		"--policies", "../../../../deploy/policies", "--json", jsonPath}, &out, &errOut)
	if err != nil {
		t.Fatalf("eval: %v (it needs ../shared beside the repository)", err)
	}
	for _, want := range []string{"dev-municipal.jsonl", "macro-F1", "HaSpeeDe FB: LDNOOBW word list", "HateCheck", "figures written"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("eval output lacks %q", want)
		}
	}
}
