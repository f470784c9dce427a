package sanctions_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/piazza-pa/piazza/pkg/bus"
	"github.com/piazza-pa/piazza/pkg/policy"
	"github.com/piazza-pa/piazza/pkg/testinfra"
	actionv1 "github.com/piazza-pa/piazza/proto/gen/piazza/action/v1"
	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	sanctionsv1 "github.com/piazza-pa/piazza/proto/gen/piazza/sanctions/v1"
	"github.com/piazza-pa/piazza/services/sanctions"
)

const fb = commentv1.Platform_PLATFORM_FACEBOOK

// streamMsgs returns the messages of stream published on subject, oldest first.
func streamMsgs(t testing.TB, js jetstream.JetStream, stream, subject string) []*jetstream.RawStreamMsg {
	t.Helper()
	all, err := testinfra.StreamMessages(context.Background(), js, stream)
	if err != nil {
		t.Fatal(err)
	}
	var out []*jetstream.RawStreamMsg
	for _, m := range all {
		if m.Subject == subject {
			out = append(out, m)
		}
	}
	return out
}

// decisionMsgs returns the decisions of tenant in the audit stream, on both decision subjects.
func decisionMsgs(t testing.TB, js jetstream.JetStream, tenant string) []*jetstream.RawStreamMsg {
	t.Helper()
	var out []*jetstream.RawStreamMsg
	for _, subject := range bus.DecisionSubjects(tenant) {
		out = append(out, streamMsgs(t, js, bus.StreamDecisions, subject)...)
	}
	return out
}

// auditEvents decodes the events published on subject, checking each carries its id as the
// message id.
func auditEvents(t testing.TB, js jetstream.JetStream, subject string) []*sanctionsv1.AuditEvent {
	t.Helper()
	var out []*sanctionsv1.AuditEvent
	for _, m := range streamMsgs(t, js, bus.StreamDecisions, subject) {
		var ev sanctionsv1.AuditEvent
		if err := proto.Unmarshal(m.Data, &ev); err != nil {
			t.Fatal(err)
		}
		if got := m.Header.Get(jetstream.MsgIDHeader); got == "" || got != ev.GetEventId() {
			t.Errorf("audit event %s published with message id %q", ev.GetEventId(), got)
		}
		out = append(out, &ev)
	}
	return out
}

func requestedActions(t testing.TB, js jetstream.JetStream, tenant string) map[string]*actionv1.Action {
	t.Helper()
	out := map[string]*actionv1.Action{}
	for _, m := range streamMsgs(t, js, bus.StreamActions, bus.ActionRequested(tenant)) {
		var a actionv1.Action
		if err := proto.Unmarshal(m.Data, &a); err != nil {
			t.Fatal(err)
		}
		out[a.GetActionId()] = &a
	}
	return out
}

func strikeOf(d *sanctionsv1.Decision, category string) *sanctionsv1.StrikeCount {
	for _, s := range d.GetStrikes() {
		if s.GetCategory() == category {
			return s
		}
	}
	return nil
}

