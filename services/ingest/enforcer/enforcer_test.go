package enforcer_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/piazza-pa/piazza/pkg/bus"
	"github.com/piazza-pa/piazza/pkg/testinfra"
	actionv1 "github.com/piazza-pa/piazza/proto/gen/piazza/action/v1"
	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	"github.com/piazza-pa/piazza/services/ingest/enforcer"
	"github.com/piazza-pa/piazza/services/ingest/platform/facebook"
	"github.com/piazza-pa/piazza/services/ingest/platform/facebook/fakegraph"
)

type env struct {
	cfg     enforcer.Config
	enf     *enforcer.Enforcer
	fake    *fakegraph.Server
	js      jetstream.JetStream
	comment fakegraph.Comment
}

func setup(t *testing.T) *env {
	t.Helper()
	srv := testinfra.StartNATS(t)
	rds := testinfra.StartRedis(t)
	js := srv.JetStream(t)
	fake := fakegraph.New(fakegraph.Options{})
	fake.AddToken("tok", "monza-fb")
	post, err := fake.AddPost("monza-fb", fakegraph.Post{Message: "Lavori in via Italia"})
	if err != nil {
		t.Fatal(err)
	}
	cm, err := fake.AddComment(post.ID, fakegraph.Comment{Message: "testo", From: fakegraph.User{ID: "777", Name: "Mario"}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(fake)
	t.Cleanup(hs.Close)
	client, err := facebook.New(facebook.Config{BaseURL: hs.URL, AccessToken: "tok", HTTPClient: hs.Client()})
	if err != nil {
		t.Fatal(err)
	}
	cfg := enforcer.Config{
		Redis: rds.Client, Publisher: bus.NewPublisher(js, bus.Telemetry{}), KeyPrefix: "test:",
		Platforms: map[commentv1.Platform]enforcer.Platform{commentv1.Platform_PLATFORM_FACEBOOK: enforcer.Facebook{Pages: map[string]*facebook.Client{"monza-fb": client}}},
	}
	enf, err := enforcer.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &env{cfg: cfg, enf: enf, fake: fake, js: js, comment: cm}
}

func (e *env) action(id string, kind actionv1.Kind) *actionv1.Action {
	return &actionv1.Action{
		ActionId: id, Tenant: "monza", Platform: commentv1.Platform_PLATFORM_FACEBOOK, Kind: kind,
		PageId: "monza-fb", CommentId: e.comment.ID, AuthorId: "777", Text: "Gentile utente, grazie.",
	}
}

func (e *env) handle(t *testing.T, a *actionv1.Action) error {
	t.Helper()
	data, err := proto.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	return e.enf.HandleAction(context.Background(), &bus.Message{Subject: bus.ActionRequested("monza"), Data: data, NumDelivered: 1})
}

func (e *env) results(t *testing.T) map[string]*actionv1.ActionResult {
	t.Helper()
	msgs, err := testinfra.StreamMessages(context.Background(), e.js, bus.StreamDecisions)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*actionv1.ActionResult{}
	for _, m := range msgs {
		var r actionv1.ActionResult
		if err := proto.Unmarshal(m.Data, &r); err != nil {
			t.Fatal(err)
		}
		if _, dup := out[r.GetAction().GetActionId()]; dup {
			t.Errorf("result of %s published twice", r.GetAction().GetActionId())
		}
		out[r.GetAction().GetActionId()] = &r
	}
	return out
}

func TestEveryActionReachesThePlatformOnce(t *testing.T) {
	e := setup(t)
	kinds := []actionv1.Kind{actionv1.Kind_KIND_REPLY, actionv1.Kind_KIND_PRIVATE_REPLY, actionv1.Kind_KIND_HIDE,
		actionv1.Kind_KIND_REPORT_PLATFORM, actionv1.Kind_KIND_BLOCK, actionv1.Kind_KIND_DELETE}
	for _, k := range kinds {
		a := e.action("a-"+k.String(), k)
		for i := 0; i < 2; i++ { // a redelivered action has one effect
			if err := e.handle(t, a); err != nil {
				t.Fatalf("%s: %v", k, err)
			}
		}
	}
	counts := map[fakegraph.ActionKind]int{}
	for _, a := range e.fake.Actions() {
		counts[a.Kind]++
	}
	want := map[fakegraph.ActionKind]int{fakegraph.ActionReply: 1, fakegraph.ActionPrivateReply: 1, fakegraph.ActionHide: 2, fakegraph.ActionBlock: 1, fakegraph.ActionDelete: 1}
	for k, n := range want {
		if counts[k] != n {
			t.Errorf("platform saw %d %s, want %d (all: %v)", counts[k], k, n, counts)
		}
	}
	res := e.results(t)
	if len(res) != len(kinds) {
		t.Fatalf("%d results, want %d", len(res), len(kinds))
	}
	report := res["a-"+actionv1.Kind_KIND_REPORT_PLATFORM.String()]
	if report.GetStatus() != actionv1.Status_STATUS_DEGRADED || report.GetPerformed() != actionv1.Kind_KIND_HIDE {
		t.Errorf("report on Facebook: %v %v, want degraded to hide", report.GetStatus(), report.GetPerformed())
	}
	if r := res["a-"+actionv1.Kind_KIND_REPLY.String()]; r.GetStatus() != actionv1.Status_STATUS_DONE || r.GetPlatformRef() == "" {
		t.Errorf("reply result %v, want done with the reply's id", r)
	}
}

func TestTransientErrorsAreRetriedAndPermanentOnesRecorded(t *testing.T) {
	e := setup(t)
	e.fake.FailNext(1, http.StatusInternalServerError, 2)
	if err := e.handle(t, e.action("t1", actionv1.Kind_KIND_HIDE)); err == nil || bus.IsPermanent(err) {
		t.Fatalf("5xx: error %v, want a transient error (retry)", err)
	}
	if err := e.handle(t, e.action("t1", actionv1.Kind_KIND_HIDE)); err != nil {
		t.Fatalf("retry after 5xx: %v", err)
	}
	e.fake.ExpireToken()
	if err := e.handle(t, e.action("t2", actionv1.Kind_KIND_DELETE)); err != nil {
		t.Fatalf("expired token must be recorded, not retried: %v", err)
	}
	res := e.results(t)
	if r := res["t2"]; r.GetStatus() != actionv1.Status_STATUS_FAILED || !r.GetPermanent() {
		t.Errorf("expired token result %v, want a permanent failure", r)
	}
	if r := res["t1"]; r.GetStatus() != actionv1.Status_STATUS_DONE {
		t.Errorf("hide after retry %v, want done", r)
	}
}

func TestInvalidActionsArePoison(t *testing.T) {
	e := setup(t)
	err := e.enf.HandleAction(context.Background(), &bus.Message{Data: []byte{0xff, 0x01}})
	if !bus.IsPermanent(err) {
		t.Errorf("garbage: %v, want permanent", err)
	}
	if err := e.handle(t, &actionv1.Action{ActionId: "x"}); !bus.IsPermanent(err) {
		t.Errorf("action without tenant: %v, want permanent", err)
	}
	a := e.action("m1", actionv1.Kind_KIND_HIDE)
	a.Platform = commentv1.Platform_PLATFORM_MASTODON
	if err := e.handle(t, a); err != nil {
		t.Fatal(err)
	}
	if r := e.results(t)["m1"]; r.GetStatus() != actionv1.Status_STATUS_FAILED || !r.GetPermanent() {
		t.Errorf("platform without connector: %v, want a permanent failure", r)
	}
}

func TestBatchCarriesEachActionOutOnce(t *testing.T) {
	e := setup(t)
	msg := func(a *actionv1.Action) *bus.Message {
		data, err := proto.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		return &bus.Message{Subject: bus.ActionRequested("monza"), Data: data, NumDelivered: 1}
	}
	// b3 was carried out by an earlier delivery; b1 comes twice in the same batch.
	if err := e.handle(t, e.action("b3", actionv1.Kind_KIND_HIDE)); err != nil {
		t.Fatal(err)
	}
	batch := []*bus.Message{
		msg(e.action("b1", actionv1.Kind_KIND_REPLY)),
		{Subject: bus.ActionRequested("monza"), Data: []byte{0xff, 0x01}},
		msg(e.action("b2", actionv1.Kind_KIND_BLOCK)), // not a delete: the batch runs side by side
		msg(e.action("b1", actionv1.Kind_KIND_REPLY)),
		msg(e.action("b3", actionv1.Kind_KIND_HIDE)),
		msg(&actionv1.Action{ActionId: "b4", Tenant: "monza", Platform: commentv1.Platform_PLATFORM_REPLAY, Kind: actionv1.Kind_KIND_DELETE}),
	}
	errs := e.enf.HandleBatch(context.Background(), batch)
	if len(errs) != len(batch) {
		t.Fatalf("%d results for %d messages", len(errs), len(batch))
	}
	for i, err := range errs {
		if (i == 1) != bus.IsPermanent(err) || (i != 1 && err != nil) {
			t.Errorf("message %d: %v (only the garbage one, 1, is poison)", i, err)
		}
	}
	counts := map[fakegraph.ActionKind]int{}
	for _, a := range e.fake.Actions() {
		counts[a.Kind]++
	}
	if counts[fakegraph.ActionReply] != 1 || counts[fakegraph.ActionBlock] != 1 || counts[fakegraph.ActionHide] != 1 || len(counts) != 3 {
		t.Errorf("platform saw %v, want one reply, one block and one hide", counts)
	}
	res := e.results(t)
	if len(res) != 4 {
		t.Errorf("%d results, want b1-b4", len(res))
	}
	if r := res["b4"]; r.GetStatus() != actionv1.Status_STATUS_FAILED || !r.GetPermanent() {
		t.Errorf("replay action without a recorder: %v, want a permanent failure for review", r)
	}
}

// captured records what an enforcer publishes, where the stream would drop a republished
// result as a duplicate.
type captured struct{ results []*actionv1.ActionResult }

func (c *captured) Publish(_ context.Context, _, _ string, m proto.Message) error {
	c.results = append(c.results, proto.Clone(m).(*actionv1.ActionResult))
	return nil
}

func TestRedeliveryRepublishesTheWholeResultWithoutActing(t *testing.T) {
	e := setup(t)
	a := e.action("r1", actionv1.Kind_KIND_REPLY)
	if err := e.handle(t, a); err != nil {
		t.Fatal(err)
	}
	cap := &captured{}
	cfg := e.cfg
	cfg.Publisher = cap
	again, err := enforcer.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	data, err := proto.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	if err := again.HandleAction(context.Background(), &bus.Message{Subject: bus.ActionRequested("monza"), Data: data, NumDelivered: 2}); err != nil {
		t.Fatal(err)
	}
	if n := len(e.fake.Actions()); n != 1 {
		t.Errorf("platform saw %d calls, want the first delivery's only", n)
	}
	if len(cap.results) != 1 {
		t.Fatalf("%d results republished, want 1", len(cap.results))
	}
	r := cap.results[0]
	if r.GetStatus() != actionv1.Status_STATUS_DONE || r.GetPlatformRef() == "" || !proto.Equal(r.GetAction(), a) {
		t.Errorf("republished %v, want the done result with the platform's id and the whole action", r)
	}
}
