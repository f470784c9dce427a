package webhook_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/piazza-pa/piazza/pkg/bus"
	"github.com/piazza-pa/piazza/pkg/testinfra"
	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	"github.com/piazza-pa/piazza/services/ingest/connector"
	"github.com/piazza-pa/piazza/services/ingest/platform/facebook"
	"github.com/piazza-pa/piazza/services/ingest/replay"
	"github.com/piazza-pa/piazza/services/ingest/webhook"
)

const secret = "app-secret-for-tests"

const feedDelivery = `{"object":"page","entry":[{"id":"monza-fb","time":1678886400,"changes":[{"field":"feed","value":{"from":{"id":"2345","name":"Mario"},"item":"comment","verb":"add","comment_id":"POST_9876","post_id":"monza-fb_1","parent_id":"monza-fb_1","created_time":1678886390,"message":"Quando riapre la biblioteca?"}},{"field":"feed","value":{"item":"reaction","verb":"add","post_id":"monza-fb_1"}}]}]}`

const igDelivery = `{"object":"instagram","entry":[{"id":"monza-ig","time":1678886400,"changes":[{"field":"comments","value":{"from":{"id":"55","username":"luigi"},"media":{"id":"M1","media_product_type":"FEED"},"id":"IG1","text":"bello"}},{"field":"comments","value":{"from":{"id":"56","username":"anna"},"media":{"id":"M1"},"comment_id":"IG2","parent_id":"IG1","text":"vero"}}]}]}`

type fixture struct {
	url    string
	stream func(t *testing.T) []*commentv1.Comment
}

type sinkFixture struct {
	sink   *connector.Sink
	stream func(t *testing.T) []*commentv1.Comment
}

// setupSink starts NATS and Redis and returns a Sink onto them and a reader of the COMMENTS
// stream.
func setupSink(t *testing.T) sinkFixture {
	t.Helper()
	srv := testinfra.StartNATS(t)
	js := srv.JetStream(t)
	ctx := context.Background()
	if err := bus.EnsureStreams(ctx, js, bus.DefaultRetention()); err != nil {
		t.Fatal(err)
	}
	rds := testinfra.StartRedis(t)
	sink := &connector.Sink{Redis: rds.Client, KeyPrefix: "t:", Publisher: replay.BusPublisher{Bus: bus.NewPublisher(js, bus.Telemetry{})}}
	return sinkFixture{sink: sink, stream: func(t *testing.T) []*commentv1.Comment {
		t.Helper()
		msgs, err := testinfra.StreamMessages(ctx, js, bus.StreamComments)
		if err != nil {
			t.Fatal(err)
		}
		var out []*commentv1.Comment
		for _, m := range msgs {
			var c commentv1.Comment
			if err := proto.Unmarshal(m.Data, &c); err != nil {
				t.Fatal(err)
			}
			out = append(out, &c)
		}
		return out
	}}
}

func setup(t *testing.T) fixture {
	t.Helper()
	sf := setupSink(t)
	h := &webhook.Meta{
		AppSecret: secret, VerifyToken: "verify-me", Sink: sf.sink, Logger: slog.New(slog.DiscardHandler),
		TenantFor: func(platform, id string) (string, bool) {
			switch platform + "/" + id {
			case "facebook/monza-fb", "instagram/monza-ig":
				return "monza", true
			}
			return "", false
		},
		PostText: func(_ context.Context, c *commentv1.Comment) string { return "testo del post " + c.GetPostId() },
	}
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	return fixture{url: hs.URL + webhook.Path, stream: sf.stream}
}