func (e *env) record(t testing.TB, tenant, user string) *sanctionsv1.GetUserRecordResponse {
	t.Helper()
	rec, err := e.client.GetUserRecord(context.Background(), &sanctionsv1.GetUserRecordRequest{Tenant: tenant, Platform: fb, UserId: user})
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func (e *env) mustHandle(t testing.TB, c *commentv1.Comment) {
	t.Helper()
	if err := e.handle(t, c); err != nil {
		t.Fatal(err)
	}
}

func TestImmediateStepStatesStepStrikeAndArticle(t *testing.T) {
	e := setup(t)
	d := e.decide(t, comment("monza", "il1", "u1", "chi cerca fumo buono scrivetemi in privato", 1))
	sc := strikeOf(d, "illegal")
	if sc == nil {
		t.Fatalf("no illegal strike; verdict %v", d.GetVerdict().GetCategories())
	}
	if sc.GetCount() != 1 || sc.GetStep() != 1 || sc.GetArticle() != "5.D, 6" || sc.GetGroup() != "illegal" || sc.GetTitle() == "" {
		t.Errorf("strike %v: want strike 1, step 1, article 5.D, 6, group and title", sc)
	}
	if got := strings.Join(sc.GetStepActions(), " "); got != "delete block report_police" || !sc.GetBlockIndefinite() || sc.GetBlockFor() != nil {
		t.Errorf("step actions %q indefinite=%v for=%v, want delete block report_police, indefinite", got, sc.GetBlockIndefinite(), sc.GetBlockFor())
	}
	if !has(d.GetActionCodes(), "report_police") || !d.GetNoReply() || d.GetReview() {
		t.Errorf("action codes %v no_reply=%v review=%v", d.GetActionCodes(), d.GetNoReply(), d.GetReview())
	}
	var kinds []string
	for _, a := range d.GetActions() {
		kinds = append(kinds, a.GetKind().String())
		if a.GetReason() != "5.D, 6" {
			t.Errorf("%s cites %q, want 5.D, 6", a.GetKind(), a.GetReason())
		}
		if a.GetKind() == actionv1.Kind_KIND_BLOCK && a.GetDuration() != nil {
			t.Errorf("indefinite block carries duration %v", a.GetDuration().AsDuration())
		}
	}
	if fmt.Sprint(kinds) != "[KIND_DELETE KIND_BLOCK]" {
		t.Errorf("actions %v, want delete and block at the first violation", kinds)
	}
}

func TestWarningCitesTheArticleAndInvitesToEdit(t *testing.T) {
	e := setup(t)
	d := e.decide(t, comment("canegrate", "w1", "u1", "Sei un idiota, vergognati", 1))
	if len(d.GetActions()) != 1 || d.GetActions()[0].GetKind() != actionv1.Kind_KIND_REPLY {
		t.Fatalf("actions %v, want one warning reply", d.GetActions())
	}
	sc := strikeOf(d, "insult")
	reply := d.GetActions()[0]
	if sc == nil || !strings.Contains(reply.GetText(), sc.GetArticle()) || !strings.Contains(reply.GetText(), "modificare") {
		t.Errorf("warning %q does not cite the article of strike %v or invite to edit", reply.GetText(), sc)
	}
	if reply.GetReason() != sc.GetArticle() {
		t.Errorf("reply reason %q, want %q", reply.GetReason(), sc.GetArticle())
	}
	if !d.GetNoReply() || !has(d.GetActionCodes(), "no_reply") {
		t.Errorf("a violating comment must get no answer: %v", d.GetActionCodes())
	}
}

// withBlockFor makes Monza's insult block last the given time, as a tenant file with block_for
// would.
func withBlockFor(d time.Duration) func(*sanctions.Config) {
	return func(cfg *sanctions.Config) {
		monza, _ := cfg.Policies.Tenant("monza")
		t := *monza
		t.Categories = map[string]*policy.Category{}
		for code, c := range monza.Categories {
			cc := *c
			cc.Ladder = append([]policy.Step(nil), c.Ladder...)
			for i := range cc.Ladder {
				if cc.Ladder[i].Has("block") {
					cc.Ladder[i].BlockFor = d
				}
			}
			t.Categories[code] = &cc
		}
		cfg.Policies = overlay{base: cfg.Policies, t: &t}
	}
}

type overlay struct {
	base sanctions.Policies
	t    *policy.Tenant
}

func (o overlay) Tenant(code string) (*policy.Tenant, bool) {
	if code == o.t.Code {
		return o.t, true
	}
	return o.base.Tenant(code)
}

func TestBlockWithDuration(t *testing.T) {
	e := setup(t, withBlockFor(30*24*time.Hour))
	e.mustHandle(t, comment("monza", "bd1", "u1", "Sei un idiota", 1))
	d := e.decide(t, comment("monza", "bd2", "u1", "Sei proprio un idiota", 2))
	e.mustHandle(t, comment("monza", "bd2", "u1", "Sei proprio un idiota", 2))
	block := (*actionv1.Action)(nil)
	for _, a := range d.GetActions() {
		if a.GetKind() == actionv1.Kind_KIND_BLOCK {
			block = a
		}
	}
	if block == nil || block.GetDuration().AsDuration() != 30*24*time.Hour {
		t.Fatalf("block %v, want one lasting 30 days", block)
	}
	if sc := strikeOf(d, "insult"); sc.GetBlockFor().AsDuration() != 30*24*time.Hour || sc.GetBlockIndefinite() {
		t.Errorf("strike %v does not state the block's duration", sc)
	}
	rec := e.record(t, "monza", "u1")
	until := rec.GetBlockedUntil().AsTime()
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	if !rec.GetBlocked() || rec.GetBlockDecisionId() != d.GetDecisionId() || until.Before(now.Add(29*24*time.Hour)) || until.After(now.Add(30*24*time.Hour)) {
		t.Errorf("record blocked=%v by %q until %v, want blocked by %s for 30 days", rec.GetBlocked(), rec.GetBlockDecisionId(), until, d.GetDecisionId())
	}
}

func TestPardonRemovesOneStrikeAndLeavesAnAuditEvent(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	e.mustHandle(t, comment("monza", "p1", "u1", "Sei un idiota", 1))
	e.mustHandle(t, comment("monza", "p2", "u1", "Sei proprio un idiota", 2))
	req := &sanctionsv1.PardonRequest{Tenant: "monza", Platform: fb, UserId: "u1", CommentId: "p1", Reason: "ironia, non insulto", Operator: "op.rossi"}
	resp, err := e.client.Pardon(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	ev := resp.GetEvent()
	if ev.GetOperation() != sanctionsv1.Operation_OPERATION_PARDON || fmt.Sprint(ev.GetGroups()) != "[insult]" || ev.GetOperator() != "op.rossi" || ev.GetPseudonym() == "" {
		t.Errorf("event %v", ev)
	}
	if rec := e.record(t, "monza", "u1"); len(rec.GetHistory()) != 1 || rec.GetHistory()[0].GetCommentId() != "p2" {
		t.Errorf("history after pardon %v, want only p2", rec.GetHistory())
	}
	// The next insult is the user's second, not third.
	d := e.decide(t, comment("monza", "p3", "u1", "Che idiota che sei", 3))
	if got := strikeOf(d, "insult").GetCount(); got != 2 {
		t.Errorf("after a pardon the next insult is strike %d, want 2", got)
	}
	if _, err := e.client.Pardon(ctx, req); status.Code(err) != codes.NotFound {
		t.Errorf("pardoning again: %v, want NotFound", err)
	}
	evs := auditEvents(t, e.js, bus.Subject("monza", bus.EntityDecision, sanctions.EventPardoned))
	if len(evs) != 1 || evs[0].GetEventId() != ev.GetEventId() {
		t.Errorf("audit log holds %d pardon events, want 1", len(evs))
	}
}

func TestUnblockIsNotUndoneByARedelivery(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	e.mustHandle(t, comment("monza", "b1", "u1", "Sei un idiota", 1))
	blocking := comment("monza", "b2", "u1", "Sei proprio un idiota", 2)
	e.mustHandle(t, blocking)
	if !e.record(t, "monza", "u1").GetBlocked() {
		t.Fatal("user not blocked at the second insult")
	}
	req := &sanctionsv1.UnblockRequest{Tenant: "monza", Platform: fb, UserId: "u1", Reason: "ricorso accolto", Operator: "op.rossi"}
	resp, err := e.client.Unblock(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetEvent().GetDecisionId() != "decision:facebook:b2" {
		t.Errorf("unblock event %v, want it to name the blocking decision", resp.GetEvent())
	}
	e.mustHandle(t, blocking) // a redelivery of the blocking comment
	if e.record(t, "monza", "u1").GetBlocked() {
		t.Error("a redelivery blocked the user again after the unblock")
	}
	if _, err := e.client.Unblock(ctx, req); status.Code(err) != codes.NotFound {
		t.Errorf("unblocking a user not blocked: %v, want NotFound", err)
	}
	if evs := auditEvents(t, e.js, bus.Subject("monza", bus.EntityDecision, sanctions.EventUnblocked)); len(evs) != 1 {
		t.Errorf("%d unblock events, want 1", len(evs))
	}
}

func TestOneAppealPerDecision(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	e.mustHandle(t, comment("monza", "a1", "u1", "Sei un idiota", 1))
	req := &sanctionsv1.RegisterAppealRequest{Tenant: "monza", Platform: fb, CommentId: "a1", Grounds: "Il commento era ironico", Operator: "urp"}
	first, err := e.client.RegisterAppeal(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	again, err := e.client.RegisterAppeal(ctx, req)
	if err != nil || again.GetEvent().GetEventId() != first.GetEvent().GetEventId() || !proto.Equal(again.GetEvent().GetAt(), first.GetEvent().GetAt()) {
		t.Errorf("registering the same appeal again: %v, %v; want the first appeal back", again, err)
	}
	other := proto.Clone(req).(*sanctionsv1.RegisterAppealRequest)
	other.Grounds = "Altro motivo"
	if _, err := e.client.RegisterAppeal(ctx, other); status.Code(err) != codes.AlreadyExists {
		t.Errorf("a different second appeal: %v, want AlreadyExists", err)
	}
	missing := proto.Clone(req).(*sanctionsv1.RegisterAppealRequest)
	missing.CommentId = "never-seen"
	if _, err := e.client.RegisterAppeal(ctx, missing); status.Code(err) != codes.NotFound {
		t.Errorf("appeal against an unknown decision: %v, want NotFound", err)
	}
	rec := e.record(t, "monza", "u1")
	if len(rec.GetAppeals()) != 1 || rec.GetAppeals()[0].GetReason() != req.GetGrounds() {
		t.Errorf("record appeals %v, want the one appeal", rec.GetAppeals())
	}
	if evs := auditEvents(t, e.js, bus.Subject("monza", bus.EntityDecision, sanctions.EventAppealed)); len(evs) != 1 {
		t.Errorf("%d appeal events in the audit log, want 1 (the retry is a duplicate)", len(evs))
	}
}

func anonymous(c *commentv1.Comment) *commentv1.Comment {
	c.Author.Anonymous = true
	return c
}

func TestReviewHoldsIrreversibleActionsUntilConfirmed(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	// Crespiatica reviews violating comments of anonymous authors; its insult step deletes.
	c := anonymous(comment("crespiatica", "r1", "anon1", "Sei un idiota, vergognati", 1))
	e.mustHandle(t, c)
	d := e.decide(t, c)
	if !d.GetReview() || len(d.GetHeldActions()) != 1 || d.GetHeldActions()[0].GetKind() != actionv1.Kind_KIND_DELETE {
		t.Fatalf("decision review=%v held=%v, want the deletion held", d.GetReview(), d.GetHeldActions())
	}
	acts := requestedActions(t, e.js, "crespiatica")
	if len(acts) != 1 {
		t.Fatalf("%d actions requested before the review, want only the interim hide: %v", len(acts), acts)
	}
	for _, a := range acts {
		if a.GetKind() != actionv1.Kind_KIND_HIDE {
			t.Errorf("requested %v before the review, want only a hide", a.GetKind())
		}
	}
	list, err := e.client.ListReviews(ctx, &sanctionsv1.ListReviewsRequest{Tenant: "crespiatica"})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.GetDecisions()) != 1 || list.GetDecisions()[0].GetDecisionId() != d.GetDecisionId() {
		t.Fatalf("review queue %v, want the decision", list.GetDecisions())
	}
	req := &sanctionsv1.ResolveReviewRequest{Tenant: "crespiatica", DecisionId: d.GetDecisionId(), Confirm: true, Reason: "insulto evidente", Operator: "op.bianchi"}
	resp, err := e.client.ResolveReview(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	held := d.GetHeldActions()[0]
	if got := requestedActions(t, e.js, "crespiatica")[held.GetActionId()]; got == nil || !proto.Equal(got, held) {
		t.Errorf("the held deletion %s was not requested as decided: %v", held.GetActionId(), got)
	}
	if fmt.Sprint(resp.GetEvent().GetActionIds()) != fmt.Sprint([]string{held.GetActionId()}) {
		t.Errorf("event action ids %v", resp.GetEvent().GetActionIds())
	}
	again, err := e.client.ResolveReview(ctx, req)
	if err != nil || again.GetEvent().GetEventId() != resp.GetEvent().GetEventId() {
		t.Errorf("confirming again: %v, %v; want the same event", again, err)
	}
	keep := proto.Clone(req).(*sanctionsv1.ResolveReviewRequest)
	keep.Confirm = false
	if _, err := e.client.ResolveReview(ctx, keep); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("keeping a confirmed review: %v, want FailedPrecondition", err)
	}
	e.mustHandle(t, c) // a redelivery does not queue it again
	if list, _ := e.client.ListReviews(ctx, &sanctionsv1.ListReviewsRequest{Tenant: "crespiatica"}); len(list.GetDecisions()) != 0 {
		t.Errorf("review queue after resolution %v, want empty", list.GetDecisions())
	}
	if evs := auditEvents(t, e.js, bus.Subject("crespiatica", bus.EntityDecision, sanctions.EventReviewed)); len(evs) != 1 {
		t.Errorf("%d review events, want 1", len(evs))
	}
}

func TestKeepingAReviewedCommentRemovesItsStrike(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	c := anonymous(comment("crespiatica", "k1", "anon2", "Sei un idiota, vergognati", 1))
	e.mustHandle(t, c)
	if n := len(e.record(t, "crespiatica", "anon2").GetHistory()); n != 1 {
		t.Fatalf("%d strikes before the review, want 1", n)
	}
	resp, err := e.client.ResolveReview(ctx, &sanctionsv1.ResolveReviewRequest{Tenant: "crespiatica", DecisionId: sanctions.DecisionID(c), Confirm: false, Reason: "critica legittima", Operator: "op.bianchi"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetEvent().GetOperation() != sanctionsv1.Operation_OPERATION_REVIEW_KEPT {
		t.Errorf("event %v", resp.GetEvent())
	}
	if n := len(e.record(t, "crespiatica", "anon2").GetHistory()); n != 0 {
		t.Errorf("%d strikes after keeping the comment, want 0", n)
	}
	for _, a := range requestedActions(t, e.js, "crespiatica") {
		if a.GetKind() == actionv1.Kind_KIND_DELETE {
			t.Errorf("a kept comment was deleted: %v", a)
		}
	}
}

func TestEraseUserRemovesEverythingAndDropsOldComments(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	old := comment("monza", "e1", "u1", "Sei un idiota", 1)
	e.mustHandle(t, old)
	e.mustHandle(t, comment("monza", "e2", "u1", "Sei proprio un idiota", 2))
	if _, err := e.client.RegisterAppeal(ctx, &sanctionsv1.RegisterAppealRequest{Tenant: "monza", Platform: fb, CommentId: "e1", Grounds: "ironia", Operator: "urp"}); err != nil {
		t.Fatal(err)
	}
	anon := anonymous(comment("crespiatica", "e3", "u1", "Sei un idiota, vergognati", 1))
	e.mustHandle(t, anon)
	// Another user of the same tenant keeps their record.
	e.mustHandle(t, comment("monza", "e4", "u2", "Sei un idiota", 1))

	resp, err := e.client.EraseUser(ctx, &sanctionsv1.EraseUserRequest{Tenant: "monza", Platform: fb, UserId: "u1", Reason: "richiesta art. 17 prot. 123", Operator: "dpo"})
	if err != nil {
		t.Fatal(err)
	}
	ev := resp.GetEvent()
	if ev.GetOperation() != sanctionsv1.Operation_OPERATION_ERASURE || ev.GetRecordsRemoved() < 4 {
		t.Errorf("erasure event %v", ev)
	}
	rec := e.record(t, "monza", "u1")
	if len(rec.GetHistory()) != 0 || rec.GetBlocked() || len(rec.GetAppeals()) != 0 {
		t.Errorf("record after erasure %v, want empty", rec)
	}
	pseud := e.pseud.Of("monza", "facebook", "u1")
	keys, err := e.redis.Client.Keys(ctx, "*"+pseud+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, "test:erased:") {
			t.Errorf("key %s survived the erasure", k)
		}
	}
	if n, _ := e.redis.Client.Exists(ctx, "test:decision:{monza}:facebook:e1", "test:decision:{monza}:facebook:e2").Result(); n != 0 {
		t.Errorf("%d stored decisions survived the erasure", n)
	}
	// A redelivery of a comment written before the erasure brings nothing back.
	e.mustHandle(t, old)
	if n := len(e.record(t, "monza", "u1").GetHistory()); n != 0 {
		t.Errorf("a redelivered old comment counted %d strikes after the erasure", n)
	}
	// A comment written after the erasure counts from scratch.
	fresh := comment("monza", "e5", "u1", "Sei un idiota", 1)
	fresh.CreatedAt = timestamppb.New(time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC))
	if got := strikeOf(e.decide(t, fresh), "insult").GetCount(); got != 1 {
		t.Errorf("first insult after the erasure is strike %d, want 1", got)
	}
	if n := len(e.record(t, "monza", "u2").GetHistory()); n != 1 {
		t.Errorf("another user's record lost strikes: %d, want 1", n)
	}
	// Erasure is per tenant: the same person on Crespiatica's page is another data subject.
	if list, _ := e.client.ListReviews(ctx, &sanctionsv1.ListReviewsRequest{Tenant: "crespiatica"}); len(list.GetDecisions()) != 1 {
		t.Errorf("crespiatica's review queue %d, want 1", len(list.GetDecisions()))
	}
	if _, err := e.client.EraseUser(ctx, &sanctionsv1.EraseUserRequest{Tenant: "crespiatica", Platform: fb, UserId: "u1", Reason: "art. 17", Operator: "dpo"}); err != nil {
		t.Fatal(err)
	}
	if list, _ := e.client.ListReviews(ctx, &sanctionsv1.ListReviewsRequest{Tenant: "crespiatica"}); len(list.GetDecisions()) != 0 {
		t.Errorf("review of an erased user still queued: %v", list.GetDecisions())
	}
	evs := auditEvents(t, e.js, sanctions.UserErased("monza"))
	if len(evs) != 1 || evs[0].GetEventId() != ev.GetEventId() {
		t.Errorf("%d erasure events on %s, want 1", len(evs), sanctions.UserErased("monza"))
	}
}

func TestOperationErrorsMapToCodes(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	e.mustHandle(t, comment("monza", "x1", "u1", "Sei un idiota", 1))
	c := e.client
	calls := []struct {
		name string
		call func() error
		want codes.Code
	}{
		{"pardon unknown tenant", func() error {
			_, err := c.Pardon(ctx, &sanctionsv1.PardonRequest{Tenant: "atlantide", Platform: fb, UserId: "u1", CommentId: "x1", Reason: "r", Operator: "o"})
			return err
		}, codes.NotFound},
		{"pardon in another tenant", func() error {
			_, err := c.Pardon(ctx, &sanctionsv1.PardonRequest{Tenant: "bussero", Platform: fb, UserId: "u1", CommentId: "x1", Reason: "r", Operator: "o"})
			return err
		}, codes.NotFound},
		{"pardon without reason", func() error {
			_, err := c.Pardon(ctx, &sanctionsv1.PardonRequest{Tenant: "monza", Platform: fb, UserId: "u1", CommentId: "x1", Operator: "o"})
			return err
		}, codes.InvalidArgument},
		{"pardon unknown category", func() error {
			_, err := c.Pardon(ctx, &sanctionsv1.PardonRequest{Tenant: "monza", Platform: fb, UserId: "u1", CommentId: "x1", Category: "nope", Reason: "r", Operator: "o"})
			return err
		}, codes.InvalidArgument},
		{"pardon bad pseudonym", func() error {
			_, err := c.Pardon(ctx, &sanctionsv1.PardonRequest{Tenant: "monza", Platform: fb, Pseudonym: "u*", CommentId: "x1", Reason: "r", Operator: "o"})
			return err
		}, codes.InvalidArgument},
		{"unblock without platform", func() error {
			_, err := c.Unblock(ctx, &sanctionsv1.UnblockRequest{Tenant: "monza", UserId: "u1", Reason: "r", Operator: "o"})
			return err
		}, codes.InvalidArgument},
		{"unblock not blocked", func() error {
			_, err := c.Unblock(ctx, &sanctionsv1.UnblockRequest{Tenant: "monza", Platform: fb, UserId: "u1", Reason: "r", Operator: "o"})
			return err
		}, codes.NotFound},
		{"appeal without grounds", func() error {
			_, err := c.RegisterAppeal(ctx, &sanctionsv1.RegisterAppealRequest{Tenant: "monza", Platform: fb, CommentId: "x1", Operator: "o"})
			return err
		}, codes.InvalidArgument},
		{"appeal in another tenant", func() error {
			_, err := c.RegisterAppeal(ctx, &sanctionsv1.RegisterAppealRequest{Tenant: "bussero", Platform: fb, CommentId: "x1", Grounds: "g", Operator: "o"})
			return err
		}, codes.NotFound},
		{"reviews unknown tenant", func() error {
			_, err := c.ListReviews(ctx, &sanctionsv1.ListReviewsRequest{Tenant: "atlantide"})
			return err
		}, codes.NotFound},
		{"reviews bad limit", func() error {
			_, err := c.ListReviews(ctx, &sanctionsv1.ListReviewsRequest{Tenant: "monza", Limit: 5000})
			return err
		}, codes.InvalidArgument},
		{"resolve not under review", func() error {
			_, err := c.ResolveReview(ctx, &sanctionsv1.ResolveReviewRequest{Tenant: "monza", DecisionId: "decision:facebook:x1", Confirm: true, Reason: "r", Operator: "o"})
			return err
		}, codes.NotFound},
		{"erase without operator", func() error {
			_, err := c.EraseUser(ctx, &sanctionsv1.EraseUserRequest{Tenant: "monza", Platform: fb, UserId: "u1", Reason: "r"})
			return err
		}, codes.InvalidArgument},
	}
	for _, tt := range calls {
		if got := status.Code(tt.call()); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
	// With Redis down every operation is Unavailable, so clients retry.
	e.redis.Stop()
	t.Cleanup(e.redis.Start)
	for name, call := range map[string]func() error{
		"record": func() error {
			_, err := c.GetUserRecord(ctx, &sanctionsv1.GetUserRecordRequest{Tenant: "monza", Platform: fb, UserId: "u1"})
			return err
		},
		"pardon": func() error {
			_, err := c.Pardon(ctx, &sanctionsv1.PardonRequest{Tenant: "monza", Platform: fb, UserId: "u1", CommentId: "x1", Reason: "r", Operator: "o"})
			return err
		},
		"erase": func() error {
			_, err := c.EraseUser(ctx, &sanctionsv1.EraseUserRequest{Tenant: "monza", Platform: fb, UserId: "u1", Reason: "r", Operator: "o"})
			return err
		},
		"reviews": func() error {
			_, err := c.ListReviews(ctx, &sanctionsv1.ListReviewsRequest{Tenant: "monza"})
			return err
		},
	} {
		if got := status.Code(call()); got != codes.Unavailable {
			t.Errorf("%s with Redis down: %s, want Unavailable", name, got)
		}
	}
	// And a comment is retried later, not dead-lettered.
	err := e.handle(t, comment("monza", "x2", "u1", "Sei un idiota", 2))
	if err == nil || bus.IsPermanent(err) || errors.Is(err, sanctions.ErrErased) {
		t.Errorf("handling with Redis down: %v, want a transient error", err)
	}
}

func TestConcurrentResolutionsAgreeOnOneOutcome(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	c := anonymous(comment("crespiatica", "cr1", "anon3", "Sei un idiota, vergognati", 1))
	e.mustHandle(t, c)
	type result struct {
		op  sanctionsv1.Operation
		err error
	}
	results := make(chan result, 10)
	for i := 0; i < 10; i++ {
		go func(confirm bool) {
			resp, err := e.client.ResolveReview(ctx, &sanctionsv1.ResolveReviewRequest{Tenant: "crespiatica", DecisionId: sanctions.DecisionID(c), Confirm: confirm, Reason: "r", Operator: fmt.Sprint("op", confirm)})
			results <- result{resp.GetEvent().GetOperation(), err}
		}(i%2 == 0)
	}
	outcomes := map[sanctionsv1.Operation]int{}
	for i := 0; i < 10; i++ {
		r := <-results
		switch code := status.Code(r.err); code {
		case codes.OK:
			outcomes[r.op]++
		case codes.FailedPrecondition, codes.NotFound:
		default:
			t.Errorf("resolution failed: %v", r.err)
		}
	}
	if len(outcomes) != 1 {
		t.Fatalf("outcomes %v, want one", outcomes)
	}
	deleted := false
	for _, a := range requestedActions(t, e.js, "crespiatica") {
		deleted = deleted || a.GetKind() == actionv1.Kind_KIND_DELETE
	}
	_, confirmed := outcomes[sanctionsv1.Operation_OPERATION_REVIEW_CONFIRMED]
	if deleted != confirmed {
		t.Errorf("outcome %v but deletion requested=%v", outcomes, deleted)
	}
	if evs := auditEvents(t, e.js, bus.Subject("crespiatica", bus.EntityDecision, sanctions.EventReviewed)); len(evs) != 1 {
		t.Errorf("%d review events, want 1", len(evs))
	}
}
