package routing

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/piazza-pa/piazza/pkg/bus"
	"github.com/piazza-pa/piazza/pkg/livepolicy"
	"github.com/piazza-pa/piazza/pkg/policy"
	"github.com/piazza-pa/piazza/pkg/testinfra"
	classifierv1 "github.com/piazza-pa/piazza/proto/gen/piazza/classifier/v1"
	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	routingv1 "github.com/piazza-pa/piazza/proto/gen/piazza/routing/v1"
	sanctionsv1 "github.com/piazza-pa/piazza/proto/gen/piazza/sanctions/v1"
)

// benchOpen is the number of open requests every benchmark runs against.
const benchOpen = 100_000

type benchEnv struct {
	svc *Service
	rdb redis.UniversalClient
	// unnotified are requests whose office has not heard of them yet: scoring one due makes
	// the next tick fire its notification.
	unnotified []string
	// next is the first of unnotified not used yet; it outlives one run of a sub-benchmark,
	// which the testing package may start more than once.
	next  int
	clock time.Time
	mu    sync.Mutex
	// redisBytesPerRequest is what one open request costs in Redis's memory.
	redisBytesPerRequest float64
}

func (e *benchEnv) now() time.Time { e.mu.Lock(); defer e.mu.Unlock(); return e.clock }

// newBenchEnv stores benchOpen open requests of Monza (next check at their ack deadline, two
// days ahead) straight into Redis with the same script the service uses, pipelined, so the
// setup takes seconds rather than the minutes 100,000 dispositions would.
func newBenchEnv(b *testing.B) *benchEnv {
	b.Helper()
	rds := testinfra.StartRedis(b)
	js := testinfra.StartNATS(b).JetStream(b)
	set, err := policy.LoadDir("../../deploy/policies")
	if err != nil {
		b.Fatal(err)
	}
	e := &benchEnv{rdb: rds.Client, clock: time.Date(2026, 11, 16, 9, 30, 0, 0, time.UTC)} // Monday 10:30 in Monza
	e.svc, err = New(Config{Redis: rds.Client, Policies: livepolicy.Static(set), Publisher: bus.NewPublisher(js, bus.Telemetry{}),
		KeyPrefix: fmt.Sprintf("bench%d:", time.Now().UnixNano()), Now: e.now}) // a fresh key space for each -count
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	monza, _ := set.Tenant("monza")
	office := monza.Offices["lavori_pubblici"]
	cal := OfficeCalendar(monza, office)
	st := e.svc.store()
	if err := st.rdb.SAdd(ctx, st.tenantsKey(), "monza").Err(); err != nil {
		b.Fatal(err)
	}
	if err := openScript.Load(ctx, st.rdb).Err(); err != nil { // pipelines only send EVALSHA
		b.Fatal(err)
	}
	before := usedMemory(b, st.rdb)
	const batch = 2000
	for start := 0; start < benchOpen; start += batch {
		pipe := st.rdb.Pipeline()
		for i := start; i < start+batch; i++ {
			id := fmt.Sprintf("req-bench-%06d", i)
			received := e.clock.Add(-time.Duration(i%60) * time.Minute)
			d := Deadlines(cal, received, monza.Routing.SLA)
			req := &routingv1.Request{
				RequestId: id, Tenant: "monza", Platform: commentv1.Platform_PLATFORM_FACEBOOK, Channel: commentv1.Channel_CHANNEL_COMMENT,
				PageId: "monza-fb", CommentId: id, Reporter: "u", Text: "C'è una buca in via Borgazzi davanti al civico 12",
				Topic: "roads", Office: office.Code, State: routingv1.State_STATE_ACKNOWLEDGED, ReceivedAt: timestamppb.New(received),
				Kind: routingv1.Kind_KIND_REPORT, Place: "via borgazzi",
			}
			setDeadlines(req, d)
			opened := &routingv1.RequestEvent{EventId: id + ":1:opened", RequestId: id, Tenant: "monza", Type: routingv1.EventType_EVENT_TYPE_OPENED,
				At: timestamppb.New(received), Office: office.Code, Actor: "system", Request: req, Sequence: 1, Deadlines: d}
			stored, err := Apply(nil, opened)
			if err != nil {
				b.Fatal(err)
			}
			// Half of them as if already notified; the other half wait for the benchmark to make
			// them due.
			stored.OfficeNotified = i%2 == 1
			if !stored.OfficeNotified {
				e.unnotified = append(e.unnotified, id)
			}
			reqData, _ := proto.Marshal(stored)
			evData, _ := proto.Marshal(opened)
			openScript.Run(ctx, pipe,
				[]string{st.requestKey("monza", id), st.eventsKey("monza", id), st.indexKey("monza"), st.deadlinesKey("monza"), st.recurringKey("monza", isoWeek(received)),
					st.statsKey("monza"), st.dueKey("monza")},
				reqData, evData, received.UnixMilli(), d.GetAckDue().AsTime().UnixMilli(), id, "roads|via borgazzi", int64(recurringTTL/time.Second),
				statsField(stored), dueMember(stored), dueScore(stored))
		}
		if _, err := pipe.Exec(ctx); err != nil {
			b.Fatal(err)
		}
	}
	if n, err := st.rdb.ZCard(ctx, st.deadlinesKey("monza")).Result(); err != nil || n != benchOpen {
		b.Fatalf("%d requests scheduled (%v), want %d", n, err, benchOpen)
	}
	e.redisBytesPerRequest = float64(usedMemory(b, st.rdb)-before) / benchOpen
	return e
}