func post(t *testing.T, target, body, signature string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if signature != "" {
		req.Header.Set("X-Hub-Signature-256", signature)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestHandshake(t *testing.T) {
	f := setup(t)
	for _, tc := range []struct {
		query url.Values
		code  int
		body  string
	}{
		{url.Values{"hub.mode": {"subscribe"}, "hub.challenge": {"1158201444"}, "hub.verify_token": {"verify-me"}}, 200, "1158201444"},
		{url.Values{"hub.mode": {"subscribe"}, "hub.challenge": {"1158201444"}, "hub.verify_token": {"wrong"}}, 403, ""},
		{url.Values{"hub.mode": {"unsubscribe"}, "hub.challenge": {"1"}, "hub.verify_token": {"verify-me"}}, 403, ""},
	} {
		resp, err := http.Get(f.url + "?" + tc.query.Encode())
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.code || (tc.code == 200 && b.String() != tc.body) {
			t.Errorf("handshake %v: %d %q, want %d %q", tc.query, resp.StatusCode, b.String(), tc.code, tc.body)
		}
	}
}

func TestSignatureIsRequiredAndDuplicatesArePublishedOnce(t *testing.T) {
	f := setup(t)
	good := facebook.SignBody(secret, []byte(feedDelivery))
	for name, sig := range map[string]string{
		"missing":       "",
		"wrong secret":  facebook.SignBody("another", []byte(feedDelivery)),
		"truncated":     good[:len(good)-2],
		"other body":    facebook.SignBody(secret, []byte(feedDelivery+" ")),
		"no prefix":     strings.TrimPrefix(good, "sha256="),
		"sha1 instead":  "sha1=" + strings.TrimPrefix(good, "sha256=")[:40],
		"garbage hex":   "sha256=zz" + good[9:],
		"empty sha256=": "sha256=",
	} {
		if code := post(t, f.url, feedDelivery, sig); code != http.StatusForbidden {
			t.Errorf("%s signature: %d, want 403", name, code)
		}
	}
	if got := f.stream(t); len(got) != 0 {
		t.Fatalf("refused deliveries published %d comments", len(got))
	}
	for range 3 { // Meta retries: the same delivery three times
		if code := post(t, f.url, feedDelivery, good); code != http.StatusOK {
			t.Fatalf("valid delivery: %d, want 200", code)
		}
	}
	got := f.stream(t)
	if len(got) != 1 {
		t.Fatalf("stream holds %d comments, want 1", len(got))
	}
	c := got[0]
	if c.GetTenant() != "monza" || c.GetCommentId() != "POST_9876" || c.GetPostId() != "monza-fb_1" || c.GetParentId() != "" ||
		c.GetAuthor().GetId() != "2345" || c.GetText() != "Quando riapre la biblioteca?" || c.GetPostText() != "testo del post monza-fb_1" ||
		c.GetCreatedAt().GetSeconds() != 1678886390 {
		t.Errorf("published %v", c)
	}
}

func TestInstagramCommentsAcceptIDOrCommentID(t *testing.T) {
	f := setup(t)
	if code := post(t, f.url, igDelivery, facebook.SignBody(secret, []byte(igDelivery))); code != http.StatusOK {
		t.Fatalf("instagram delivery: %d", code)
	}
	got := f.stream(t)
	if len(got) != 2 || got[0].GetCommentId() != "IG1" || got[1].GetCommentId() != "IG2" || got[1].GetParentId() != "IG1" ||
		got[0].GetPlatform() != commentv1.Platform_PLATFORM_INSTAGRAM || got[0].GetPostId() != "M1" || got[1].GetAuthor().GetName() != "anna" {
		t.Errorf("instagram comments %v", got)
	}
}

func TestMalformedSignedDeliveryIsRefused(t *testing.T) {
	f := setup(t)
	for _, body := range []string{`{`, `{"object":"user","entry":[]}`, `{"object":"page","entry":[{"id":"monza-fb","changes":[{"field":"feed","value":{"item":"comment","verb":"add"}}]}]}`} {
		if code := post(t, f.url, body, facebook.SignBody(secret, []byte(body))); code != http.StatusBadRequest {
			t.Errorf("malformed %q: %d, want 400", body, code)
		}
	}
	if got := f.stream(t); len(got) != 0 {
		t.Errorf("malformed deliveries published %d", len(got))
	}
}

func FuzzParseDelivery(f *testing.F) {
	f.Add([]byte(feedDelivery))
	f.Add([]byte(igDelivery))
	f.Add([]byte(`{"object":"page","entry":[{"id":"x","changes":[{"field":"feed","value":{"item":"comment","verb":"add","comment_id":"1","post_id":"2","created_time":"2026-05-04T09:12:44+0000"}}]}]}`))
	f.Add([]byte(`{"object":"instagram","entry":[{"id":"x","changes":[{"field":"comments","value":null}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		events, err := webhook.ParseDelivery(body)
		if err != nil {
			if err.Error() == "" {
				t.Error("empty error")
			}
			return
		}
		for _, ev := range events {
			if ev.Comment.GetCommentId() == "" || ev.AccountID == "" {
				t.Errorf("event without ids: %v", ev)
			}
		}
	})
}
