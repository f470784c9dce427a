package chaos_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/piazza-pa/piazza/pkg/bus"
	"github.com/piazza-pa/piazza/pkg/comments"
	"github.com/piazza-pa/piazza/pkg/policy"
	"github.com/piazza-pa/piazza/pkg/testinfra"
	actionv1 "github.com/piazza-pa/piazza/proto/gen/piazza/action/v1"
	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	routingv1 "github.com/piazza-pa/piazza/proto/gen/piazza/routing/v1"
	sanctionsv1 "github.com/piazza-pa/piazza/proto/gen/piazza/sanctions/v1"
	"github.com/piazza-pa/piazza/services/ingest/platform/facebook/fakegraph"
	"github.com/piazza-pa/piazza/services/piazza/loadgen"
)

const policyDir = "../../../deploy/policies"

// proc is one `piazza serve` process that the test kills and restarts.
type proc struct {
	name string
	bin  string
	env  []string
	addr string
	log  *bytes.Buffer

	mu  sync.Mutex
	cmd *exec.Cmd
}

func (p *proc) start(t testing.TB) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	cmd := exec.Command(p.bin, "serve", "--target="+p.name)
	cmd.Env = append(os.Environ(), p.env...)
	cmd.Stdout, cmd.Stderr = p.log, p.log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", p.name, err)
	}
	p.cmd = cmd
}

func (p *proc) kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	_, _ = p.cmd.Process.Wait()
	p.cmd = nil
}

func (p *proc) waitHealthy(t testing.TB, bin string) {
	t.Helper()
	testinfra.Eventually(t, 30*time.Second, func() error {
		out, err := exec.Command(bin, "healthcheck", "--addr", p.addr, "--timeout", "500ms").CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s not healthy: %v %s", p.name, err, out)
		}
		return nil
	})
}

func buildBinary(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "piazza")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/piazza-pa/piazza/services/piazza/cmd/piazza").CombinedOutput()
	if err != nil {
		t.Fatalf("build piazza: %v\n%s", err, out)
	}
	return bin
}

