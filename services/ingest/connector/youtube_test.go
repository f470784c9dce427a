package connector_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	"github.com/piazza-pa/piazza/services/ingest/connector"
	"github.com/piazza-pa/piazza/services/ingest/platform/youtube"
	"github.com/piazza-pa/piazza/services/ingest/platform/youtube/fakeyoutube"
)

type ytFixture struct {
	*bench
	fake   *fakeyoutube.Server
	client *youtube.Client
	quota  *youtube.Quota
	now    time.Time
}

func newYT(t *testing.T, daily int) *ytFixture {
	t.Helper()
	f := &ytFixture{bench: newBench(t), now: time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)}
	f.fake = fakeyoutube.New(daily, func() time.Time { return f.now })
	f.fake.SetPageSize(4)
	f.fake.AddChannel("yt-token", "monza-yt")
	f.fake.AddVideo("monza-yt", "vid1", "Consiglio comunale del 4 maggio", "Diretta della seduta")
	f.fake.AddVideo("monza-yt", "vid2", "Lavori in piazza Trento", "")
	hs := httptest.NewServer(f.fake)
	t.Cleanup(hs.Close)
	f.quota = youtube.NewQuota(daily)
	f.quota.SetClock(func() time.Time { return f.now })
	var err error
	f.client, err = youtube.New(youtube.Config{BaseURL: hs.URL + "/youtube/v3", AccessToken: "yt-token", HTTPClient: hs.Client(), Quota: f.quota})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *ytFixture) add(n int, status string) []fakeyoutube.Comment {
	var out []fakeyoutube.Comment
	for i := range n {
		f.now = f.now.Add(time.Minute)
		out = append(out, f.fake.AddComment(fakeyoutube.Comment{VideoID: []string{"vid1", "vid2"}[i%2], Text: fmt.Sprintf("commento %s %d", status, i),
			AuthorName: "@cittadino", AuthorChannelID: fmt.Sprintf("UC%d", i), Status: status}))
	}
	return out
}

func (f *ytFixture) poller() *connector.YouTubeChannel {
	return &connector.YouTubeChannel{Client: f.client, ChannelID: "monza-yt", Tenant: "monza", Cursors: f.cursors, Sink: f.sink, Posts: &connector.PostTexts{}}
}

func TestYouTubePagesToTheEndAndResumes(t *testing.T) {
	f := newYT(t, 10000)
	tops := f.add(9, "published")
	f.add(2, "heldForReview")
	f.now = f.now.Add(time.Minute)
	f.fake.AddComment(fakeyoutube.Comment{VideoID: "vid1", ParentID: tops[0].ID, Text: "risposta", AuthorName: "@altro", AuthorChannelID: "UC99"})
	f.fake.AddComment(fakeyoutube.Comment{VideoID: "vid1", ParentID: tops[0].ID, Text: "Grazie della segnalazione", AuthorChannelID: "monza-yt"})
	for i := range 6 { // more replies than commentThreads includes (5)
		f.now = f.now.Add(time.Minute)
		f.fake.AddComment(fakeyoutube.Comment{VideoID: "vid2", ParentID: tops[1].ID, Text: fmt.Sprint("replica ", i), AuthorName: "@r", AuthorChannelID: fmt.Sprint("UCr", i)})
	}
	n, err := f.poller().Poll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n != 18 {
		t.Fatalf("published %d, want 9 published + 2 held + 1 reply (not the channel's own) + 6 replies", n)
	}
	got := f.published(t)
	var reply *commentv1.Comment
	more := 0
	for _, c := range got {
		switch c.GetParentId() {
		case tops[0].ID:
			reply = c
		case tops[1].ID:
			more++
		}
		if c.GetPostText() == "" || c.GetTenant() != "monza" || c.GetAuthor().GetId() == "" {
			t.Errorf("badly normalised %v", c)
		}
	}
	if reply == nil || reply.GetPostId() != "vid1" {
		t.Errorf("reply missing or without its video: %v", reply)
	}
	if more != 6 {
		t.Errorf("%d of the 6 replies listed apart were published", more)
	}
	// Quota: 3 pages of published threads, 1 of held ones, 2 pages of replies, 2 video reads,
	// 1 unit each.
	if used := f.quota.Used(); used != f.fake.QuotaUsed() || used > 10 {
		t.Errorf("quota used %d (fake counted %d); each list or video read is 1 unit", used, f.fake.QuotaUsed())
	}
	// A restart: new poller, same Redis; only the new comments, with one page read per status.
	f.add(2, "published")
	before := f.fake.QuotaUsed()
	n, err = f.poller().Poll(context.Background())
	if err != nil || n != 2 {
		t.Fatalf("after restart: %d %v, want the 2 new comments", n, err)
	}
	if used := f.fake.QuotaUsed() - before; used > 4 {
		t.Errorf("resume used %d units; the watermark was not used", used)
	}
	if len(f.published(t)) != 20 {
		t.Errorf("stream holds %d, want 20", len(f.published(t)))
	}
}

func TestYouTubeQuotaRateLimitAndExpiredToken(t *testing.T) {
	f := newYT(t, 3)
	f.add(2, "published")
	_, err := f.poller().Poll(context.Background())
	var qe *youtube.QuotaError
	if !errors.As(err, &qe) {
		t.Fatalf("poll over a 3-unit budget: %v, want a quota error before the call", err)
	}
	if wait, alert := connector.RetryAfter(err, 1); wait <= 0 || alert || wait > 24*time.Hour {
		t.Errorf("quota: wait %s alert %v, want until the Pacific midnight reset", wait, alert)
	}
	if f.fake.QuotaUsed() > 3 {
		t.Errorf("fake charged %d units over a 3-unit day", f.fake.QuotaUsed())
	}
	f.now = f.now.Add(24 * time.Hour) // the quota resets at midnight Pacific
	f.fake.FailNext(1, http.StatusTooManyRequests, "rateLimitExceeded")
	_, err = f.poller().Poll(context.Background())
	var ae *youtube.APIError
	if !errors.As(err, &ae) || !ae.RateLimited() {
		t.Fatalf("poll under 429: %v", err)
	}
	if wait, alert := connector.RetryAfter(err, 1); wait < time.Minute || alert {
		t.Errorf("rate limit: wait %s alert %v", wait, alert)
	}
	f.fake.ExpireTokens()
	_, err = f.poller().Poll(context.Background())
	if !errors.As(err, &ae) || !ae.TokenInvalid() {
		t.Fatalf("poll with an expired token: %v", err)
	}
	if wait, alert := connector.RetryAfter(err, 1); wait < 15*time.Minute || !alert {
		t.Errorf("expired token: wait %s alert %v, want a long pause and an alert", wait, alert)
	}
}
