package sanctions_test

import (
	"context"
	"fmt"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/piazza-pa/piazza/pkg/bus"
	actionv1 "github.com/piazza-pa/piazza/proto/gen/piazza/action/v1"
	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	sanctionsv1 "github.com/piazza-pa/piazza/proto/gen/piazza/sanctions/v1"
)

// batchInput is a batch with every kind of comment HandleComment tells apart: a user climbing a
// ladder to a block, clean comments, a request, an anonymous author sent to review, the same
// comment twice, and, when poison is set, comments no retry can decide (the classifier refuses
// one, which spoils a ClassifyBatch call).
func batchInput(poison bool) []*commentv1.Comment {
	var cs []*commentv1.Comment
	for i := 1; i <= 4; i++ {
		cs = append(cs, comment("monza", fmt.Sprint("bi", i), "climber", "Sei un idiota, vergognati", i))
	}
	cs = append(cs,
		comment("monza", "bc1", "calm", "Grazie mille per l'informazione, buona giornata", 1),
		comment("monza", "br1", "citizen", "In via Roma c'è una buca enorme davanti al civico 12, potete sistemarla?", 1),
		anonymous(comment("crespiatica", "ba1", "anon9", "Sei un idiota, vergognati", 1)),
		comment("canegrate", "bw1", "warned", "Sei un idiota", 1),
		comment("monza", "bi2", "climber", "Sei un idiota, vergognati", 2), // bi2 again
	)
	// Enough undecided comments for one ClassifyBatch call.
	for i := range 12 {
		cs = append(cs, comment("bussero", fmt.Sprint("bk", i), fmt.Sprint("kind", i%3), "Buongiorno, a che ora apre la biblioteca sabato?", i))
	}
	if !poison {
		return cs
	}
	return append(cs,
		&commentv1.Comment{Tenant: "monza", Platform: fb, CommentId: "bnotext"},           // nothing to classify
		&commentv1.Comment{Tenant: "atlantide", Platform: fb, CommentId: "bx", Text: "a"}, // unknown tenant
	)
}

// messages makes deliveries of the comments, and of garbage when poison is set.
func messages(t testing.TB, cs []*commentv1.Comment, delivered uint64, poison bool) []*bus.Message {
	t.Helper()
	var out []*bus.Message
	for _, c := range cs {
		data, err := proto.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, &bus.Message{Subject: bus.CommentReceived(c.GetTenant()), Data: data, NumDelivered: delivered})
	}
	if poison {
		out = append(out, &bus.Message{Subject: bus.CommentReceived("monza"), Data: []byte("\xff\x00not a protobuf"), NumDelivered: delivered})
	}
	return out
}

// A batch gets, comment by comment, the outcome and the decision HandleComment gives the same
// comments one at a time, and a redelivered batch changes nothing.
func TestHandleBatchDecidesAsHandleCommentDoes(t *testing.T) {
	for _, poison := range []bool{false, true} {
		t.Run(fmt.Sprint("poison=", poison), func(t *testing.T) { checkBatchAsOneByOne(t, poison) })
	}
}

