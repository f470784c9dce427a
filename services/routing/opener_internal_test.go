package routing

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/piazza-pa/piazza/pkg/bus"
	"github.com/piazza-pa/piazza/pkg/livepolicy"
	"github.com/piazza-pa/piazza/pkg/policy"
	"github.com/piazza-pa/piazza/pkg/testinfra"
	routingv1 "github.com/piazza-pa/piazza/proto/gen/piazza/routing/v1"
)

// pipelineGate counts the openings' pipelines a client sends and holds each until released, so that a
// test can make openings arrive while one is in flight.
type pipelineGate struct {
	sent    atomic.Int32
	hold    chan struct{} // nil: let every pipeline through
	started chan struct{}
}

func (g *pipelineGate) DialHook(next redis.DialHook) redis.DialHook { return next }
func (g *pipelineGate) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return next
}
func (g *pipelineGate) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if cmds[len(cmds)-1].Name() != "evalsha" {
			return next(ctx, cmds) // a new connection's handshake
		}
		g.sent.Add(1)
		if g.hold != nil {
			select {
			case g.started <- struct{}{}:
			default:
			}
			<-g.hold
		}
		return next(ctx, cmds)
	}
}

func openerService(t *testing.T, client redis.UniversalClient) *Service {
	t.Helper()
	set, err := policy.LoadDir("../../deploy/policies")
	if err != nil {
		t.Fatal(err)
	}
	js := testinfra.StartNATS(t).JetStream(t)
	svc, err := New(Config{Redis: client, Policies: livepolicy.Static(set), Publisher: bus.NewPublisher(js, bus.Telemetry{}), KeyPrefix: "open:"})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// openOne opens request id of monza, as dispose does.
func openOne(ctx context.Context, st store, id string) (bool, error) {
	now := time.Date(2026, 11, 16, 10, 0, 0, 0, time.UTC)
	req := &routingv1.Request{RequestId: id, Tenant: "monza", Office: "urp", Topic: "roads", State: routingv1.State_STATE_ACKNOWLEDGED,
		ReceivedAt: timestamppb.New(now), FirstAnswerDue: timestamppb.New(now.Add(48 * time.Hour))}
	ev := &routingv1.RequestEvent{EventId: id + ":1:opened", RequestId: id, Tenant: "monza", Type: routingv1.EventType_EVENT_TYPE_OPENED, Sequence: 1, Request: req}
	return st.open(ctx, req, ev, now, "roads|")
}

// Openings that arrive while a pipeline is in flight go out together in the next one, each
// with its own outcome; the caller whose message's context ends meanwhile does not fail the
// others; and a lost script cache is reloaded for the whole batch.
func TestConcurrentOpeningsShareRoundTrips(t *testing.T) {
	rds := testinfra.StartRedis(t)
	opts, err := redis.ParseURL(rds.URL)
	if err != nil {
		t.Fatal(err)
	}
	client := redis.NewClient(opts)
	t.Cleanup(func() { _ = client.Close() })
	gate := &pipelineGate{hold: make(chan struct{}), started: make(chan struct{}, 1)}
	client.AddHook(gate)
	st := openerService(t, client).store()
	if err := rds.Client.ScriptFlush(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}

	// The first opening is sent alone, and held; its caller's context then ends.
	firstCtx, cancelFirst := context.WithCancel(context.Background())
	const n = 50
	results := make([]error, n)
	opened := make([]bool, n)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		opened[0], results[0] = openOne(firstCtx, st, "req-0")
	}()
	<-gate.started
	for i := 1; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			opened[i], results[i] = openOne(context.Background(), st, fmt.Sprintf("req-%d", i))
		}()
	}
	testinfra.Eventually(t, 5*time.Second, func() error {
		st.opens.mu.Lock()
		defer st.opens.mu.Unlock()
		if len(st.opens.queue) != n-1 {
			return fmt.Errorf("%d openings queued, want %d", len(st.opens.queue), n-1)
		}
		return nil
	})
	cancelFirst()
	close(gate.hold)
	wg.Wait()
	for i := range n {
		if results[i] != nil || !opened[i] {
			t.Errorf("opening %d: opened %v, %v", i, opened[i], results[i])
		}
	}
	// The held pipeline, its retry once the flushed script is loaded again, and the queued
	// openings all in one.
	if got := gate.sent.Load(); got != 3 {
		t.Errorf("%d pipelines for %d openings, want 3 (1 held, its retry after the script reload, 1 for the queue)", got, n)
	}
	ctx := context.Background()
	if c, err := rds.Client.ZCard(ctx, "open:requests:{monza}").Result(); err != nil || c != n {
		t.Errorf("%d requests indexed (%v), want %d", c, err, n)
	}
	// Opening again changes nothing and says so.
	if again, err := openOne(ctx, st, "req-7"); err != nil || again {
		t.Errorf("second opening of req-7: opened %v, %v; want false, nil", again, err)
	}
}

// When Redis cannot be reached every waiting opening gets the error; none waits forever.
func TestOpeningsFailTogetherWhenRedisIsDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	client := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { _ = client.Close() })
	st := openerService(t, client).store()
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := openOne(context.Background(), st, fmt.Sprintf("req-%d", i)); err != nil {
				failed.Add(1)
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("openings still waiting 30 s after Redis refused them")
	}
	if failed.Load() != 20 {
		t.Errorf("%d of 20 openings failed against a Redis that is not there", failed.Load())
	}
}
