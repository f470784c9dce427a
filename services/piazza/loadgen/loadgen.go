// Package loadgen publishes synthetic Italian comments onto the pipeline and measures how long
// each takes from publish to its decision and to its first executed action, with HDR
// histograms. It is behind `piazza loadgen` and the pipeline benchmarks.
package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/piazza-pa/piazza/pkg/bus"
	actionv1 "github.com/piazza-pa/piazza/proto/gen/piazza/action/v1"
	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	sanctionsv1 "github.com/piazza-pa/piazza/proto/gen/piazza/sanctions/v1"
)

// Config says what load to generate.
type Config struct {
	// Tenants are the tenant codes comments are spread over; each needs a policy file.
	Tenants []string
	// Users is the number of distinct authors per tenant.
	Users int
	// Count is how many comments to publish.
	Count int
	// Rate is comments per second; 0 publishes as fast as the server acknowledges.
	Rate float64
	// InFlight bounds unacknowledged asynchronous publishes.
	InFlight int
	// Wait is how long to wait for the last decisions after publishing.
	Wait time.Duration
	// RunID keeps comment ids unique across runs on the same streams.
	RunID string
	// Seed makes the comments reproducible.
	Seed uint64
}

// Latency summarises one histogram, in milliseconds.
type Latency struct {
	Count                          int64
	Mean, P50, P90, P99, P999, Max float64
}

func summarize(h *hdrhistogram.Histogram) Latency {
	ms := func(v int64) float64 { return float64(v) / 1000 }
	return Latency{
		Count: h.TotalCount(), Mean: h.Mean() / 1000,
		P50: ms(h.ValueAtQuantile(50)), P90: ms(h.ValueAtQuantile(90)), P99: ms(h.ValueAtQuantile(99)),
		P999: ms(h.ValueAtQuantile(99.9)), Max: ms(h.Max()),
	}
}

// Result is what a run measured.
type Result struct {
	Published int
	Decided   int
	Executed  int
	// Elapsed runs from the first publish to the last decision seen; Finished to the last
	// decision or first action result seen, whichever came later.
	Elapsed, Finished time.Duration
	// Throughput is decisions per second over Elapsed.
	Throughput float64
	Decision   Latency
	Action     Latency
}

// Write prints the result for a person.
func (r Result) Write(w io.Writer) {
	fmt.Fprintf(w, "published %d · decided %d · first actions %d · %.1fs · %.0f comments/s end to end\n",
		r.Published, r.Decided, r.Executed, r.Elapsed.Seconds(), r.Throughput)
	if r.Finished > r.Elapsed {
		fmt.Fprintf(w, "last action executed at %.1fs: %.0f comments/s with their actions\n",
			r.Finished.Seconds(), float64(r.Decided)/r.Finished.Seconds())
	}
	for _, l := range []struct {
		name string
		l    Latency
	}{{"publish → decision", r.Decision}, {"publish → action", r.Action}} {
		fmt.Fprintf(w, "%-20s n=%-7d mean %7.2f ms  p50 %7.2f  p90 %7.2f  p99 %7.2f  p99.9 %7.2f  max %7.2f\n",
			l.name, l.l.Count, l.l.Mean, l.l.P50, l.l.P90, l.l.P99, l.l.P999, l.l.Max)
	}
}