// usedMemory is Redis's used_memory, in bytes.
func usedMemory(b *testing.B, rdb redis.UniversalClient) int64 {
	b.Helper()
	info, err := rdb.Info(context.Background(), "memory").Result()
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return n
		}
	}
	b.Fatal("INFO memory has no used_memory")
	return 0
}

// BenchmarkRouting measures, against 100,000 open requests: one scheduler tick with nothing due
// (the common case), one tick that fires 100 due milestones (100 new-request notifications
// recorded as events, with no notifier configured), and opening one new request end to end (Redis script, REQUESTS
// event and acknowledgement action published on an in-process NATS).
func BenchmarkRouting(b *testing.B) {
	e := newBenchEnv(b)
	ctx := context.Background()
	// What the 100,000 open requests cost in Redis's memory (the service itself keeps none).
	b.Run("redis-memory", func(b *testing.B) {
		for b.Loop() {
		}
		b.ReportMetric(e.redisBytesPerRequest, "bytes/open-request")
	})

	// Baselines in the same run: one read round trip to the same Redis (what an idle tick is
	// made of), and one durable write (the server logs every write to its append-only file).
	b.Run("redis-ping", func(b *testing.B) {
		for b.Loop() {
			if err := e.rdb.Ping(ctx).Err(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("redis-incr", func(b *testing.B) {
		for b.Loop() {
			if err := e.rdb.Incr(ctx, "bench-baseline").Err(); err != nil {
				b.Fatal(err)
			}
		}
	})

	// The baseline of opening: one message published and acknowledged by JetStream.
	b.Run("nats-publish", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			ev := &routingv1.RequestEvent{EventId: fmt.Sprint("bench-publish-", i), Tenant: "monza", Type: routingv1.EventType_EVENT_TYPE_NOTIFIED}
			if err := e.svc.cfg.Publisher.Publish(ctx, bus.RequestEvent("monza", "notified"), ev.GetEventId(), ev); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("tick-idle", func(b *testing.B) {
		for b.Loop() {
			st, err := e.svc.Tick(ctx)
			if err != nil || st.Due != 0 {
				b.Fatalf("idle tick: %+v, %v", st, err)
			}
		}
	})

	b.Run("tick-fire-100", func(b *testing.B) {
		st := e.svc.store()
		fired := 0
		for b.Loop() {
			b.StopTimer()
			// 100 requests whose office has not been told become due.
			pipe := st.rdb.Pipeline()
			if e.next+100 > len(e.unnotified) {
				b.Fatalf("benchmark ran %d ticks, more than the %d prepared requests allow", b.N, len(e.unnotified)/100)
			}
			for range 100 {
				id := e.unnotified[e.next]
				e.next++
				pipe.ZAdd(ctx, st.deadlinesKey("monza"), redis.Z{Score: 0, Member: id})
			}
			if _, err := pipe.Exec(ctx); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			s, err := e.svc.Tick(ctx)
			if err != nil {
				b.Fatal(err)
			}
			fired += s.Fired
		}
		b.ReportMetric(float64(fired)/float64(b.N), "fired/op")
	})

	b.Run("open", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			id := fmt.Sprintf("open-%d", i)
			d := &sanctionsv1.Decision{
				DecisionId: "decision:facebook:" + id,
				Comment: &commentv1.Comment{Tenant: "monza", Platform: commentv1.Platform_PLATFORM_FACEBOOK, CommentId: id, PageId: "monza-fb",
					Channel: commentv1.Channel_CHANNEL_COMMENT, Text: "Buongiorno, in via Borgazzi c'è una buca, quando la sistemate?",
					Author: &commentv1.Author{Pseudonym: "u"}},
				Verdict: &classifierv1.Verdict{Tenant: "monza", CommentId: id, Topic: "roads", TopicConfidence: 0.9,
					Categories: []*classifierv1.CategoryScore{{Category: "request", Score: 0.9}}},
			}
			if disp, err := e.svc.Dispose(ctx, d); err != nil || disp != DispositionRouted {
				b.Fatalf("dispose: %s, %v", disp, err)
			}
		}
	})
}
