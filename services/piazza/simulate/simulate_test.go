package simulate

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/piazza-pa/piazza/pkg/policy"
	"github.com/piazza-pa/piazza/pkg/testinfra"
	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
)

func TestRunSkipsBadLinesAndSaysWhich(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	sim, err := New(ctx, Config{Policies: h.set, Tenant: "monza", Redis: h.rdb, Engine: h.engine})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close(ctx)
	in := strings.Join([]string{
		`{"id":"a","text":"Sei un idiota, sindaco incapace","author":{"id":"1"}}`,
		`{"id":"b","tenant":"bussero","text":"Sei un idiota, sindaco incapace"}`,
		`not json`,
		``,
		`{"id":"c","tenant":"monza","text":"   "}`,
		`{"id":"d","tenant":"monza","text":"Ma stai zitto, cretino","author":{"id":"1"}}`,
	}, "\n")
	var out bytes.Buffer
	err = Run(ctx, sim, strings.NewReader(in), &out, false)
	if err == nil {
		t.Fatal("Run succeeded with bad lines")
	}
	for _, want := range []string{"3 input lines skipped", "line 2: comment of tenant \"bussero\"", "line 3: invalid JSON", "line 5: missing text"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	var le *LineError
	if !errors.As(err, &le) || le.Line != 2 {
		t.Errorf("errors.As LineError = %v, want line 2", le)
	}
	got := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := []string{
		`{"id":"a","labels":["insult"],"actions":["delete","no_reply"],"strikes":{"insult":1},"citations":[{"category":"insult","article":"5.D, 6"}]}`,
		`{"id":"d","labels":["insult"],"actions":["block","delete","no_reply"],"strikes":{"insult":2},"citations":[{"category":"insult","article":"5.D, 6"}]}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("output:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestClockIsTheCommentsTime: strikes age by the comments' created_at, not by the wall clock,
// so a year-old violation no longer counts (Canegrate's window is 12 months).
func TestClockIsTheCommentsTime(t *testing.T) {
	h := newHarness(t)
	in := strings.Join([]string{
		`{"id":"1","tenant":"canegrate","text":"Sei un idiota, sindaco incapace","author":{"id":"u"},"created_at":"2024-01-10T10:00:00+01:00"}`,
		`{"id":"2","tenant":"canegrate","text":"Ma stai zitto, cretino","author":{"id":"u"},"created_at":"2024-02-10T10:00:00+01:00"}`,
		`{"id":"3","tenant":"canegrate","text":"L'assessore è un buffone e un ladro","author":{"id":"u"},"created_at":"2025-06-10T10:00:00+02:00"}`,
	}, "\n")
	got := h.simulate(t, "canegrate", []byte(in))
	var counts []int
	for _, o := range got {
		counts = append(counts, o.Strikes["insult"])
	}
	if len(counts) != 3 || counts[0] != 1 || counts[1] != 2 || counts[2] != 1 {
		t.Errorf("strikes %v, want [1 2 1]: the first two expired 12 months after they were made", counts)
	}
	if got[2].Actions[len(got[2].Actions)-1] != "warn" {
		t.Errorf("after the window the ladder starts again with a warning; got %v", got[2].Actions)
	}
}

func TestNewRefusesAnUnknownTenant(t *testing.T) {
	h := newHarness(t)
	_, err := New(context.Background(), Config{Policies: h.set, Tenant: "gotham", Redis: h.rdb, Engine: h.engine})
	if err == nil || !strings.Contains(err.Error(), `no policy for tenant "gotham"`) {
		t.Errorf("New(gotham) = %v", err)
	}
	if _, err := New(context.Background(), Config{Tenant: "monza"}); err == nil {
		t.Error("New without policies and Redis succeeded")
	}
}

func TestOutcomeBasicDropsDetail(t *testing.T) {
	o := Outcome{ID: "x", Topic: "roads", Office: "urp", Replies: []string{"ciao"}}
	if b := o.Basic(); b.Topic != "" || b.Office != "" || b.Replies != nil || b.ID != "x" {
		t.Errorf("Basic() = %+v", b)
	}
}

// BenchmarkStep measures one comment through the classifier (over loopback gRPC), the ladder in
// Redis and routing: the cost of a scenario line.
func BenchmarkStep(b *testing.B) {
	set, err := policy.LoadDir(policiesDir)
	if err != nil {
		b.Fatal(err)
	}
	srv := testinfra.StartRedis(b)
	opts, err := redis.ParseURL(srv.URL)
	if err != nil {
		b.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	ctx := context.Background()
	sim, err := New(ctx, Config{Policies: set, Tenant: "monza", Redis: rdb})
	if err != nil {
		b.Fatal(err)
	}
	defer sim.Close(ctx)
	texts := []string{
		"Sei un idiota, sindaco incapace",
		"Buongiorno, in via Roma c'è una buca enorme davanti al civico 12, quando la sistemate?",
		"La giunta ha sbagliato tutto sulla nuova viabilità del centro, una scelta senza senso",
	}
	for i := 0; b.Loop(); i++ {
		c := &commentv1.Comment{
			Tenant: "monza", Platform: commentv1.Platform_PLATFORM_REPLAY, CommentId: strconv.Itoa(i),
			Channel: commentv1.Channel_CHANNEL_COMMENT, Text: texts[i%len(texts)],
			Author: &commentv1.Author{Id: strconv.Itoa(i % 50)},
		}
		if _, err := sim.Step(ctx, c); err != nil {
			b.Fatal(err)
		}
	}
}

// TestANewComuneIsOneFile: _template.yaml copied as a new tenant's file, next to the baseline,
// is a working policy without any code: its ladder blocks at the 3rd insult.
func TestANewComuneIsOneFile(t *testing.T) {
	h := newHarness(t)
	dir := t.TempDir()
	for from, to := range map[string]string{"_template.yaml": "esempio.yaml", "_baseline.yaml": "_baseline.yaml"} {
		data, err := os.ReadFile(filepath.Join(policiesDir, from))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, to), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	set, err := policy.LoadDir(dir)
	if err != nil {
		t.Fatalf("the template as esempio.yaml does not load: %v", err)
	}
	h.set = set
	in := strings.Join([]string{
		`{"id":"1","text":"Sei un idiota, sindaco incapace","author":{"id":"u"}}`,
		`{"id":"2","text":"Ma stai zitto, cretino","author":{"id":"u"}}`,
		`{"id":"3","text":"L'assessore è un buffone e un ladro","author":{"id":"u"}}`,
	}, "\n")
	got := h.simulate(t, "esempio", []byte(in))
	var actions []string
	for _, o := range got {
		actions = append(actions, strings.Join(o.Actions, "+"))
	}
	if want := "delete+no_reply delete+no_reply block+delete+no_reply"; strings.Join(actions, " ") != want {
		t.Errorf("actions %q, want %q", strings.Join(actions, " "), want)
	}
}
