package enforcer_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/piazza-pa/piazza/pkg/bus"
	"github.com/piazza-pa/piazza/pkg/testinfra"
	actionv1 "github.com/piazza-pa/piazza/proto/gen/piazza/action/v1"
	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	"github.com/piazza-pa/piazza/services/ingest/enforcer"
	"github.com/piazza-pa/piazza/services/ingest/platform/facebook"
	"github.com/piazza-pa/piazza/services/ingest/platform/facebook/fakegraph"
)

func TestInstagramEveryActionOnceWithDegrades(t *testing.T) {
	srv := testinfra.StartNATS(t)
	rds := testinfra.StartRedis(t)
	js := srv.JetStream(t)
	if err := bus.EnsureStreams(context.Background(), js, bus.DefaultRetention()); err != nil {
		t.Fatal(err)
	}
	fake := fakegraph.New(fakegraph.Options{})
	fake.AddToken("ig-tok", "monza-ig")
	media, err := fake.AddPost("monza-ig", fakegraph.Post{Message: "Foto della festa patronale"})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(fake)
	t.Cleanup(hs.Close)
	client, err := facebook.New(facebook.Config{BaseURL: hs.URL, AccessToken: "ig-tok", HTTPClient: hs.Client()})
	if err != nil {
		t.Fatal(err)
	}
	enf, err := enforcer.New(enforcer.Config{
		Redis: rds.Client, Publisher: bus.NewPublisher(js, bus.Telemetry{}), KeyPrefix: "test:",
		Platforms: map[commentv1.Platform]enforcer.Platform{commentv1.Platform_PLATFORM_INSTAGRAM: enforcer.Instagram{Accounts: map[string]*facebook.Client{"monza-ig": client}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{enf: enf, js: js}
	comments := map[actionv1.Kind]string{}
	for _, k := range []actionv1.Kind{actionv1.Kind_KIND_HIDE, actionv1.Kind_KIND_DELETE, actionv1.Kind_KIND_BLOCK, actionv1.Kind_KIND_REPORT_PLATFORM,
		actionv1.Kind_KIND_REPLY, actionv1.Kind_KIND_PRIVATE_REPLY} {
		cm, err := fake.AddComment(media.ID, fakegraph.Comment{Message: "x", From: fakegraph.User{ID: "55", Name: "luigi"}})
		if err != nil {
			t.Fatal(err)
		}
		comments[k] = cm.ID
		a := &actionv1.Action{ActionId: "ig-" + k.String(), Tenant: "monza", Platform: commentv1.Platform_PLATFORM_INSTAGRAM, Kind: k,
			PageId: "monza-ig", CommentId: cm.ID, AuthorId: "55", Text: "Grazie!"}
		for range 2 {
			if err := e.handle(t, a); err != nil {
				t.Fatalf("%s: %v", k, err)
			}
		}
	}
	counts := map[fakegraph.ActionKind]int{}
	for _, a := range fake.Actions() {
		counts[a.Kind]++
	}
	if counts[fakegraph.ActionHide] != 3 || counts[fakegraph.ActionDelete] != 1 || counts[fakegraph.ActionReply] != 1 || counts[fakegraph.ActionPrivateReply] != 1 || counts[fakegraph.ActionBlock] != 0 {
		t.Errorf("platform saw %v, want 3 hides (hide, block, report), 1 delete, 1 reply, 1 private reply", counts)
	}
	res := e.results(t)
	for _, k := range []actionv1.Kind{actionv1.Kind_KIND_BLOCK, actionv1.Kind_KIND_REPORT_PLATFORM} {
		if r := res["ig-"+k.String()]; r.GetStatus() != actionv1.Status_STATUS_DEGRADED || r.GetPerformed() != actionv1.Kind_KIND_HIDE {
			t.Errorf("%s on Instagram: %v, want degraded to hide", k, r)
		}
	}
	// A reply to a hidden comment is refused by Instagram: a permanent failure for a person.
	a := &actionv1.Action{ActionId: "ig-late-reply", Tenant: "monza", Platform: commentv1.Platform_PLATFORM_INSTAGRAM, Kind: actionv1.Kind_KIND_REPLY,
		PageId: "monza-ig", CommentId: comments[actionv1.Kind_KIND_HIDE], Text: "Grazie!"}
	if err := e.handle(t, a); err != nil {
		t.Fatal(err)
	}
	if r := e.results(t)["ig-late-reply"]; r.GetStatus() != actionv1.Status_STATUS_FAILED || !r.GetPermanent() {
		t.Errorf("reply to a hidden comment: %v, want a permanent failure", r)
	}
}
