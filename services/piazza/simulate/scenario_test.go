package simulate

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/piazza-pa/piazza/pkg/policy"
	"github.com/piazza-pa/piazza/pkg/testinfra"
	"github.com/piazza-pa/piazza/services/classifier/rules"
)

const (
	policiesDir  = "../../../deploy/policies"
	scenariosDir = policiesDir + "/testdata"
)

// expected is one line of a scenario's .want.jsonl: the outcome's basic fields must be equal;
// topic, office and replies are compared when the line gives them; every reply_contains text
// must appear in one of the replies.
type expected struct {
	Outcome
	ReplyContains []string `json:"reply_contains"`
}

type harness struct {
	set    *policy.Set
	engine *rules.Engine
	rdb    *redis.Client
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	set, err := policy.LoadDir(policiesDir)
	if err != nil {
		t.Fatalf("load policies: %v", err)
	}
	engine, err := rules.NewEngine()
	if err != nil {
		t.Fatalf("compile rules: %v", err)
	}
	srv := testinfra.StartRedis(t)
	opts, err := redis.ParseURL(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { _ = rdb.Close() })
	return &harness{set: set, engine: engine, rdb: rdb}
}

// simulate runs input as tenant on a fresh keyspace and returns the outcomes with detail.
func (h *harness) simulate(t *testing.T, tenant string, input []byte) []Outcome {
	t.Helper()
	ctx := context.Background()
	sim, err := New(ctx, Config{Policies: h.set, Tenant: tenant, Redis: h.rdb, Engine: h.engine})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	var out bytes.Buffer
	runErr := Run(ctx, sim, bytes.NewReader(input), &out, true)
	if err := sim.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if left, err := h.rdb.Keys(ctx, sim.KeyPrefix()+"*").Result(); err != nil || len(left) > 0 {
		t.Errorf("keys left after Close: %v (%v)", left, err)
	}
	if runErr != nil {
		t.Fatalf("Run: %v", runErr)
	}
	var got []Outcome
	sc := bufio.NewScanner(&out)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var o Outcome
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
			t.Fatalf("output line %q: %v", sc.Text(), err)
		}
		got = append(got, o)
	}
	return got
}

// TestScenarios runs every scenario of deploy/policies/testdata/<tenant>/: <name>.jsonl is the
// input of `piazza simulate --tenant <tenant>`, <name>.want.jsonl what must come out, line by
// line. Each scenario starts with no strikes.
func TestScenarios(t *testing.T) {
	h := newHarness(t)
	tenants := map[string]int{}
	inputs, err := filepath.Glob(filepath.Join(scenariosDir, "*", "*.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range inputs {
		if strings.HasSuffix(in, ".want.jsonl") {
			continue
		}
		tenant := filepath.Base(filepath.Dir(in))
		name := strings.TrimSuffix(filepath.Base(in), ".jsonl")
		tenants[tenant]++
		t.Run(tenant+"/"+name, func(t *testing.T) {
			input, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			want := readExpected(t, strings.TrimSuffix(in, ".jsonl")+".want.jsonl")
			got := h.simulate(t, tenant, input)
			if len(got) != len(want) {
				t.Fatalf("%d outcomes, want %d", len(got), len(want))
			}
			intents := intendedLabels(t, input)
			for i := range want {
				check(t, i+1, got[i], want[i])
				// The labels written in the input are the author's intent; an expectation that
				// differs from them would enshrine a misreading of the classifier.
				if l, ok := intents[i]; ok && !slices.Equal(l, want[i].Labels) {
					t.Errorf("step %d (%s): input says labels %v, the expectation %v", i+1, want[i].ID, l, want[i].Labels)
				}
			}
		})
	}
	for _, code := range []string{"bussero", "canegrate", "crespiatica", "maglione", "monza"} {
		if tenants[code] == 0 {
			t.Errorf("no scenario for %s in %s", code, scenariosDir)
		}
	}
}

// intendedLabels returns, by step, the taxonomy labels an input line declares, when it does.
func intendedLabels(t *testing.T, input []byte) map[int][]string {
	t.Helper()
	out := map[int][]string{}
	step := 0
	for _, line := range strings.Split(string(input), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var l struct {
			Labels *[]string `json:"labels"`
		}
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("input step %d: %v", step+1, err)
		}
		if l.Labels != nil {
			labels := slices.Clone(*l.Labels)
			if labels == nil {
				labels = []string{}
			}
			slices.Sort(labels)
			out[step] = labels
		}
		step++
	}
	return out
}

func readExpected(t *testing.T, path string) []expected {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []expected
	for i, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		var e expected
		if err := dec.Decode(&e); err != nil {
			t.Fatalf("%s:%d: %v", path, i+1, err)
		}
		for _, a := range e.Actions {
			if !slices.Contains(ActionCodes, a) {
				t.Fatalf("%s:%d: unknown action code %q", path, i+1, a)
			}
		}
		out = append(out, e)
	}
	return out
}

func check(t *testing.T, step int, got Outcome, want expected) {
	t.Helper()
	gotBasic, wantBasic := got.Basic(), want.Basic()
	if wantBasic.Labels == nil {
		wantBasic.Labels = []string{}
	}
	if wantBasic.Citations == nil {
		wantBasic.Citations = []Citation{}
	}
	if wantBasic.Strikes == nil {
		wantBasic.Strikes = map[string]int{}
	}
	if !reflect.DeepEqual(gotBasic, wantBasic) {
		g, _ := json.Marshal(gotBasic)
		w, _ := json.Marshal(wantBasic)
		t.Errorf("step %d:\n got %s\nwant %s", step, g, w)
	}
	if want.Topic != "" && got.Topic != want.Topic {
		t.Errorf("step %d (%s): topic %q, want %q", step, got.ID, got.Topic, want.Topic)
	}
	if want.Office != "" && got.Office != want.Office {
		t.Errorf("step %d (%s): office %q, want %q", step, got.ID, got.Office, want.Office)
	}
	if want.Replies != nil && !slices.Equal(got.Replies, want.Replies) {
		t.Errorf("step %d (%s): replies %q, want %q", step, got.ID, got.Replies, want.Replies)
	}
	for _, s := range want.ReplyContains {
		if !slices.ContainsFunc(got.Replies, func(r string) bool { return strings.Contains(r, s) }) {
			t.Errorf("step %d (%s): no reply contains %q; replies %q", step, got.ID, s, got.Replies)
		}
	}
}
