package enforcer_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/piazza-pa/piazza/pkg/bus"
	"github.com/piazza-pa/piazza/pkg/testinfra"
	actionv1 "github.com/piazza-pa/piazza/proto/gen/piazza/action/v1"
	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	"github.com/piazza-pa/piazza/services/ingest/enforcer"
	"github.com/piazza-pa/piazza/services/ingest/platform/youtube"
	"github.com/piazza-pa/piazza/services/ingest/platform/youtube/fakeyoutube"
)

type ytEnv struct {
	*env
	yt    *fakeyoutube.Server
	quota *youtube.Quota
}

func setupYouTube(t *testing.T, daily int) *ytEnv {
	t.Helper()
	srv := testinfra.StartNATS(t)
	rds := testinfra.StartRedis(t)
	js := srv.JetStream(t)
	if err := bus.EnsureStreams(context.Background(), js, bus.DefaultRetention()); err != nil {
		t.Fatal(err)
	}
	fake := fakeyoutube.New(daily, nil)
	fake.AddChannel("yt", "monza-yt")
	fake.AddVideo("monza-yt", "v1", "Consiglio comunale", "")
	hs := httptest.NewServer(fake)
	t.Cleanup(hs.Close)
	quota := youtube.NewQuota(daily)
	client, err := youtube.New(youtube.Config{BaseURL: hs.URL + "/youtube/v3", AccessToken: "yt", HTTPClient: hs.Client(), Quota: quota})
	if err != nil {
		t.Fatal(err)
	}
	enf, err := enforcer.New(enforcer.Config{
		Redis: rds.Client, Publisher: bus.NewPublisher(js, bus.Telemetry{}), KeyPrefix: "test:",
		Platforms: map[commentv1.Platform]enforcer.Platform{commentv1.Platform_PLATFORM_YOUTUBE: &enforcer.Throttle{
			Platform: enforcer.YouTube{Channels: map[string]*youtube.Client{"monza-yt": client}}, Wait: enforcer.YouTubeWait,
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &ytEnv{env: &env{enf: enf, js: js}, yt: fake, quota: quota}
}

func (e *ytEnv) act(t *testing.T, id string, kind actionv1.Kind, commentID string) error {
	t.Helper()
	a := &actionv1.Action{ActionId: id, Tenant: "monza", Platform: commentv1.Platform_PLATFORM_YOUTUBE, Kind: kind,
		PageId: "monza-yt", CommentId: commentID, AuthorId: "UC1", Text: "Gentile utente, grazie."}
	data, err := proto.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	return e.enf.HandleAction(context.Background(), &bus.Message{Subject: bus.ActionRequested("monza"), Data: data, NumDelivered: 1})
}

func TestYouTubeEveryActionOnceWithDegrades(t *testing.T) {
	e := setupYouTube(t, 10000)
	ids := map[actionv1.Kind]string{}
	for _, k := range []actionv1.Kind{actionv1.Kind_KIND_HIDE, actionv1.Kind_KIND_DELETE, actionv1.Kind_KIND_BLOCK,
		actionv1.Kind_KIND_REPLY, actionv1.Kind_KIND_REPORT_PLATFORM, actionv1.Kind_KIND_PRIVATE_REPLY} {
		c := e.yt.AddComment(fakeyoutube.Comment{VideoID: "v1", Text: "x", AuthorChannelID: "UC-" + k.String()})
		ids[k] = c.ID
		for range 2 { // redelivered: one effect
			if err := e.act(t, "y-"+k.String(), k, c.ID); err != nil {
				t.Fatalf("%s: %v", k, err)
			}
		}
	}
	if got := len(e.yt.Actions()); got != 5 {
		t.Errorf("platform saw %d writes, want 5 (private reply is not possible): %v", got, e.yt.Actions())
	}
	if e.quota.Used() != 5*youtube.WriteCost {
		t.Errorf("quota used %d, want %d (50 per write)", e.quota.Used(), 5*youtube.WriteCost)
	}
	for k, want := range map[actionv1.Kind]string{actionv1.Kind_KIND_HIDE: "heldForReview", actionv1.Kind_KIND_DELETE: "rejected",
		actionv1.Kind_KIND_BLOCK: "rejected", actionv1.Kind_KIND_REPORT_PLATFORM: "rejected"} {
		if c, _ := e.yt.Comment(ids[k]); c.Status != want {
			t.Errorf("%s left the comment %s, want %s", k, c.Status, want)
		}
	}
	if !e.yt.Banned("UC-" + actionv1.Kind_KIND_BLOCK.String()) {
		t.Error("block did not ban the author")
	}
	res := e.results(t)
	if r := res["y-"+actionv1.Kind_KIND_REPORT_PLATFORM.String()]; r.GetStatus() != actionv1.Status_STATUS_DEGRADED || r.GetPerformed() != actionv1.Kind_KIND_DELETE {
		t.Errorf("report: %v, want degraded to a rejection", r)
	}
	if r := res["y-"+actionv1.Kind_KIND_PRIVATE_REPLY.String()]; r.GetStatus() != actionv1.Status_STATUS_FAILED || !r.GetPermanent() {
		t.Errorf("private reply: %v, want a permanent failure for a person", r)
	}
	if r := res["y-"+actionv1.Kind_KIND_REPLY.String()]; r.GetStatus() != actionv1.Status_STATUS_DONE || r.GetPlatformRef() == "" {
		t.Errorf("reply: %v", r)
	}
}

func TestYouTubeQuotaPausesAndExpiredTokenIsRecorded(t *testing.T) {
	e := setupYouTube(t, 10000)
	c := e.yt.AddComment(fakeyoutube.Comment{VideoID: "v1", Text: "x", AuthorChannelID: "UC1"})
	e.yt.FailNext(1, http.StatusForbidden, "quotaExceeded")
	if err := e.act(t, "q1", actionv1.Kind_KIND_DELETE, c.ID); err == nil || bus.IsPermanent(err) {
		t.Fatalf("quotaExceeded: %v, want a transient error", err)
	}
	if n := len(e.yt.Actions()); n != 0 {
		t.Errorf("platform saw %d writes after quotaExceeded", n)
	}
	if d := enforcer.YouTubeWait(&youtube.QuotaError{Until: time.Now().Add(3 * time.Hour)}); d < 2*time.Hour {
		t.Errorf("wait after the local quota ran out %s, want until the reset", d)
	}
	// The redelivery meets a pause of an hour or more: recorded for a person, not retried for
	// hours and then dead-lettered.
	if err := e.act(t, "q1", actionv1.Kind_KIND_DELETE, c.ID); err != nil {
		t.Fatalf("redelivery: %v, want the failure recorded", err)
	}
	if r := e.results(t)["q1"]; r.GetStatus() != actionv1.Status_STATUS_FAILED || !r.GetPermanent() {
		t.Errorf("result %v, want a permanent failure for human review", r)
	}

	e2 := setupYouTube(t, 10000)
	c2 := e2.yt.AddComment(fakeyoutube.Comment{VideoID: "v1", Text: "x", AuthorChannelID: "UC1"})
	e2.yt.ExpireTokens()
	if err := e2.act(t, "x1", actionv1.Kind_KIND_HIDE, c2.ID); err != nil {
		t.Fatalf("expired token must be recorded: %v", err)
	}
	if r := e2.results(t)["x1"]; r.GetStatus() != actionv1.Status_STATUS_FAILED || !r.GetPermanent() {
		t.Errorf("expired token: %v, want a permanent failure", r)
	}
}