func checkBatchAsOneByOne(t *testing.T, poison bool) {
	one, batch := setup(t), setup(t)
	ctx := context.Background()
	msgs := messages(t, batchInput(poison), 1, poison)
	var want []error
	for _, m := range msgs {
		want = append(want, one.svc.HandleComment(ctx, m))
	}
	got := batch.svc.HandleBatch(ctx, msgs)
	if len(got) != len(msgs) {
		t.Fatalf("%d results for %d messages", len(got), len(msgs))
	}
	for i := range msgs {
		if (want[i] == nil) != (got[i] == nil) || bus.IsPermanent(want[i]) != bus.IsPermanent(got[i]) {
			t.Errorf("message %d: batch %v, one at a time %v", i, got[i], want[i])
		}
	}
	for range 2 { // the second time, a redelivery
		for _, c := range batchInput(poison) {
			if c.GetText() == "" || c.GetTenant() == "atlantide" {
				continue
			}
			a, b := one.decide(t, proto.Clone(c).(*commentv1.Comment)), batch.decide(t, proto.Clone(c).(*commentv1.Comment))
			if !proto.Equal(a, b) {
				t.Errorf("comment %s:\nbatch       %v\none by one  %v", c.GetCommentId(), b, a)
			}
		}
		for _, tenant := range []string{"monza", "crespiatica", "canegrate", "bussero"} {
			if a, b := decisionsOn(t, one.js, tenant), decisionsOn(t, batch.js, tenant); a != b {
				t.Errorf("%s: %d decisions published from the batch, %d one by one", tenant, b, a)
			}
			if a, b := len(requestedActions(t, one.js, tenant)), len(requestedActions(t, batch.js, tenant)); a != b || len(streamMsgs(t, batch.js, bus.StreamActions, bus.ActionRequested(tenant))) != b {
				t.Errorf("%s: %d distinct actions published from the batch, %d one by one", tenant, b, a)
			}
		}
		rec := batch.record(t, "monza", "climber")
		if len(rec.GetHistory()) != 4 || !rec.GetBlocked() {
			t.Errorf("climber's record %v, want 4 strikes and a block", rec)
		}
		reviews, err := batch.svc.ListReviews(ctx, &sanctionsv1.ListReviewsRequest{Tenant: "crespiatica"})
		if err != nil {
			t.Fatal(err)
		}
		if len(reviews) != 1 {
			t.Errorf("%d decisions in crespiatica's review queue, want 1", len(reviews))
		}
		for i, err := range batch.svc.HandleBatch(ctx, messages(t, batchInput(poison), 2, poison)) {
			if (want[i] == nil) != (err == nil) {
				t.Errorf("redelivered message %d: %v, first time %v", i, err, want[i])
			}
		}
	}
	d := batch.decide(t, comment("monza", "bi4", "climber", "Sei un idiota, vergognati", 4))
	if s := strikeOf(d, "insult"); s.GetCount() != 4 || hasKindOf(d, actionv1.Kind_KIND_BLOCK) == nil {
		t.Errorf("4th insult decided %v, want strike 4 with a block", d)
	}
}

// A comment written before its author's erasure is dropped from a batch without a decision,
// while the rest of the batch is decided.
func TestHandleBatchDropsErasedAuthorsComments(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	old := comment("monza", "be1", "gone", "Sei un idiota", 1)
	e.mustHandle(t, old)
	if _, err := e.client.EraseUser(ctx, &sanctionsv1.EraseUserRequest{Tenant: "monza", Platform: fb, UserId: "gone", Reason: "richiesta art. 17", Operator: "dpo"}); err != nil {
		t.Fatal(err)
	}
	before := decisionsOn(t, e.js, "monza")
	cs := []*commentv1.Comment{old, comment("monza", "be2", "stays", "Sei un idiota", 1)}
	for i, err := range e.svc.HandleBatch(ctx, messages(t, cs, 2, false)) {
		if err != nil {
			t.Errorf("message %d: %v", i, err)
		}
	}
	if n := len(e.record(t, "monza", "gone").GetHistory()); n != 0 {
		t.Errorf("an erased user's old comment counted %d strikes", n)
	}
	if n := len(e.record(t, "monza", "stays").GetHistory()); n != 1 {
		t.Errorf("the other user has %d strikes, want 1", n)
	}
	if after := decisionsOn(t, e.js, "monza"); after != before+1 {
		t.Errorf("%d decisions published, want 1", after-before)
	}
}

func hasKindOf(d *sanctionsv1.Decision, k actionv1.Kind) *actionv1.Action {
	for _, a := range d.GetActions() {
		if a.GetKind() == k {
			return a
		}
	}
	return nil
}
