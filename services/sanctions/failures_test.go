package sanctions_test

import (
	"context"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/piazza-pa/piazza/pkg/bus"
	actionv1 "github.com/piazza-pa/piazza/proto/gen/piazza/action/v1"
	sanctionsv1 "github.com/piazza-pa/piazza/proto/gen/piazza/sanctions/v1"
)

func TestPermanentlyFailedActionSendsTheDecisionToReview(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	c := comment("monza", "fail-1", "u-fail", "Sindaco sei un idiota", 1)
	e.mustHandle(t, c)
	d := e.decide(t, c)
	if len(d.GetActions()) == 0 {
		t.Fatalf("decision %v has no action to fail", d.GetActionCodes())
	}
	result := func(permanent bool) *bus.Message {
		data, err := proto.Marshal(&actionv1.ActionResult{Action: d.GetActions()[0], Status: actionv1.Status_STATUS_FAILED, Permanent: permanent, Error: "token expired"})
		if err != nil {
			t.Fatal(err)
		}
		return &bus.Message{Subject: bus.ActionFailed("monza"), Data: data}
	}
	if err := e.svc.HandleActionFailure(ctx, result(false)); err != nil {
		t.Fatal(err)
	}
	if list, _ := e.client.ListReviews(ctx, &sanctionsv1.ListReviewsRequest{Tenant: "monza"}); len(list.GetDecisions()) != 0 {
		t.Fatalf("a transient failure queued %d reviews", len(list.GetDecisions()))
	}
	for i := 0; i < 2; i++ { // redelivered: queued once
		if err := e.svc.HandleActionFailure(ctx, result(true)); err != nil {
			t.Fatal(err)
		}
	}
	list, err := e.client.ListReviews(ctx, &sanctionsv1.ListReviewsRequest{Tenant: "monza"})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.GetDecisions()) != 1 || list.GetDecisions()[0].GetDecisionId() != d.GetDecisionId() || !list.GetDecisions()[0].GetReview() {
		t.Errorf("review queue %v, want the failed decision once", list.GetDecisions())
	}
	if err := e.svc.HandleActionFailure(ctx, &bus.Message{Data: []byte{0xff}}); !bus.IsPermanent(err) {
		t.Errorf("garbage result: %v, want permanent", err)
	}
}
