package rules

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"testing"
)

// hateCheckPath is Multilingual HateCheck (Italian), used as an outside check.
const hateCheckPath = "../../../../shared/datasets/mhc_italian/hatecheck_cases_final_italian.csv"

// TestHateCheckItalian measures hate detection on Multilingual HateCheck:
// a case counts as predicted hateful when the engine labels it hate.
func TestHateCheckItalian(t *testing.T) {
	f, err := os.Open(filepath.FromSlash(hateCheckPath))
	if err != nil {
		t.Fatalf("HateCheck cases %s are missing (shared read-only datasets folder): %v", hateCheckPath, err)
	}
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("reading %s: %v", hateCheckPath, err)
	}
	if len(records) < 2 {
		t.Fatalf("%s has no cases", hateCheckPath)
	}
	col := map[string]int{}
	for i, name := range records[0] {
		col[name] = i
	}
	for _, name := range []string{"functionality", "test_case", "label_gold"} {
		if _, ok := col[name]; !ok {
			t.Fatalf("%s has no column %q", hateCheckPath, name)
		}
	}
	e := newTestEngine(t)
	type acc struct{ ok, n int }
	byFunc := map[string]*acc{}
	var order []string
	total := acc{}
	for _, r := range records[1:] {
		fn := r[col["functionality"]]
		want := r[col["label_gold"]] == "hateful"
		got := e.Classify(Input{Text: r[col["test_case"]]}, nil).Has(CodeHate)
		a := byFunc[fn]
		if a == nil {
			a = &acc{}
			byFunc[fn] = a
			order = append(order, fn)
		}
		a.n++
		total.n++
		if got == want {
			a.ok++
			total.ok++
		} else if *showErrors {
			t.Logf("%s got hate=%v | %s", fn, got, r[col["test_case"]])
		}
	}
	for _, fn := range order {
		a := byFunc[fn]
		t.Logf("%-20s %.3f (%d/%d)", fn, float64(a.ok)/float64(a.n), a.ok, a.n)
	}
	accuracy := float64(total.ok) / float64(total.n)
	t.Logf("HateCheck Italian accuracy = %.3f (%d/%d)", accuracy, total.ok, total.n)
	if floor := 0.80; accuracy < floor {
		t.Errorf("HateCheck accuracy = %.3f, want >= %.2f", accuracy, floor)
	}
}
