package routing_test

import (
	"context"
	"fmt"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/piazza-pa/piazza/pkg/bus"
	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	routingv1 "github.com/piazza-pa/piazza/proto/gen/piazza/routing/v1"
	sanctionsv1 "github.com/piazza-pa/piazza/proto/gen/piazza/sanctions/v1"
)

func TestErasureRemovesOnlyThatCitizensRequests(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		d := decision("monza", fmt.Sprint("er", i), commentv1.Channel_CHANNEL_COMMENT, false, []string{"request"}, "roads")
		if i%2 == 1 {
			d.Comment.Author.Pseudonym = "uother"
		}
		if _, err := e.svc.Dispose(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	data, err := proto.Marshal(&sanctionsv1.AuditEvent{EventId: "erase-1", Tenant: "monza", Pseudonym: "uabc", Operation: sanctionsv1.Operation_OPERATION_ERASURE})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // a redelivered erasure finds nothing more
		if err := e.svc.HandleErasure(ctx, &bus.Message{Subject: "piazza.monza.user.erased", Data: data}); err != nil {
			t.Fatal(err)
		}
	}
	list, err := e.client.ListRequests(ctx, &routingv1.ListRequestsRequest{Tenant: "monza"})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.GetRequests()) != 2 {
		t.Fatalf("%d requests left, want the other citizen's 2", len(list.GetRequests()))
	}
	for _, r := range list.GetRequests() {
		if r.GetReporter() != "uother" {
			t.Errorf("request %s of %s survived the erasure", r.GetRequestId(), r.GetReporter())
		}
	}
	if err := e.svc.HandleErasure(ctx, &bus.Message{Data: []byte{0xff}}); !bus.IsPermanent(err) {
		t.Errorf("garbage erasure: %v, want permanent", err)
	}
}
