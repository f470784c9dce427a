package app

import (
	"context"
	"fmt"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/piazza-pa/piazza/pkg/bus"
	"github.com/piazza-pa/piazza/pkg/testinfra"
	actionv1 "github.com/piazza-pa/piazza/proto/gen/piazza/action/v1"
)

// The tally counts from the streams' per-subject counts: decisions of both subjects and every
// tenant, results done and failed, requests opened and no other request event. The kinds come
// from reading the results, and a second summary reads only the results that came since.
func TestTallyCountsFromTheStreams(t *testing.T) {
	ctx := context.Background()
	js := testinfra.StartNATS(t).JetStream(t)
	if err := bus.EnsureStreams(ctx, js, bus.DefaultRetention()); err != nil {
		t.Fatal(err)
	}
	publish := func(subject string, data []byte) {
		t.Helper()
		if _, err := js.Publish(ctx, subject, data); err != nil {
			t.Fatal(err)
		}
	}
	result := func(tenant string, kind, performed actionv1.Kind, status actionv1.Status) {
		t.Helper()
		data, err := proto.Marshal(&actionv1.ActionResult{Action: &actionv1.Action{Tenant: tenant, Kind: kind}, Performed: performed, Status: status})
		if err != nil {
			t.Fatal(err)
		}
		subject := bus.ActionCompleted(tenant)
		if status == actionv1.Status_STATUS_FAILED {
			subject = bus.ActionFailed(tenant)
		}
		publish(subject, data)
	}
	for i := 0; i < 3; i++ {
		publish(bus.DecisionMade("monza"), []byte("d"))
		publish(bus.DecisionSettled("bussero"), []byte("d"))
	}
	publish(bus.DecisionSettled("monza"), []byte("d"))
	result("monza", actionv1.Kind_KIND_DELETE, actionv1.Kind_KIND_DELETE, actionv1.Status_STATUS_DONE)
	result("monza", actionv1.Kind_KIND_BLOCK, actionv1.Kind_KIND_HIDE, actionv1.Status_STATUS_DEGRADED)
	result("bussero", actionv1.Kind_KIND_REPLY, actionv1.Kind_KIND_UNSPECIFIED, actionv1.Status_STATUS_FAILED)
	publish(bus.RequestEvent("monza", "opened"), []byte("r"))
	publish(bus.RequestEvent("bussero", "opened"), []byte("r"))
	publish(bus.RequestEvent("monza", "reminded"), []byte("r"))
	publish(bus.ActionRequested("monza"), []byte("a")) // waiting for the enforcer: no result yet

	tally := NewTally(js)
	s, err := tally.Snapshot(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if s.Decisions != 7 || s.Requests != 2 || s.Failed != 1 || s.done != 2 || s.results != 3 || len(s.Actions) != 0 {
		t.Errorf("totals %+v: want 7 decisions, 2 requests, 3 results of which 2 done and 1 failed, no kinds", s)
	}
	if line := progressLine(s); line != "comments 0 · decisions 7 · actions done 2, failed 1 · requests 2" {
		t.Errorf("progress line %q", line)
	}
	s, err = tally.Snapshot(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	want := func(got map[string]int, w map[string]int) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(w) {
			t.Errorf("got %v, want %v", got, w)
		}
	}
	want(s.Actions, map[string]int{"delete": 1, "block": 1, "reply": 1})
	want(s.Executed, map[string]int{"delete": 1, "hide": 1})

	result("monza", actionv1.Kind_KIND_DELETE, actionv1.Kind_KIND_DELETE, actionv1.Status_STATUS_DONE)
	publish(bus.ActionCompleted("monza"), []byte{0xff}) // counted, but has no kind to count under
	if s, err = tally.Snapshot(ctx, true); err != nil {
		t.Fatal(err)
	}
	want(s.Actions, map[string]int{"delete": 2, "block": 1, "reply": 1})
	want(s.Executed, map[string]int{"delete": 2, "hide": 1})
	if s.results != 5 || s.done != 4 {
		t.Errorf("%d results, %d done; want 5 and 4", s.results, s.done)
	}
	if s, err = tally.Snapshot(ctx, true); err != nil || s.results != 5 || s.Actions["delete"] != 2 {
		t.Errorf("a third summary with nothing new: %+v, %v", s, err)
	}
}
