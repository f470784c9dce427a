package strikes_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/piazza-pa/piazza/pkg/bus"
	"github.com/piazza-pa/piazza/pkg/testinfra"
	"github.com/piazza-pa/piazza/services/sanctions/strikes"
)

var base = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)

func newStore(t *testing.T) *strikes.Store {
	t.Helper()
	r := testinfra.StartRedis(t)
	return strikes.NewStore(r.Client, fmt.Sprintf("test:%s:", t.Name()))
}

func TestSameCommentCountsOnceUnderConcurrency(t *testing.T) {
	s := newStore(t)
	sub := strikes.Subject{Tenant: "monza", Platform: "facebook", Pseudonym: "u1"}
	vs := []strikes.Violation{{Group: "insult", Window: 24 * time.Hour}}
	var wg sync.WaitGroup
	var mu sync.Mutex
	newCount := 0
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := s.Record(context.Background(), sub, "c1", base, base, vs)
			if err != nil {
				t.Error(err)
				return
			}
			if res[0].Strikes != 1 {
				t.Errorf("strike number %d, want 1", res[0].Strikes)
			}
			if res[0].New {
				mu.Lock()
				newCount++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if newCount != 1 {
		t.Errorf("%d goroutines saw the comment as new, want 1", newCount)
	}
	n, err := s.CountInWindow(context.Background(), sub, "insult", 24*time.Hour, base)
	if err != nil || n != 1 {
		t.Errorf("count %d (%v), want 1", n, err)
	}
}

func TestDistinctCommentsCountExactly(t *testing.T) {
	s := newStore(t)
	sub := strikes.Subject{Tenant: "monza", Platform: "facebook", Pseudonym: "u2"}
	vs := []strikes.Violation{{Group: "hate", Window: 365 * 24 * time.Hour}}
	const n = 10000
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer func() { <-sem; wg.Done() }()
			if _, err := s.Record(context.Background(), sub, fmt.Sprint("c", i), base, base, vs); err != nil {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	got, err := s.CountInWindow(context.Background(), sub, "hate", 365*24*time.Hour, base)
	if err != nil || got != n {
		t.Errorf("count %d (%v), want %d", got, err, n)
	}
}

func TestWindowExpiresWithTheClock(t *testing.T) {
	s := newStore(t)
	sub := strikes.Subject{Tenant: "canegrate", Platform: "facebook", Pseudonym: "u3"}
	window := 30 * 24 * time.Hour
	vs := []strikes.Violation{{Group: "insult", Window: window}}
	steps := []struct {
		id   string
		at   time.Time
		want int
	}{
		{"a", base, 1},
		{"b", base.Add(10 * 24 * time.Hour), 2},
		{"c", base.Add(29 * 24 * time.Hour), 3},
		{"d", base.Add(41 * 24 * time.Hour), 2}, // a and b have left the window
		{"e", base.Add(80 * 24 * time.Hour), 1}, // all earlier ones have left
	}
	for _, st := range steps {
		res, err := s.Record(context.Background(), sub, st.id, st.at, st.at, vs)
		if err != nil {
			t.Fatal(err)
		}
		if res[0].Strikes != st.want {
			t.Errorf("comment %s: strike %d, want %d", st.id, res[0].Strikes, st.want)
		}
	}
	hist, err := s.History(context.Background(), sub)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 1 || hist[0].CommentID != "e" {
		t.Errorf("history %+v, want only e (older strikes cleaned up)", hist)
	}
}

func TestGroupsAreCountedSeparatelyInOneCall(t *testing.T) {
	s := newStore(t)
	sub := strikes.Subject{Tenant: "monza", Platform: "facebook", Pseudonym: "u4"}
	day := 24 * time.Hour
	if _, err := s.Record(context.Background(), sub, "x", base, base, []strikes.Violation{{Group: "insult", Window: day}}); err != nil {
		t.Fatal(err)
	}
	res, err := s.Record(context.Background(), sub, "y", base, base, []strikes.Violation{{Group: "insult", Window: day}, {Group: "hate", Window: day}})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Strikes != 2 || res[1].Strikes != 1 {
		t.Errorf("got insult %d hate %d, want 2 and 1", res[0].Strikes, res[1].Strikes)
	}
}

// crashAfterEffect fails the first delivery of every message after the handler's effect is
// durable, as a consumer killed between the Redis write and the ack would.
type crashAfterEffect struct {
	mu      sync.Mutex
	crashed map[uint64]bool
}

func (c *crashAfterEffect) middleware(next bus.Handler) bus.Handler {
	return func(ctx context.Context, m *bus.Message) error {
		if err := next(ctx, m); err != nil {
			return err
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if !c.crashed[m.Sequence] {
			c.crashed[m.Sequence] = true
			return errors.New("injected: killed before the ack")
		}
		return nil
	}
}

func TestConsumerKilledBeforeAckCountsOnceOnRedelivery(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	js := testinfra.StartNATS(t).JetStream(t)
	sub := strikes.Subject{Tenant: "monza", Platform: "facebook", Pseudonym: "u5"}
	vs := []strikes.Violation{{Group: "insult", Window: 365 * 24 * time.Hour}}
	var mu sync.Mutex
	newOnRedelivery := 0
	handler := func(ctx context.Context, m *bus.Message) error {
		res, err := s.Record(ctx, sub, string(m.Data), base, base, vs)
		if err != nil {
			return err
		}
		if m.NumDelivered > 1 && res[0].New {
			mu.Lock()
			newOnRedelivery++
			mu.Unlock()
		}
		return nil
	}
	crash := &crashAfterEffect{crashed: map[uint64]bool{}}
	spec := bus.ConsumerSpec{Stream: bus.StreamComments, Durable: "strikes-contract", FilterSubjects: []string{bus.CommentReceived("*")},
		RetryDelay: 10 * time.Millisecond, MaxRetryDelay: 50 * time.Millisecond, Concurrency: 8}
	cons, err := bus.Consume(ctx, js, spec, bus.ConsumerDeps{}, handler, crash.middleware)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cons.Stop(context.Background()) })
	pub := bus.NewPublisher(js, bus.Telemetry{})
	const n = 50
	for i := 0; i < n; i++ {
		if err := pub.PublishRaw(ctx, bus.CommentReceived("monza"), fmt.Sprint("m", i), []byte(fmt.Sprint("c", i)), nil); err != nil {
			t.Fatal(err)
		}
	}
	testinfra.Eventually(t, 20*time.Second, func() error {
		c, err := js.Consumer(ctx, bus.StreamComments, "strikes-contract")
		if err != nil {
			return err
		}
		info, err := c.Info(ctx)
		if err != nil {
			return err
		}
		if info.NumPending != 0 || info.NumAckPending != 0 || info.AckFloor.Stream < n {
			return fmt.Errorf("pending %d, ack pending %d, ack floor %d", info.NumPending, info.NumAckPending, info.AckFloor.Stream)
		}
		return nil
	})
	crash.mu.Lock()
	crashes := len(crash.crashed)
	crash.mu.Unlock()
	if crashes != n {
		t.Fatalf("%d messages crashed before the ack, want %d", crashes, n)
	}
	got, err := s.CountInWindow(ctx, sub, "insult", 365*24*time.Hour, base)
	if err != nil || got != n {
		t.Errorf("count %d (%v) after %d redeliveries, want %d", got, err, n, n)
	}
	if newOnRedelivery != 0 {
		t.Errorf("%d redeliveries counted as new strikes, want 0", newOnRedelivery)
	}
}

func TestRecordBatchMatchesRecord(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	day := 24 * time.Hour
	u1 := strikes.Subject{Tenant: "monza", Platform: "facebook", Pseudonym: "u6"}
	u2 := strikes.Subject{Tenant: "monza", Platform: "facebook", Pseudonym: "u7"}
	vs := []strikes.Violation{{Group: "insult", Window: day}}
	batch := []strikes.Strike{
		{Subject: u1, CommentID: "a", At: base, Now: base, Violations: vs},
		{Subject: u1, CommentID: "b", At: base.Add(time.Minute), Now: base, Violations: vs},
		{Subject: u1, CommentID: "a", At: base, Now: base, Violations: vs}, // duplicate in the batch
		{Subject: u2, CommentID: "a", At: base, Now: base, Violations: vs},
		{Subject: u2, CommentID: "x", At: base, Now: base}, // nothing to record
	}
	res, err := s.RecordBatch(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	// The duplicate counts no new strike; its number is the user's strikes in the window now.
	want := []string{"[{insult true 1}]", "[{insult true 2}]", "[{insult false 2}]", "[{insult true 1}]", "[]"}
	for i, w := range want {
		if got := fmt.Sprint(res[i]); got != w {
			t.Errorf("strike %d: got %s, want %s", i, got, w)
		}
	}
	// Pardon: Find locates the strike, Remove takes it out once.
	groups, err := s.Find(ctx, u1, "a", []string{"insult", "hate"})
	if err != nil || fmt.Sprint(groups) != "[insult]" {
		t.Fatalf("find: %v %v, want [insult]", groups, err)
	}
	for i, want := range []int{1, 0} {
		if n, err := s.Remove(ctx, u1, "a", groups); err != nil || n != want {
			t.Errorf("remove %d: %d (%v), want %d", i, n, err, want)
		}
	}
	if n, _ := s.CountInWindow(ctx, u1, "insult", day, base); n != 1 {
		t.Errorf("count after the pardon %d, want 1", n)
	}
}

// TestOutOfOrderCommentsGetIncreasingNumbers: two consumers decide a user's comments in the
// opposite order of their timestamps; the second decided is still strike 2.
func TestOutOfOrderCommentsGetIncreasingNumbers(t *testing.T) {
	s := newStore(t)
	sub := strikes.Subject{Tenant: "crespiatica", Platform: "facebook", Pseudonym: "u9"}
	vs := []strikes.Violation{{Group: "condizioni", Window: 365 * 24 * time.Hour}}
	later, earlier := base.Add(time.Minute), base
	first, err := s.Record(context.Background(), sub, "later", later, later, vs)
	if err != nil {
		t.Fatal(err)
	}
	second, err := s.Record(context.Background(), sub, "earlier", earlier, later, vs)
	if err != nil {
		t.Fatal(err)
	}
	if first[0].Strikes != 1 || second[0].Strikes != 2 {
		t.Errorf("strike numbers %d then %d, want 1 then 2", first[0].Strikes, second[0].Strikes)
	}
}

// When Redis has lost its script cache (a restart), RecordBatch loads the strike script and
// sends the batch again; the strikes are counted once.
func TestRecordBatchSurvivesALostScriptCache(t *testing.T) {
	r := testinfra.StartRedis(t)
	s := strikes.NewStore(r.Client, "test:noscript:")
	ctx := context.Background()
	u := strikes.Subject{Tenant: "monza", Platform: "facebook", Pseudonym: "u8"}
	vs := []strikes.Violation{{Group: "insult", Window: 24 * time.Hour}}
	for i, id := range []string{"a", "b", "c"} {
		if err := r.Client.ScriptFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		res, err := s.RecordBatch(ctx, []strikes.Strike{{Subject: u, CommentID: id, At: base, Now: base, Violations: vs}})
		if err != nil {
			t.Fatalf("strike %s after the script cache was flushed: %v", id, err)
		}
		if want := fmt.Sprintf("[{insult true %d}]", i+1); fmt.Sprint(res[0]) != want {
			t.Errorf("strike %s: %v, want %s", id, res[0], want)
		}
	}
}