// Run publishes cfg.Count comments and measures them until every decision is seen or Wait
// passes after the last publish.
func Run(ctx context.Context, nc *nats.Conn, js jetstream.JetStream, cfg Config) (Result, error) {
	if len(cfg.Tenants) == 0 || cfg.Count <= 0 {
		return Result{}, errors.New("loadgen: tenants and a positive count are required")
	}
	if cfg.Users <= 0 {
		cfg.Users = 1000
	}
	if cfg.InFlight <= 0 {
		cfg.InFlight = 2048
	}
	if cfg.Wait <= 0 {
		cfg.Wait = 60 * time.Second
	}
	if cfg.RunID == "" {
		cfg.RunID = strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	corpus, err := NewCorpus()
	if err != nil {
		return Result{}, err
	}
	r := rand.New(rand.NewPCG(cfg.Seed, 42))

	sent := make([]int64, cfg.Count) // publish time in µs since start, by sequence
	var sentMu sync.Mutex
	start := time.Now()
	since := func() int64 { return time.Since(start).Microseconds() }
	decisionH := hdrhistogram.New(1, 600_000_000, 3)
	actionH := hdrhistogram.New(1, 600_000_000, 3)
	var histMu sync.Mutex
	var decided, executed atomic.Int64
	var lastDecision, lastAction atomic.Int64
	seenAction := make([]atomic.Bool, cfg.Count)
	prefix := "lg-" + cfg.RunID + "-"
	seqOf := func(commentID string) (int, bool) {
		rest, ok := strings.CutPrefix(commentID, prefix)
		if !ok {
			return 0, false
		}
		n, err := strconv.Atoi(rest)
		return n, err == nil && n >= 0 && n < cfg.Count
	}
	// Every Piazza message id derives from its comment's id (decision:<platform>:<comment>,
	// result:decision:<platform>:<comment>:<n>:<kind>, …), so the header finds the comment
	// without decoding the message; one without it is decoded.
	seqOfMsg := func(m *nats.Msg, decode func() string) (int, bool) {
		id := m.Header.Get(jetstream.MsgIDHeader)
		i := strings.Index(id, prefix)
		if i < 0 {
			return seqOf(decode())
		}
		commentID, _, _ := strings.Cut(id[i:], ":")
		return seqOf(commentID)
	}
	record := func(h *hdrhistogram.Histogram, seq int) {
		sentMu.Lock()
		at := sent[seq]
		sentMu.Unlock()
		histMu.Lock()
		_ = h.RecordValue(max(1, since()-at))
		histMu.Unlock()
	}

	done := make(chan struct{})
	onDecision := func(m *nats.Msg) {
		seq, ok := seqOfMsg(m, func() string {
			var d sanctionsv1.Decision
			_ = proto.Unmarshal(m.Data, &d)
			return d.GetComment().GetCommentId()
		})
		if !ok {
			return
		}
		record(decisionH, seq)
		lastDecision.Store(since())
		if decided.Add(1) == int64(cfg.Count) {
			close(done)
		}
	}
	var subs []*nats.Subscription
	defer func() {
		for _, s := range subs {
			_ = s.Unsubscribe()
		}
	}()
	for _, subject := range bus.DecisionSubjects("*") {
		sub, err := nc.Subscribe(subject, onDecision)
		if err != nil {
			return Result{}, fmt.Errorf("subscribe to decisions: %w", err)
		}
		subs = append(subs, sub)
	}
	onResult := func(m *nats.Msg) {
		seq, ok := seqOfMsg(m, func() string {
			var res actionv1.ActionResult
			_ = proto.Unmarshal(m.Data, &res)
			return res.GetAction().GetCommentId()
		})
		if !ok || seenAction[seq].Swap(true) {
			return
		}
		record(actionH, seq)
		lastAction.Store(since())
		executed.Add(1)
	}
	for _, subject := range []string{bus.ActionCompleted("*"), bus.ActionFailed("*")} {
		sub, err := nc.Subscribe(subject, onResult)
		if err != nil {
			return Result{}, fmt.Errorf("subscribe to action results: %w", err)
		}
		subs = append(subs, sub)
	}
	for _, s := range subs {
		_ = s.SetPendingLimits(-1, -1)
	}
	if err := nc.Flush(); err != nil {
		return Result{}, err
	}

	pending := make(chan jetstream.PubAckFuture, cfg.InFlight)
	errc := make(chan error, 1)
	go func() {
		for f := range pending {
			select {
			case <-f.Ok():
			case err := <-f.Err():
				select {
				case errc <- err:
				default:
				}
			}
		}
		close(errc)
	}()
	var interval time.Duration
	if cfg.Rate > 0 {
		interval = time.Duration(float64(time.Second) / cfg.Rate)
	}
	now := timestamppb.Now()
	for i := 0; i < cfg.Count; i++ {
		if interval > 0 {
			if wait := time.Duration(i)*interval - time.Since(start); wait > 0 {
				time.Sleep(wait)
			}
		}
		tenant := cfg.Tenants[r.IntN(len(cfg.Tenants))]
		text, post := corpus.Draw(r)
		c := &commentv1.Comment{
			Tenant: tenant, Platform: commentv1.Platform_PLATFORM_REPLAY, CommentId: prefix + strconv.Itoa(i),
			PageId: tenant + "-replay", PostText: post, Text: text, Channel: commentv1.Channel_CHANNEL_COMMENT,
			Author:    &commentv1.Author{Id: "lg-user-" + strconv.Itoa(r.IntN(cfg.Users)), Name: "Utente di prova"},
			CreatedAt: now,
		}
		data, err := proto.Marshal(c)
		if err != nil {
			return Result{}, err
		}
		sentMu.Lock()
		sent[i] = since()
		sentMu.Unlock()
		f, err := js.PublishMsgAsync(&nats.Msg{Subject: bus.CommentReceived(tenant), Data: data},
			jetstream.WithMsgID("replay:"+c.GetCommentId()))
		if err != nil {
			close(pending)
			return Result{}, fmt.Errorf("publish: %w", err)
		}
		pending <- f
		if ctx.Err() != nil {
			break
		}
	}
	close(pending)
	if err, ok := <-errc; ok && err != nil {
		return Result{}, fmt.Errorf("publish acknowledged with an error: %w", err)
	}
	select {
	case <-done:
	case <-time.After(cfg.Wait):
	case <-ctx.Done():
	}
	// Give the last actions a moment (not every comment has one): until no result has come for
	// 250 ms, 2 s at most.
	deadline := time.Now().Add(2 * time.Second)
	for seen, quietSince := executed.Load(), time.Now(); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if n := executed.Load(); n != seen {
			seen, quietSince = n, time.Now()
		} else if time.Since(quietSince) >= 250*time.Millisecond {
			break
		}
	}
	res := Result{Published: cfg.Count, Decided: int(decided.Load()), Executed: int(executed.Load())}
	res.Elapsed = time.Duration(lastDecision.Load()) * time.Microsecond
	res.Finished = max(res.Elapsed, time.Duration(lastAction.Load())*time.Microsecond)
	if res.Elapsed > 0 {
		res.Throughput = float64(res.Decided) / res.Elapsed.Seconds()
	}
	histMu.Lock()
	res.Decision, res.Action = summarize(decisionH), summarize(actionH)
	histMu.Unlock()
	if res.Decided < res.Published {
		return res, fmt.Errorf("only %d of %d comments were decided within %s", res.Decided, res.Published, cfg.Wait)
	}
	return res, nil
}
