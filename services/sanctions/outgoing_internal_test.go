package sanctions

import (
	"testing"

	"github.com/piazza-pa/piazza/pkg/bus"
	"github.com/piazza-pa/piazza/pkg/decisions"
	actionv1 "github.com/piazza-pa/piazza/proto/gen/piazza/action/v1"
	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	sanctionsv1 "github.com/piazza-pa/piazza/proto/gen/piazza/sanctions/v1"
)

// A decision goes out before its actions, so that the audit log holds the evidence before any
// deletion is requested; the batch and the single-comment paths both build it here.
func TestAppendOutgoingPutsTheDecisionFirst(t *testing.T) {
	d := &sanctionsv1.Decision{
		DecisionId: "decision:facebook:c1",
		Comment:    &commentv1.Comment{Tenant: "monza", CommentId: "c1"},
		Actions: []*actionv1.Action{
			{ActionId: "decision:facebook:c1:0:hide", Kind: actionv1.Kind_KIND_HIDE},
			{ActionId: "decision:facebook:c1:1:reply", Kind: actionv1.Kind_KIND_REPLY},
		},
	}
	data := []byte("encoded")
	prior := []bus.Outgoing{{Subject: "kept"}}
	out := appendOutgoing(prior, d, data)
	if len(out) != 4 || out[0].Subject != "kept" {
		t.Fatalf("got %d messages (%+v), want the one already there and 3 more", len(out), out)
	}
	if out[1].Subject != decisions.Subject(d) || out[1].MsgID != d.GetDecisionId() || out[1].Msg != d || string(out[1].Data) != "encoded" {
		t.Errorf("first message %+v: want the decision with its id and encoding", out[1])
	}
	for i, a := range d.GetActions() {
		o := out[2+i]
		if o.Subject != bus.ActionRequested("monza") || o.MsgID != a.GetActionId() || o.Msg != a || o.Data != nil {
			t.Errorf("message %d %+v: want action %s on %s", 2+i, o, a.GetActionId(), bus.ActionRequested("monza"))
		}
	}
	if got := appendOutgoing(nil, &sanctionsv1.Decision{DecisionId: "x", Comment: &commentv1.Comment{Tenant: "monza"}}, nil); len(got) != 1 || got[0].Data != nil {
		t.Errorf("a decision without actions: got %+v, want the decision alone, to be encoded by the publisher", got)
	}
}
