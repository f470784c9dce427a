package enforcer_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/piazza-pa/piazza/pkg/bus"
	"github.com/piazza-pa/piazza/pkg/testinfra"
	actionv1 "github.com/piazza-pa/piazza/proto/gen/piazza/action/v1"
	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	"github.com/piazza-pa/piazza/services/ingest/enforcer"
	"github.com/piazza-pa/piazza/services/ingest/platform/mastodon"
	"github.com/piazza-pa/piazza/services/ingest/platform/mastodon/fakemastodon"
)

func TestMastodonEveryActionOnceWithDegrades(t *testing.T) {
	srv := testinfra.StartNATS(t)
	rds := testinfra.StartRedis(t)
	js := srv.JetStream(t)
	if err := bus.EnsureStreams(context.Background(), js, bus.DefaultRetention()); err != nil {
		t.Fatal(err)
	}
	fake := fakemastodon.New(0, 0, nil)
	comune := fakemastodon.Account{ID: "1", Acct: "comune"}
	fake.AddAccount("tok", comune)
	post := fake.Post(fakemastodon.Status{Account: comune, Content: "<p>Avviso</p>"})
	author := fakemastodon.Account{ID: "77", Acct: "mario@altro.social"}
	hs := httptest.NewServer(fake)
	t.Cleanup(hs.Close)
	client, err := mastodon.New(mastodon.Config{BaseURL: hs.URL, AccessToken: "tok", HTTPClient: hs.Client()})
	if err != nil {
		t.Fatal(err)
	}
	enf, err := enforcer.New(enforcer.Config{
		Redis: rds.Client, Publisher: bus.NewPublisher(js, bus.Telemetry{}), KeyPrefix: "test:",
		Platforms: map[commentv1.Platform]enforcer.Platform{commentv1.Platform_PLATFORM_MASTODON: &enforcer.Throttle{
			Platform: enforcer.Mastodon{Accounts: map[string]*mastodon.Client{"monza-masto": client}}, Wait: enforcer.MastodonWait}},
	})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{enf: enf, js: js}
	act := func(id string, k actionv1.Kind, d time.Duration) {
		t.Helper()
		st := fake.Post(fakemastodon.Status{Account: author, InReplyToID: post.ID, Content: "<p>@comune vergogna</p>"}, comune.ID)
		a := &actionv1.Action{ActionId: id, Tenant: "monza", Platform: commentv1.Platform_PLATFORM_MASTODON, Kind: k,
			PageId: "monza-masto", CommentId: st.ID, AuthorId: author.ID, Text: "Gentile utente, la ringraziamo.", Reason: "Art. 4"}
		if d > 0 {
			a.Duration = durationpb.New(d)
		}
		for range 2 { // redelivered: one effect
			if err := e.handle(t, a); err != nil {
				t.Fatalf("%s: %v", id, err)
			}
		}
	}
	act("hide", actionv1.Kind_KIND_HIDE, 0)
	act("delete", actionv1.Kind_KIND_DELETE, 0)
	act("report", actionv1.Kind_KIND_REPORT_PLATFORM, 0)
	act("block", actionv1.Kind_KIND_BLOCK, 0)
	act("block30d", actionv1.Kind_KIND_BLOCK, 30*24*time.Hour)
	act("reply", actionv1.Kind_KIND_REPLY, 0)
	act("private", actionv1.Kind_KIND_PRIVATE_REPLY, 0)

	counts := map[string]int{}
	for _, a := range fake.Actions() {
		counts[a.Kind]++
		switch {
		case a.Kind == "mute" && a.Duration != 30*24*3600:
			t.Errorf("mute for %ds, want 30 days", a.Duration)
		case a.Kind == "report" && (a.Category != "violation" || len(a.StatusIDs) != 1):
			t.Errorf("report %+v", a)
		case a.Kind == "status" && a.Visibility == "direct" && !strings.HasPrefix(a.Text, "@mario@altro.social "):
			t.Errorf("private reply %q does not mention the author", a.Text)
		}
	}
	if counts["report"] != 3 || counts["block"] != 1 || counts["mute"] != 1 || counts["status"] != 2 {
		t.Errorf("instance saw %v, want 3 reports, 1 block, 1 mute, 2 statuses", counts)
	}
	res := e.results(t)
	for id, want := range map[string]actionv1.Kind{"hide": actionv1.Kind_KIND_REPORT_PLATFORM, "delete": actionv1.Kind_KIND_REPORT_PLATFORM, "block30d": actionv1.Kind_KIND_MUTE} {
		if r := res[id]; r.GetStatus() != actionv1.Status_STATUS_DEGRADED || r.GetPerformed() != want {
			t.Errorf("%s: %v %v, want degraded to %v", id, r.GetStatus(), r.GetPerformed(), want)
		}
	}
	for _, id := range []string{"report", "block", "reply", "private"} {
		if r := res[id]; r.GetStatus() != actionv1.Status_STATUS_DONE {
			t.Errorf("%s: %v, want done", id, r)
		}
	}
}
