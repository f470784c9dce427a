package routing_test

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	routingv1 "github.com/piazza-pa/piazza/proto/gen/piazza/routing/v1"
	"github.com/piazza-pa/piazza/services/routing"
)

func TestRebuildRejectsBrokenHistories(t *testing.T) {
	at := timestamppb.New(time.Date(2026, 11, 16, 10, 0, 0, 0, time.UTC))
	opened := &routingv1.RequestEvent{EventId: "r:1:opened", Type: routingv1.EventType_EVENT_TYPE_OPENED, Sequence: 1, At: at,
		Request: &routingv1.Request{RequestId: "r", Tenant: "monza", Office: "urp", State: routingv1.State_STATE_ACKNOWLEDGED}}
	ev := func(seq int32, typ routingv1.EventType) *routingv1.RequestEvent {
		return &routingv1.RequestEvent{EventId: "e", Type: typ, Sequence: seq, At: at}
	}
	tests := []struct {
		name    string
		history []*routingv1.RequestEvent
		want    string
	}{
		{"empty", nil, "empty history"},
		{"no opening", []*routingv1.RequestEvent{ev(1, routingv1.EventType_EVENT_TYPE_ACKNOWLEDGED)}, "before the request was opened"},
		{"opened twice", []*routingv1.RequestEvent{opened, opened}, "already open"},
		{"a gap", []*routingv1.RequestEvent{opened, ev(3, routingv1.EventType_EVENT_TYPE_ACKNOWLEDGED)}, "sequence 3, want 2"},
		{"reassigned to nobody", []*routingv1.RequestEvent{opened, ev(2, routingv1.EventType_EVENT_TYPE_REASSIGNED)}, "no office"},
	}
	for _, tt := range tests {
		if _, err := routing.Rebuild(tt.history); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Rebuild = %v, want an error with %q", tt.name, err, tt.want)
		}
	}
	// A pause ended by an answer leaves no pause behind.
	r, err := routing.Rebuild([]*routingv1.RequestEvent{opened, ev(2, routingv1.EventType_EVENT_TYPE_WAITING), ev(3, routingv1.EventType_EVENT_TYPE_ANSWERED)})
	if err != nil {
		t.Fatal(err)
	}
	if r.GetState() != routingv1.State_STATE_ANSWERED || r.GetPausedAt() != nil || r.GetVersion() != 3 {
		t.Errorf("after waiting and answering: %v", r)
	}
}
