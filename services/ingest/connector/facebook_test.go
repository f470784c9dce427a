package connector_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/piazza-pa/piazza/services/ingest/connector"
	"github.com/piazza-pa/piazza/services/ingest/platform/facebook"
	"github.com/piazza-pa/piazza/services/ingest/platform/facebook/fakegraph"
)

type fbFixture struct {
	*bench
	fake   *fakegraph.Server
	client *facebook.Client
	posts  []fakegraph.Post
	now    time.Time
}

func newFB(t *testing.T, comments int) *fbFixture {
	t.Helper()
	f := &fbFixture{bench: newBench(t), now: time.Now().UTC().Truncate(time.Second)}
	f.fake = fakegraph.New(fakegraph.Options{Now: func() time.Time { return f.now }})
	f.fake.AddToken("tok-monza", "monza-fb")
	hs := httptest.NewServer(f.fake)
	t.Cleanup(hs.Close)
	var err error
	// A small page size makes the poller follow several pages of feed and comments.
	f.client, err = facebook.New(facebook.Config{BaseURL: hs.URL, AccessToken: "tok-monza", HTTPClient: hs.Client(), PageSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		p, err := f.fake.AddPost("monza-fb", fakegraph.Post{Message: fmt.Sprintf("Avviso numero %d", i), CreatedTime: f.now.Add(time.Duration(i-10) * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		f.posts = append(f.posts, p)
	}
	for i := range comments {
		f.addComment(t, i)
	}
	return f
}

func (f *fbFixture) addComment(t *testing.T, i int) fakegraph.Comment {
	t.Helper()
	f.now = f.now.Add(time.Second)
	c, err := f.fake.AddComment(f.posts[i%len(f.posts)].ID, fakegraph.Comment{
		Message: fmt.Sprintf("commento %d", i), From: fakegraph.User{ID: fmt.Sprintf("u%d", i), Name: "Cittadino"}, CreatedTime: f.now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *fbFixture) poller(posts *connector.PostTexts) *connector.FacebookPage {
	return &connector.FacebookPage{
		Client: f.client, PageID: "monza-fb", Tenant: "monza", Cursors: f.cursors, Sink: f.sink, Posts: posts,
		Now: func() time.Time { return f.now },
	}
}

func TestFacebookPollReadsEveryPageToTheEndWithPostText(t *testing.T) {
	f := newFB(t, 17)
	posts := &connector.PostTexts{}
	n, err := f.poller(posts).Poll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n != 17 {
		t.Fatalf("published %d, want 17", n)
	}
	got := f.published(t)
	if len(got) != 17 {
		t.Fatalf("stream holds %d comments, want 17", len(got))
	}
	texts := map[string]string{}
	for _, p := range f.posts {
		texts[p.ID] = p.Message
	}
	for _, c := range got {
		if c.GetTenant() != "monza" || c.GetPageId() != "monza-fb" || c.GetAuthor().GetId() == "" || c.GetCreatedAt() == nil {
			t.Errorf("comment %s badly normalised: %v", c.GetCommentId(), c)
		}
		if want := texts[c.GetPostId()]; c.GetPostText() != want || want == "" {
			t.Errorf("comment %s post text %q, want %q", c.GetCommentId(), c.GetPostText(), want)
		}
	}
}

func TestFacebookRestartResumesFromTheCursor(t *testing.T) {
	f := newFB(t, 9)
	if _, err := f.poller(&connector.PostTexts{}).Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	for i := 9; i < 14; i++ {
		f.addComment(t, i)
	}
	// A new poller (a restarted process) with an empty memory, the same Redis.
	calls := f.fake.CallCount("monza-fb")
	n, err := f.poller(&connector.PostTexts{}).Poll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n != 5 {
		t.Errorf("after restart published %d, want the 5 new ones", n)
	}
	if got := len(f.published(t)); got != 14 {
		t.Errorf("stream holds %d, want 14 (nothing lost, nothing twice)", got)
	}
	// Resuming from the cursors reads one page per post plus the feed, not the whole history.
	if used := f.fake.CallCount("monza-fb") - calls; used > 2+len(f.posts)*2 {
		t.Errorf("restart poll made %d calls; the cursors were not used", used)
	}
	// Losing the cursors (a wiped Redis key) re-reads, and the re-read is absorbed by message id.
	if err := f.redis.Client.FlushDB(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.poller(&connector.PostTexts{}).Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := len(f.published(t)); got != 14 {
		t.Errorf("after a full re-read the stream holds %d, want 14", got)
	}
}

func TestFacebookRateLimitAndExpiredTokenBackOff(t *testing.T) {
	f := newFB(t, 3)
	f.fake.FailNext(1, http.StatusBadRequest, 80001)
	_, err := f.poller(&connector.PostTexts{}).Poll(context.Background())
	var ge *facebook.GraphError
	if !errors.As(err, &ge) || !ge.RateLimited() {
		t.Fatalf("poll under rate limit: %v, want a rate-limit error", err)
	}
	if wait, alert := connector.RetryAfter(err, 1); wait < time.Minute || alert {
		t.Errorf("rate limit: wait %s alert %v, want at least a minute and no alert", wait, alert)
	}
	if n, err := f.poller(&connector.PostTexts{}).Poll(context.Background()); err != nil || n != 3 {
		t.Fatalf("poll after the limit: %d %v, want 3 comments", n, err)
	}
	f.fake.ExpireToken()
	_, err = f.poller(&connector.PostTexts{}).Poll(context.Background())
	if !errors.As(err, &ge) || !ge.TokenInvalid() {
		t.Fatalf("poll with an expired token: %v, want a token error", err)
	}
	if wait, alert := connector.RetryAfter(err, 1); wait < 15*time.Minute || !alert {
		t.Errorf("expired token: wait %s alert %v, want a long pause and an alert", wait, alert)
	}
}

func TestBudgetsAreSeparatePerTenant(t *testing.T) {
	var bs connector.Budgets
	bs.PerSecond, bs.Burst = 0.001, 2
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	for range 2 {
		if err := bs.For("monza").Wait(ctx); err != nil {
			t.Fatalf("within burst: %v", err)
		}
	}
	if err := bs.For("monza").Wait(ctx); err == nil {
		t.Error("monza got a third call from an empty bucket")
	}
	if err := bs.For("bussero").Wait(context.Background()); err != nil {
		t.Errorf("bussero starved by monza: %v", err)
	}
	b := connector.NewBudget(1000, 1)
	b.PauseUntil(time.Now().Add(time.Hour))
	ctx2, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel2()
	if err := b.Wait(ctx2); err == nil {
		t.Error("a paused budget allowed a call")
	}
}

func TestFacebookSlowsDownBeforeTheLimitAndWaitsAsToldAfter(t *testing.T) {
	b := newBench(t)
	now := time.Now().UTC().Truncate(time.Second)
	fake := fakegraph.New(fakegraph.Options{PageCallLimit: 5, Now: func() time.Time { return now }})
	fake.AddToken("tok", "monza-fb")
	for i := range 4 {
		p, err := fake.AddPost("monza-fb", fakegraph.Post{Message: fmt.Sprint("post ", i), CreatedTime: now.Add(-time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fake.AddComment(p.ID, fakegraph.Comment{Message: "c", From: fakegraph.User{ID: "9", Name: "x"}, CreatedTime: now.Add(-time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	hs := httptest.NewServer(fake)
	t.Cleanup(hs.Close)
	client, err := facebook.New(facebook.Config{BaseURL: hs.URL, AccessToken: "tok", HTTPClient: hs.Client()})
	if err != nil {
		t.Fatal(err)
	}
	var pauses []time.Duration
	p := &connector.FacebookPage{Client: client, PageID: "monza-fb", Tenant: "monza", Cursors: b.cursors, Sink: b.sink, Posts: &connector.PostTexts{},
		Now: func() time.Time { return now }, Sleep: func(_ context.Context, d time.Duration) error { pauses = append(pauses, d); return nil }}
	if _, err := p.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	// 5 calls of 5: the feed and 4 posts; the usage passed 75% before the last post.
	if len(pauses) == 0 {
		t.Fatalf("no pause at %d%% usage", client.Usage().Percent())
	}
	for i := 1; i < len(pauses); i++ {
		if pauses[i] < pauses[i-1] {
			t.Errorf("pauses %v do not grow with the usage", pauses)
		}
	}
	// At the limit the API answers 80001 with the time to regain access, which the poller honours.
	for range 10 {
		if _, err := p.Poll(context.Background()); err != nil {
			var ge *facebook.GraphError
			if !errors.As(err, &ge) || !ge.RateLimited() {
				t.Fatalf("at the limit: %v", err)
			}
			if wait, _ := connector.RetryAfter(err, 1); wait < ge.RetryAfter || wait < time.Minute {
				t.Errorf("wait %s, the API asked %s", wait, ge.RetryAfter)
			}
			return
		}
	}
	t.Fatal("the fake never rate-limited")
}
