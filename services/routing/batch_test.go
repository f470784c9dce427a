package routing_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/piazza-pa/piazza/pkg/bus"
	"github.com/piazza-pa/piazza/pkg/livepolicy"
	"github.com/piazza-pa/piazza/pkg/policy"
	"github.com/piazza-pa/piazza/pkg/testinfra"
	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	routingv1 "github.com/piazza-pa/piazza/proto/gen/piazza/routing/v1"
	sanctionsv1 "github.com/piazza-pa/piazza/proto/gen/piazza/sanctions/v1"
	"github.com/piazza-pa/piazza/services/routing"
)

// downPublisher stands for a NATS server that refuses every publish.
type downPublisher struct{}

func (downPublisher) Publish(context.Context, string, string, proto.Message) error {
	return errors.New("nats: no responders available for request")
}

func decisionMsg(t *testing.T, d *sanctionsv1.Decision) *bus.Message {
	t.Helper()
	data, err := proto.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return &bus.Message{Subject: bus.DecisionMade(d.GetComment().GetTenant()), Data: data, NumDelivered: 1}
}

func TestBatchPublishesAfterStoringAndIsRetriedWhole(t *testing.T) {
	e := setup(t)
	rds := testinfra.StartRedis(t)
	set, err := policy.LoadDir("../../deploy/policies")
	if err != nil {
		t.Fatal(err)
	}
	cfg := routing.Config{Redis: rds.Client, Policies: livepolicy.Static(set), KeyPrefix: "test:", Now: func() time.Time { return e.now }}
	batch := []*bus.Message{
		decisionMsg(t, decision("monza", "b1", commentv1.Channel_CHANNEL_COMMENT, false, []string{"request"}, "roads")),
		{Subject: bus.DecisionMade("monza"), Data: []byte{0xff, 0x01}},
		decisionMsg(t, decision("canegrate", "b2", commentv1.Channel_CHANNEL_COMMENT, false, []string{"emergency"}, "")),
		decisionMsg(t, decision("monza", "b3", commentv1.Channel_CHANNEL_COMMENT, false, nil, "")),
		decisionMsg(t, decision("monza", "b1", commentv1.Channel_CHANNEL_COMMENT, false, []string{"request"}, "roads")),
	}

	// NATS down: the requests are stored, nothing is published, every decision that had
	// something to publish is retried; the clean one is done, the garbage is poison.
	cfg.Publisher = downPublisher{}
	down, err := routing.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	errs := down.HandleBatch(context.Background(), batch)
	for i, want := range []string{"retry", "poison", "retry", "ack", "retry"} {
		got := "ack"
		if errs[i] != nil {
			got = "retry"
			if bus.IsPermanent(errs[i]) {
				got = "poison"
			}
		}
		if got != want {
			t.Errorf("message %d: %s (%v), want %s", i, got, errs[i], want)
		}
	}

	// The redelivery, with NATS back, publishes each message once.
	cfg.Publisher = bus.NewPublisher(e.js, bus.Telemetry{})
	up, err := routing.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i, err := range up.HandleBatch(context.Background(), batch) {
		if (err != nil) != (i == 1) {
			t.Errorf("redelivery, message %d: %v", i, err)
		}
	}
	acts := e.actions(t)
	if len(acts) != 2 {
		t.Errorf("%d actions, want the acknowledgement of b1 and the emergency reply of b2, once each: %v", len(acts), acts)
	}
	evs, err := testinfra.StreamMessages(context.Background(), e.js, bus.StreamRequests)
	if err != nil {
		t.Fatal(err)
	}
	types := map[routingv1.EventType]int{}
	for _, m := range evs {
		var ev routingv1.RequestEvent
		if err := proto.Unmarshal(m.Data, &ev); err != nil {
			t.Fatal(err)
		}
		types[ev.GetType()]++
	}
	if types[routingv1.EventType_EVENT_TYPE_OPENED] != 1 || types[routingv1.EventType_EVENT_TYPE_REDIRECTED] != 1 || len(evs) != 2 {
		t.Errorf("request events %v, want one opened and one redirected", types)
	}
	list, err := routingv1.NewRoutingServiceClient(serveGRPC(t, up)).ListRequests(context.Background(), &routingv1.ListRequestsRequest{Tenant: "monza"})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.GetRequests()) != 1 {
		t.Errorf("%d monza requests, want 1", len(list.GetRequests()))
	}
}
