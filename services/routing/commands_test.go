package routing_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	actionv1 "github.com/piazza-pa/piazza/proto/gen/piazza/action/v1"
	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	routingv1 "github.com/piazza-pa/piazza/proto/gen/piazza/routing/v1"
	"github.com/piazza-pa/piazza/services/routing"
)

// checkDerivable fails when the stored request is not exactly its history folded by Apply.
func checkDerivable(t *testing.T, e *env, id string) *routingv1.GetRequestResponse {
	t.Helper()
	got, err := e.client.GetRequest(context.Background(), &routingv1.GetRequestRequest{Tenant: "monza", RequestId: id})
	if err != nil {
		t.Fatal(err)
	}
	rebuilt, err := routing.Rebuild(got.GetHistory())
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(rebuilt, got.GetRequest()) {
		t.Fatalf("stored request is not derivable from its history:\nstored  %v\nrebuilt %v", got.GetRequest(), rebuilt)
	}
	return got
}

func TestOfficeCommandsOverGRPC(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	d := decision("monza", "cmd-1", commentv1.Channel_CHANNEL_PRIVATE_MESSAGE, false, []string{"request"}, "roads")
	d.Comment.Text = "Buongiorno, in via Borgazzi c'è una buca: quando la sistemate?"
	if _, err := e.svc.Dispose(ctx, d); err != nil {
		t.Fatal(err)
	}
	id := routing.RequestID(d.GetComment())
	e.actions(t) // the acknowledgement
	r := checkDerivable(t, e, id).GetRequest()
	if r.GetKind() != routingv1.Kind_KIND_REPORT || r.GetPlace() != "via borgazzi" || r.GetOffice() != "lavori_pubblici" {
		t.Fatalf("opened %v: want a report at via borgazzi for lavori_pubblici", r)
	}

	// Another office cannot act on it.
	_, err := e.client.Acknowledge(ctx, &routingv1.AcknowledgeRequest{Tenant: "monza", RequestId: id, Office: "tributi"})
	if status.Code(err) != codes.PermissionDenied {
		t.Errorf("Acknowledge by another office: %v, want PermissionDenied", err)
	}
	ack, err := e.client.Acknowledge(ctx, &routingv1.AcknowledgeRequest{Tenant: "monza", RequestId: id, Office: "lavori_pubblici", Actor: "op-7"})
	if err != nil {
		t.Fatal(err)
	}
	if ack.GetRequest().GetState() != routingv1.State_STATE_ASSIGNED || ack.GetRequest().GetAcknowledgedAt() == nil {
		t.Errorf("after Acknowledge: %v", ack.GetRequest())
	}

	// Waiting for the citizen: a private question, the clock paused for one office day.
	dueBefore := ack.GetRequest().GetFirstAnswerDue().AsTime()
	w, err := e.client.WaitForCitizen(ctx, &routingv1.WaitForCitizenRequest{Tenant: "monza", RequestId: id, Question: "Può indicarci il numero civico?"})
	if err != nil {
		t.Fatal(err)
	}
	if w.GetRequest().GetState() != routingv1.State_STATE_WAITING {
		t.Errorf("state %s, want waiting", w.GetRequest().GetState())
	}
	acts := e.actions(t)
	if len(acts) != 1 || acts[0].GetKind() != actionv1.Kind_KIND_PRIVATE_REPLY || !strings.Contains(acts[0].GetText(), "numero civico") {
		t.Errorf("question actions %v, want one private reply with the question", acts)
	}
	list, err := e.client.ListRequests(ctx, &routingv1.ListRequestsRequest{Tenant: "monza", Overdue: true})
	if err != nil || len(list.GetRequests()) != 0 {
		t.Errorf("overdue list while paused: %v, %v", list.GetRequests(), err)
	}
	e.now = time.Date(2026, 11, 18, 15, 0, 0, 0, time.UTC) // Wednesday: 5h30 of Lavori Pubblici's hours later
	res, err := e.client.Acknowledge(ctx, &routingv1.AcknowledgeRequest{Tenant: "monza", RequestId: id})
	if err != nil {
		t.Fatal(err)
	}
	if res.GetRequest().GetState() != routingv1.State_STATE_ASSIGNED || !res.GetRequest().GetFirstAnswerDue().AsTime().After(dueBefore) {
		t.Errorf("after resuming: state %s, first answer due %s (was %s): want assigned and later",
			res.GetRequest().GetState(), res.GetRequest().GetFirstAnswerDue().AsTime(), dueBefore)
	}

	// Reassigned to the URP, answered, closed, reopened.
	if _, err := e.client.Reassign(ctx, &routingv1.ReassignRequest{Tenant: "monza", RequestId: id, ToOffice: "no_such"}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("Reassign to an unknown office: %v, want InvalidArgument", err)
	}
	re, err := e.client.Reassign(ctx, &routingv1.ReassignRequest{Tenant: "monza", RequestId: id, ToOffice: "urp"})
	if err != nil {
		t.Fatal(err)
	}
	if re.GetRequest().GetOffice() != "urp" || re.GetRequest().GetOfficeNotified() {
		t.Errorf("after Reassign: office %s notified %v", re.GetRequest().GetOffice(), re.GetRequest().GetOfficeNotified())
	}
	if _, err := e.client.Answer(ctx, &routingv1.AnswerRequest{Tenant: "monza", RequestId: id, Text: "Interverremo lunedì."}); err != nil {
		t.Fatal(err)
	}
	acts = e.actions(t)
	if len(acts) != 1 || acts[0].GetKind() != actionv1.Kind_KIND_PRIVATE_REPLY || !strings.Contains(acts[0].GetText(), "Dott.ssa Maria Rossi") {
		t.Errorf("answer actions %v, want one private reply naming the URP's head", acts)
	}
	if _, err := e.client.Reopen(ctx, &routingv1.ReopenRequest{Tenant: "monza", RequestId: id}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.Close(ctx, &routingv1.CloseRequest{Tenant: "monza", RequestId: id, Note: "risolto"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.Close(ctx, &routingv1.CloseRequest{Tenant: "monza", RequestId: id}); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("Close twice: %v, want FailedPrecondition", err)
	}
	got := checkDerivable(t, e, id)
	var types []string
	for _, ev := range got.GetHistory() {
		types = append(types, strings.TrimPrefix(ev.GetType().String(), "EVENT_TYPE_"))
	}
	if want := "[OPENED ACKNOWLEDGED WAITING RESUMED REASSIGNED ANSWERED REOPENED CLOSED]"; fmt.Sprint(types) != want {
		t.Errorf("history %v, want %s", types, want)
	}
	if got.GetRequest().GetState() != routingv1.State_STATE_CLOSED || got.GetRequest().GetResolvedAt() == nil {
		t.Errorf("final request %v", got.GetRequest())
	}
}

func TestCitizenReplyResumesTheClock(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	d := decision("monza", "thread-1", commentv1.Channel_CHANNEL_COMMENT, false, []string{"request"}, "lighting")
	if _, err := e.svc.Dispose(ctx, d); err != nil {
		t.Fatal(err)
	}
	id := routing.RequestID(d.GetComment())
	if _, err := e.client.WaitForCitizen(ctx, &routingv1.WaitForCitizenRequest{Tenant: "monza", RequestId: id, Question: "Quale lampione?"}); err != nil {
		t.Fatal(err)
	}
	// Someone else's reply in the thread does not restart the clock; the citizen's does.
	other := decision("monza", "thread-2", commentv1.Channel_CHANNEL_COMMENT, false, nil, "")
	other.Comment.ParentId = "thread-1"
	other.Comment.Author.Pseudonym = "someone-else"
	if got, err := e.svc.Dispose(ctx, other); err != nil || got != routing.DispositionNone {
		t.Errorf("another user's reply: %s, %v", got, err)
	}
	reply := decision("monza", "thread-3", commentv1.Channel_CHANNEL_COMMENT, false, nil, "")
	reply.Comment.ParentId = "thread-1"
	got, err := e.svc.Dispose(ctx, reply)
	if err != nil || got != routing.DispositionResumed {
		t.Fatalf("the citizen's reply: %s, %v; want resumed", got, err)
	}
	r := checkDerivable(t, e, id).GetRequest()
	if r.GetState() != routingv1.State_STATE_ACKNOWLEDGED {
		t.Errorf("state after the citizen's reply %s, want acknowledged", r.GetState())
	}
}

func TestRecurringProblems(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	texts := []string{
		"C'è una buca in via Borgazzi davanti al civico 3",
		"Ancora la buca di Via Borgazzi, pericolosa",
		"Segnalo una buca in via Borgazzi",
		"Lampione spento in piazza Trento e Trieste",
	}
	for i, text := range texts {
		topic := "roads"
		if strings.Contains(text, "Lampione") {
			topic = "lighting"
		}
		d := decision("monza", fmt.Sprint("rec-", i), commentv1.Channel_CHANNEL_COMMENT, false, []string{"request"}, topic)
		d.Comment.Text = text
		for range 2 { // a redelivery counts once
			if _, err := e.svc.Dispose(ctx, d); err != nil {
				t.Fatal(err)
			}
		}
	}
	resp, err := e.client.ListRecurring(ctx, &routingv1.ListRecurringRequest{Tenant: "monza", Weeks: 2, MinCount: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetProblems()) != 1 {
		t.Fatalf("recurring %v, want one", resp.GetProblems())
	}
	p := resp.GetProblems()[0]
	if p.GetTopic() != "roads" || p.GetPlace() != "via borgazzi" || p.GetTotal() != 3 || len(p.GetWeeks()) != 2 || p.GetWeeks()[1].GetCount() != 3 || p.GetWeeks()[1].GetWeek() != "2026-11-16" {
		t.Errorf("recurring problem %v", p)
	}
	if _, err := e.client.ListRecurring(ctx, &routingv1.ListRecurringRequest{Tenant: "atlantide"}); status.Code(err) != codes.NotFound {
		t.Errorf("unknown tenant: %v", err)
	}
}

func TestListOverdue(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	for _, id := range []string{"late-1", "late-2"} {
		if _, err := e.svc.Dispose(ctx, decision("monza", id, commentv1.Channel_CHANNEL_COMMENT, false, []string{"request"}, "roads")); err != nil {
			t.Fatal(err)
		}
	}
	answered := routing.RequestID(decision("monza", "late-2", commentv1.Channel_CHANNEL_COMMENT, false, nil, "").GetComment())
	if _, err := e.client.Answer(ctx, &routingv1.AnswerRequest{Tenant: "monza", RequestId: answered, Text: "Fatto."}); err != nil {
		t.Fatal(err)
	}
	overdue := func() int {
		t.Helper()
		list, err := e.client.ListRequests(ctx, &routingv1.ListRequestsRequest{Tenant: "monza", Overdue: true})
		if err != nil {
			t.Fatal(err)
		}
		return len(list.GetRequests())
	}
	if n := overdue(); n != 0 {
		t.Errorf("%d overdue on the day they arrived", n)
	}
	e.now = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC) // past Friday 27's first-answer deadline
	if n := overdue(); n != 1 {
		t.Errorf("%d overdue after the deadline, want the unanswered one", n)
	}
}
