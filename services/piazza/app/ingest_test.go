package app_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/piazza-pa/piazza/pkg/bus"
	"github.com/piazza-pa/piazza/pkg/telemetry"
	"github.com/piazza-pa/piazza/pkg/testinfra"
	actionv1 "github.com/piazza-pa/piazza/proto/gen/piazza/action/v1"
	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	"github.com/piazza-pa/piazza/services/ingest/platform/facebook"
	"github.com/piazza-pa/piazza/services/ingest/platform/facebook/fakegraph"
	"github.com/piazza-pa/piazza/services/ingest/platform/mastodon/fakemastodon"
	"github.com/piazza-pa/piazza/services/ingest/platform/youtube/fakeyoutube"
	"github.com/piazza-pa/piazza/services/piazza/app"
)

// TestIngestPollsReceivesWebhooksAndActs runs ingest alone, as `piazza serve --target=ingest`
// does, against the fake Facebook and YouTube: the pollers publish what the pages hold, the
// Meta webhook endpoint takes signed deliveries only, and actions land on the platforms
// (YouTube, Mastodon).
func TestIngestPollsReceivesWebhooksAndActs(t *testing.T) {
	ctx := context.Background()
	nats := testinfra.StartNATS(t)
	common, _ := testbed(t, "it", telemetry.Config{})
	common.NATSURL = nats.URL

	fb, err := app.StartFakeFacebook()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fb.Close(ctx) })
	fb.RegisterPage("monza-fb", "Comune di Monza")
	post, err := fb.Server.AddPost("monza-fb", fakegraph.Post{Message: "Chiusura di via Italia"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := fb.Server.AddComment(post.ID, fakegraph.Comment{Message: fmt.Sprintf("commento %d", i), From: fakegraph.User{ID: fmt.Sprint(100 + i), Name: "Cittadino"}}); err != nil {
			t.Fatal(err)
		}
	}
	yt, err := app.StartFakeYouTube(0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = yt.Close(ctx) })
	yt.RegisterChannel("monza-yt")
	yt.Server.AddVideo("monza-yt", "vid1", "Consiglio comunale", "")
	ytc := yt.Server.AddComment(fakeyoutube.Comment{VideoID: "vid1", Text: "vergogna", AuthorName: "@x", AuthorChannelID: "UCx"})

	masto, err := app.StartFakeMastodon()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = masto.Close(ctx) })
	masto.RegisterAccount("monza-masto", "Comune di Monza")
	toot := masto.Server.Post(fakemastodon.Status{Account: fakemastodon.Account{ID: "77", Acct: "troll@altro.social"}, Content: "<p>@monza-masto vergogna</p>"}, "monza-masto")

	hook, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ing, err := app.StartIngest(ctx, common, "127.0.0.1:0", app.IngestConfig{
		FacebookGraphURL: fb.URL, FacebookTokens: fb.Tokens, FacebookAppSecret: "meta-secret", MetaVerifyToken: "v",
		WebhookListener: hook, YouTubeURL: yt.URL, YouTubeTokens: yt.Tokens, MastodonURL: masto.URL, MastodonTokens: masto.Tokens,
		PollInterval: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ing.Stop(ctx) })

	nc, js, err := app.ConnectNATS(nats.URL, "ingest-test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	comments := func() map[string]*commentv1.Comment {
		out := map[string]*commentv1.Comment{}
		msgs, err := testinfra.StreamMessages(ctx, js, bus.StreamComments)
		if err != nil {
			return out
		}
		for _, m := range msgs {
			var c commentv1.Comment
			if proto.Unmarshal(m.Data, &c) == nil {
				out[fmt.Sprintf("%s/%s", c.GetPlatform(), c.GetCommentId())] = &c
			}
		}
		return out
	}
	testinfra.Eventually(t, 20*time.Second, func() error {
		if n := len(comments()); n != 4 {
			return fmt.Errorf("%d comments published, want 3 from Facebook and 1 from YouTube", n)
		}
		return nil
	})
	if c := comments()["PLATFORM_YOUTUBE/"+ytc.ID]; c.GetTenant() != "monza" || c.GetPostText() != "Consiglio comunale" {
		t.Errorf("youtube comment %v", c)
	}

	// The webhook: refused unsigned, accepted signed, published once however often it arrives.
	body := `{"object":"page","entry":[{"id":"monza-fb","time":1678886400,"changes":[{"field":"feed","value":{"from":{"id":"2345","name":"Mario"},"item":"comment","verb":"add","comment_id":"WH_1","post_id":"` + post.ID + `","parent_id":"` + post.ID + `","created_time":1678886390,"message":"Via Italia riapre?"}}]}]}`
	target := "http://" + hook.Addr().String() + "/webhooks/meta"
	send := func(sig string) int {
		req, _ := http.NewRequest(http.MethodPost, target, strings.NewReader(body))
		if sig != "" {
			req.Header.Set("X-Hub-Signature-256", sig)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := send(""); code != http.StatusForbidden {
		t.Errorf("unsigned delivery: %d, want 403", code)
	}
	for range 2 {
		if code := send(facebook.SignBody("meta-secret", []byte(body))); code != http.StatusOK {
			t.Fatalf("signed delivery: %d", code)
		}
	}
	got := comments()
	if len(got) != 5 {
		t.Errorf("%d comments after the webhook, want 5", len(got))
	}
	if c := got["PLATFORM_FACEBOOK/WH_1"]; c.GetTenant() != "monza" || c.GetPostText() != "Chiusura di via Italia" {
		t.Errorf("webhook comment %v (post text is fetched from the Graph API)", c)
	}

	// An action for the YouTube comment lands on the fake.
	pub := bus.NewPublisher(js, bus.Telemetry{})
	a := &actionv1.Action{ActionId: "it-1", Tenant: "monza", Platform: commentv1.Platform_PLATFORM_YOUTUBE, Kind: actionv1.Kind_KIND_BLOCK, PageId: "monza-yt", CommentId: ytc.ID, AuthorId: "UCx"}
	if err := pub.Publish(ctx, bus.ActionRequested("monza"), a.GetActionId(), a); err != nil {
		t.Fatal(err)
	}
	m := &actionv1.Action{ActionId: "it-2", Tenant: "monza", Platform: commentv1.Platform_PLATFORM_MASTODON, Kind: actionv1.Kind_KIND_BLOCK, PageId: "monza-masto", CommentId: toot.ID, AuthorId: "77"}
	if err := pub.Publish(ctx, bus.ActionRequested("monza"), m.GetActionId(), m); err != nil {
		t.Fatal(err)
	}
	testinfra.Eventually(t, 20*time.Second, func() error {
		if acts := masto.Server.Actions(); len(acts) != 1 || acts[0].Kind != "block" || acts[0].AccountID != "77" {
			return fmt.Errorf("mastodon actions %+v, want one block of 77", acts)
		}
		if c, _ := yt.Server.Comment(ytc.ID); c.Status != "rejected" || !yt.Server.Banned("UCx") {
			return fmt.Errorf("youtube comment %s, banned %v", c.Status, yt.Server.Banned("UCx"))
		}
		return nil
	})
}
