package sanctions_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/piazza-pa/piazza/pkg/bus"
	"github.com/piazza-pa/piazza/pkg/testinfra"
	sanctionsv1 "github.com/piazza-pa/piazza/proto/gen/piazza/sanctions/v1"
	"github.com/piazza-pa/piazza/services/sanctions"
)

// retryLog watches a consumer: it records failed handlings and the time from each failure to
// the message's next delivery.
type retryLog struct {
	mu       sync.Mutex
	failedAt map[uint64]time.Time
	failures int
	minGap   time.Duration
}

func (r *retryLog) middleware(next bus.Handler) bus.Handler {
	return func(ctx context.Context, m *bus.Message) error {
		r.mu.Lock()
		if at, ok := r.failedAt[m.Sequence]; ok {
			if gap := time.Since(at); r.minGap == 0 || gap < r.minGap {
				r.minGap = gap
			}
			delete(r.failedAt, m.Sequence)
		}
		r.mu.Unlock()
		err := next(ctx, m)
		if err != nil {
			r.mu.Lock()
			r.failures++
			r.failedAt[m.Sequence] = time.Now()
			r.mu.Unlock()
		}
		return err
	}
}

func (r *retryLog) snapshot() (failures int, minGap time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failures, r.minGap
}

func decisionsOn(t testing.TB, js jetstream.JetStream, tenant string) int {
	t.Helper()
	s, err := js.Stream(context.Background(), bus.StreamDecisions)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, subject := range bus.DecisionSubjects(tenant) {
		info, err := s.Info(context.Background(), jetstream.WithSubjectFilter(subject))
		if err != nil {
			t.Fatal(err)
		}
		n += int(info.State.Subjects[subject])
	}
	return n
}

// A Redis restart in the middle of a run loses no acknowledged strike: while Redis is down the
// consumer naks with a delay, and once it is back every comment is decided once and counted once.
func TestRedisRestartLosesNothingAndCountsNothingTwice(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	const users, perUser = 8, 5
	spec := sanctions.ConsumerSpec()
	spec.RetryDelay, spec.MaxRetryDelay = 100*time.Millisecond, 400*time.Millisecond
	log := &retryLog{failedAt: map[uint64]time.Time{}}
	cons, err := bus.Consume(ctx, e.js, spec, bus.ConsumerDeps{}, e.svc.HandleComment, bus.Recover(), log.middleware)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cons.Stop(context.Background()) })

	pub := bus.NewPublisher(e.js, bus.Telemetry{})
	publish := func(from, to int) {
		for i := from; i < to; i++ {
			c := comment("monza", fmt.Sprint("rs-", i), fmt.Sprint("user-", i%users), "Sei un idiota, vergognati", i/users)
			if err := pub.Publish(ctx, bus.CommentReceived("monza"), fmt.Sprint("facebook:", c.GetCommentId()), c); err != nil {
				t.Fatal(err)
			}
		}
	}
	total := users * perUser
	publish(0, total/2)
	testinfra.Eventually(t, 30*time.Second, func() error {
		if n := decisionsOn(t, e.js, "monza"); n < total/4 {
			return fmt.Errorf("%d decisions before the outage", n)
		}
		return nil
	})
	e.redis.Stop()
	publish(total/2, total)
	testinfra.Eventually(t, 30*time.Second, func() error {
		if f, _ := log.snapshot(); f < 3 {
			return fmt.Errorf("%d failed handlings while Redis is down", f)
		}
		return nil
	})
	e.redis.Start()
	testinfra.Eventually(t, 60*time.Second, func() error {
		if n := decisionsOn(t, e.js, "monza"); n != total {
			return fmt.Errorf("%d decisions, want %d", n, total)
		}
		c, err := e.js.Consumer(ctx, bus.StreamComments, spec.Durable)
		if err != nil {
			return err
		}
		info, err := c.Info(ctx)
		if err != nil {
			return err
		}
		if info.NumPending != 0 || info.NumAckPending != 0 {
			return fmt.Errorf("consumer pending %d, ack pending %d", info.NumPending, info.NumAckPending)
		}
		return nil
	})
	if _, gap := log.snapshot(); gap < spec.RetryDelay*3/4 {
		t.Errorf("a failed comment was redelivered after %s, want a delay of about %s", gap, spec.RetryDelay)
	}
	seen := map[string]bool{}
	for _, m := range decisionMsgs(t, e.js, "monza") {
		var d sanctionsv1.Decision
		if err := proto.Unmarshal(m.Data, &d); err != nil {
			t.Fatal(err)
		}
		if seen[d.GetDecisionId()] {
			t.Errorf("decision %s published twice", d.GetDecisionId())
		}
		seen[d.GetDecisionId()] = true
		if n := strikeOf(&d, "insult").GetCount(); n < 1 || n > perUser {
			t.Errorf("decision %s counts strike %d, want 1..%d", d.GetDecisionId(), n, perUser)
		}
	}
	for u := 0; u < users; u++ {
		if got := len(e.record(t, "monza", fmt.Sprint("user-", u)).GetHistory()); got != perUser {
			t.Errorf("user-%d has %d strikes after the restart, want %d", u, got, perUser)
		}
	}
	if dl := streamMsgs(t, e.js, bus.StreamDeadLetter, "piazza.monza.deadletter.comment.received"); len(dl) != 0 {
		t.Errorf("%d comments dead-lettered during the outage, want 0", len(dl))
	}
}