// TestFaults runs a stream of comments through four `piazza serve` processes while, in turn,
// each is killed with SIGKILL and restarted, NATS and Redis restart, the classifier is
// unreachable for a while and the platform answers 5xx and rate-limit errors. Then it audits:
// one decision per comment, strikes neither lost nor doubled, every action carried out once,
// no request lost, and only the injected poison in the dead-letter stream.
func TestFaults(t *testing.T) {
	began := time.Now()
	bin := buildBinary(t)
	t.Logf("binary built in %s", time.Since(began).Round(time.Second))
	natsSrv := testinfra.StartNATS(t)
	rds := testinfra.StartRedis(t)
	js := natsSrv.JetStream(t)
	ctx := context.Background()
	set, err := policy.LoadDir(policyDir)
	if err != nil {
		t.Fatal(err)
	}

	fake := fakegraph.New(fakegraph.Options{})
	dir := t.TempDir()
	var tokens strings.Builder
	for _, tn := range set.Tenants() {
		page := tn.Code + "-fb"
		fake.AddPage(page, tn.Name)
		fake.AddToken("tok-"+page, page)
		fmt.Fprintf(&tokens, "%s=tok-%s\n", page, page)
	}
	graph := httptest.NewServer(fake)
	t.Cleanup(graph.Close)
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	common := []string{
		"NATS_URL=" + natsSrv.URL, "REDIS_URL=" + rds.URL, "POLICY_DIR=" + policyDir, "LOG_LEVEL=warn",
		"PIAZZA_PSEUDONYM_KEY_FILE=" + write("pseudonym_key", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"),
		"FACEBOOK_GRAPH_URL=" + graph.URL, "FACEBOOK_PAGE_TOKENS_FILE=" + write("tokens", tokens.String()),
		"INGEST_WEBHOOK_ADDR=off", "INGEST_POLL_INTERVAL=0", "OTEL_EXPORTER_OTLP_ENDPOINT=",
	}
	logs := map[string]*bytes.Buffer{}
	procs := map[string]*proc{}
	classifierAddr := testinfra.FreeAddr(t)
	for _, name := range []string{"classifier", "ingest", "routing", "sanctions"} {
		p := &proc{name: name, bin: bin, log: &bytes.Buffer{}}
		p.addr = testinfra.FreeAddr(t)
		if name == "classifier" {
			p.addr = classifierAddr
		}
		p.env = append(append([]string{}, common...), "GRPC_ADDR="+p.addr, "METRICS_ADDR="+testinfra.FreeAddr(t), "CLASSIFIER_ADDR="+classifierAddr)
		procs[name], logs[name] = p, p.log
		p.start(t)
		t.Cleanup(p.kill)
	}
	for _, p := range procs {
		p.waitHealthy(t, bin)
	}
	t.Cleanup(func() {
		if t.Failed() {
			for name, l := range logs {
				t.Logf("--- %s log (tail)\n%s", name, tailOf(l.String(), 2500))
			}
		}
	})

	// The comments: seeded on the fake Facebook so that actions reach real objects.
	corpus, err := loadgen.NewCorpus()
	if err != nil {
		t.Fatal(err)
	}
	const total = 400
	var all []*commentv1.Comment
	posts := map[string]string{}
	rng := newRand()
	tenants := set.Tenants()
	for i := 0; i < total; i++ {
		tn := tenants[i%len(tenants)]
		page := tn.Code + "-fb"
		text, postText := corpus.Draw(rng)
		postID, ok := posts[page]
		if !ok {
			p, err := fake.AddPost(page, fakegraph.Post{Message: postText})
			if err != nil {
				t.Fatal(err)
			}
			postID, posts[page] = p.ID, p.ID
		}
		user := fmt.Sprintf("u%d", i%37)
		cm, err := fake.AddComment(postID, fakegraph.Comment{Message: text, From: fakegraph.User{ID: user, Name: "Cittadino " + user}})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, &commentv1.Comment{
			Tenant: tn.Code, Platform: commentv1.Platform_PLATFORM_FACEBOOK, CommentId: cm.ID, PageId: page, PostId: postID,
			PostText: postText, Text: text, Channel: commentv1.Channel_CHANNEL_COMMENT,
			Author: &commentv1.Author{Id: user, Name: "Cittadino " + user}, CreatedAt: timestamppb.New(time.Now().Add(time.Duration(i) * time.Millisecond)),
		})
	}

	// Publish over 20 s while the faults happen; publishing retries through NATS restarts.
	pub := bus.NewPublisher(js, bus.Telemetry{})
	publishDone := make(chan struct{})
	go func() {
		defer close(publishDone)
		for i, c := range all {
			for {
				pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
				err := pub.Publish(pctx, bus.CommentReceived(c.GetTenant()), comments.MessageID(c), c)
				cancel()
				if err == nil {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			if i%20 == 0 {
				time.Sleep(time.Second)
			}
		}
	}()
	poison := 0
	injectPoison := func() {
		for {
			err := pub.PublishRaw(ctx, bus.CommentReceived("monza"), fmt.Sprint("poison-", poison), []byte("\xffnot a comment"), nil)
			if err == nil {
				poison++
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	step := func(what string, f func()) {
		t.Logf("fault: %s", what)
		f()
		time.Sleep(1500 * time.Millisecond)
	}
	time.Sleep(time.Second)
	injectPoison()
	for _, name := range []string{"sanctions", "routing", "ingest"} {
		p := procs[name]
		step("SIGKILL "+name, func() { p.kill(); time.Sleep(500 * time.Millisecond); p.start(t) })
	}
	step("classifier unreachable for 3 s", func() {
		procs["classifier"].kill()
		time.Sleep(3 * time.Second)
		procs["classifier"].start(t)
	})
	step("platform answers 5xx", func() { fake.FailNext(15, 500, 2) })
	injectPoison()
	step("NATS restart", natsSrv.Restart)
	step("platform rate-limits (code 80001)", func() { fake.FailNext(10, 400, 80001) })
	step("Redis restart (AOF on)", func() { rds.Stop(); time.Sleep(time.Second); rds.Start() })
	injectPoison()
	<-publishDone
	for _, p := range procs {
		p.waitHealthy(t, bin)
	}

	// Wait for the pipeline to settle.
	settleStart := time.Now()
	t.Logf("faults done, publishing done; waiting for the pipeline to settle")
	testinfra.Eventually(t, 3*time.Minute, func() error {
		n, err := decisionCount(ctx, js)
		if err != nil {
			return err
		}
		if n < total {
			return fmt.Errorf("%d decisions of %d", n, total)
		}
		for _, c := range []struct{ stream, durable string }{{bus.StreamComments, "sanctions"}, {bus.StreamDecisions, "routing"}, {bus.StreamActions, "enforcer"}} {
			cons, err := js.Consumer(ctx, c.stream, c.durable)
			if err != nil {
				return err
			}
			info, err := cons.Info(ctx)
			if err != nil {
				return err
			}
			if info.NumPending+uint64(info.NumAckPending) > 0 {
				return fmt.Errorf("%s: %d pending, %d unacknowledged", c.durable, info.NumPending, info.NumAckPending)
			}
		}
		return nil
	})

	t.Logf("settled in %s", time.Since(settleStart).Round(time.Second))
	audit(t, ctx, js, set, all, fake, poison)
}

func audit(t *testing.T, ctx context.Context, js jetstream.JetStream, set *policy.Set, all []*commentv1.Comment, fake *fakegraph.Server, poison int) {
	t.Helper()
	decisions := map[string]*sanctionsv1.Decision{}
	results := map[string]int{}
	var resultList []*actionv1.ActionResult
	for _, m := range readAll(t, js, bus.StreamDecisions) {
		_, entity, _, _ := bus.ParseSubject(m.Subject)
		if entity == bus.EntityDecision {
			var d sanctionsv1.Decision
			if err := proto.Unmarshal(m.Data, &d); err != nil {
				t.Fatal(err)
			}
			if _, dup := decisions[d.GetComment().GetCommentId()]; dup {
				t.Errorf("comment %s has two decisions", d.GetComment().GetCommentId())
			}
			decisions[d.GetComment().GetCommentId()] = &d
			continue
		}
		var r actionv1.ActionResult
		if err := proto.Unmarshal(m.Data, &r); err != nil {
			t.Fatal(err)
		}
		results[r.GetAction().GetActionId()]++
		resultList = append(resultList, &r)
	}
	for _, c := range all {
		if decisions[c.GetCommentId()] == nil {
			t.Errorf("comment %s has no decision", c.GetCommentId())
		}
	}
	for id, n := range results {
		if n != 1 {
			t.Errorf("action %s has %d results, want 1", id, n)
		}
	}

	// Strikes: each user's strike number counts its violating comments in order, none twice,
	// none lost: the last strike number per (tenant, user, counter) equals the number of
	// violating comments of that user in that counter.
	type key struct{ tenant, user, group string }
	counted := map[key]map[string]bool{}
	maxStrike := map[key]int{}
	for _, d := range decisions {
		tn, _ := set.Tenant(d.GetComment().GetTenant())
		for _, s := range d.GetStrikes() {
			cat := tn.Categories[s.GetCategory()]
			group := s.GetCategory()
			if cat != nil && cat.Group != "" {
				group = cat.Group
			}
			k := key{tn.Code, d.GetComment().GetAuthor().GetId(), group}
			if counted[k] == nil {
				counted[k] = map[string]bool{}
			}
			counted[k][d.GetComment().GetCommentId()] = true
			if int(s.GetCount()) > maxStrike[k] {
				maxStrike[k] = int(s.GetCount())
			}
		}
	}
	for k, ids := range counted {
		if maxStrike[k] != len(ids) {
			t.Errorf("%v: highest strike %d, but %d violating comments", k, maxStrike[k], len(ids))
		}
	}

	// Every decided action was carried out once (or failed for good, for a person to review).
	for _, d := range decisions {
		for _, a := range d.GetActions() {
			if results[a.GetActionId()] != 1 {
				t.Errorf("action %s (%s) has %d results", a.GetActionId(), a.GetKind(), results[a.GetActionId()])
			}
		}
	}
	effects := map[string]int{}
	for _, a := range fake.Actions() {
		if a.Kind == fakegraph.ActionDelete || a.Kind == fakegraph.ActionBlock {
			effects[string(a.Kind)+":"+a.PageID+":"+a.ObjectID]++
		}
	}
	for k, n := range effects {
		if n != 1 && !strings.HasPrefix(k, "block:") {
			t.Errorf("platform effect %s applied %d times", k, n)
		}
	}
	failed := 0
	for _, r := range resultList {
		if r.GetStatus() == actionv1.Status_STATUS_FAILED {
			failed++
			t.Logf("failed action %s: %s", r.GetAction().GetActionId(), r.GetError())
		}
	}

	// No request lost: every routed decision has its opened event.
	opened := map[string]bool{}
	for _, m := range readAll(t, js, bus.StreamRequests) {
		var ev routingv1.RequestEvent
		if err := proto.Unmarshal(m.Data, &ev); err == nil && ev.GetType() == routingv1.EventType_EVENT_TYPE_OPENED {
			opened[ev.GetRequest().GetCommentId()] = true
		}
	}
	wantRequests := 0
	for id, d := range decisions {
		if len(d.GetStrikes()) > 0 || d.GetNoReply() {
			continue
		}
		isRequest := false
		for _, c := range d.GetVerdict().GetCategories() {
			isRequest = isRequest || c.GetCategory() == "request"
		}
		for _, c := range d.GetVerdict().GetCategories() {
			isRequest = isRequest && c.GetCategory() != "emergency"
		}
		if !isRequest {
			continue
		}
		wantRequests++
		if !opened[id] {
			// A request may also have been redirected (istanza) or refused: look for any event.
			if !anyRequestEvent(t, js, id) {
				t.Errorf("request of comment %s was lost", id)
			}
		}
	}

	// Dead letters: only the poison injected on purpose.
	dead := readAll(t, js, bus.StreamDeadLetter)
	var reasons []string
	for _, m := range dead {
		if !strings.HasPrefix(m.Header.Get(bus.HeaderOriginalSubject), "piazza.monza.comment") || !strings.Contains(m.Header.Get(bus.HeaderDeadLetterReason), "decode comment") {
			reasons = append(reasons, m.Subject+": "+m.Header.Get(bus.HeaderDeadLetterReason))
		}
	}
	sort.Strings(reasons)
	if len(dead) != poison || len(reasons) > 0 {
		t.Errorf("%d dead letters for %d injected; unexpected: %v", len(dead), poison, reasons)
	}
	t.Logf("audit: %d comments, %d decisions, %d action results (%d failed for good), %d requests routed, %d dead letters",
		len(all), len(decisions), len(resultList), failed, wantRequests, len(dead))
}

func anyRequestEvent(t *testing.T, js jetstream.JetStream, commentID string) bool {
	for _, m := range readAll(t, js, bus.StreamRequests) {
		var ev routingv1.RequestEvent
		if proto.Unmarshal(m.Data, &ev) == nil && ev.GetRequest().GetCommentId() == commentID {
			return true
		}
	}
	return false
}

func decisionCount(ctx context.Context, js jetstream.JetStream) (int, error) {
	s, err := js.Stream(ctx, bus.StreamDecisions)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, subject := range bus.DecisionSubjects("*") {
		info, err := s.Info(ctx, jetstream.WithSubjectFilter(subject))
		if err != nil {
			return 0, err
		}
		for _, c := range info.State.Subjects {
			n += int(c)
		}
	}
	return n, nil
}

func readAll(t *testing.T, js jetstream.JetStream, stream string) []*jetstream.RawStreamMsg {
	t.Helper()
	out, err := testinfra.StreamMessages(context.Background(), js, stream)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func tailOf(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
