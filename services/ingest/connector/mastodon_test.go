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
	"github.com/piazza-pa/piazza/services/ingest/platform/mastodon"
	"github.com/piazza-pa/piazza/services/ingest/platform/mastodon/fakemastodon"
)

type mastoFixture struct {
	*bench
	fake   *fakemastodon.Server
	client *mastodon.Client
	post   fakemastodon.Status
	now    time.Time
}

var comune = fakemastodon.Account{ID: "1", Acct: "comune", DisplayName: "Comune di Monza"}

func newMasto(t *testing.T, limit int) *mastoFixture {
	t.Helper()
	f := &mastoFixture{bench: newBench(t), now: time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)}
	f.fake = fakemastodon.New(limit, 0, func() time.Time { return f.now })
	f.fake.AddAccount("masto-token", comune)
	hs := httptest.NewServer(f.fake)
	t.Cleanup(hs.Close)
	var err error
	f.client, err = mastodon.New(mastodon.Config{BaseURL: hs.URL, AccessToken: "masto-token", HTTPClient: hs.Client(), Now: func() time.Time { return f.now }})
	if err != nil {
		t.Fatal(err)
	}
	f.post = f.fake.Post(fakemastodon.Status{Account: comune, Content: "<p>Domenica chiusura del centro per la maratona</p>"})
	return f
}

func (f *mastoFixture) mention(i int, visibility string) fakemastodon.Status {
	f.now = f.now.Add(time.Second)
	return f.fake.Post(fakemastodon.Status{
		Account: fakemastodon.Account{ID: fmt.Sprint(100 + i), Acct: fmt.Sprintf("utente%d@altro.social", i)}, InReplyToID: f.post.ID,
		Content: fmt.Sprintf(`<p><span class="h-card"><a href="https://x/@comune">@<span>comune</span></a></span> messaggio %d &amp; altro</p>`, i), Visibility: visibility,
	}, comune.ID)
}

func (f *mastoFixture) poller() *connector.MastodonAccount {
	return &connector.MastodonAccount{Client: f.client, AccountID: "monza-masto", Tenant: "monza", Cursors: f.cursors, Sink: f.sink, Posts: &connector.PostTexts{}}
}

func TestMastodonPagesToTheEndAndResumes(t *testing.T) {
	f := newMasto(t, 0)
	for i := range 170 { // more than two pages of 80
		vis := "public"
		if i == 5 {
			vis = "direct"
		}
		f.mention(i, vis)
	}
	n, err := f.poller().Poll(context.Background())
	if err != nil || n != 170 {
		t.Fatalf("poll: %d %v, want 170", n, err)
	}
	got := f.published(t)
	if len(got) != 170 || got[0].GetText() != "@comune messaggio 0 & altro" || got[169].GetText() != "@comune messaggio 169 & altro" {
		t.Fatalf("published %d, first %q, last %q: want oldest first as plain text", len(got), got[0].GetText(), got[len(got)-1].GetText())
	}
	if got[0].GetPostText() != "Domenica chiusura del centro per la maratona" || got[0].GetPostId() != f.post.ID {
		t.Errorf("post text %q", got[0].GetPostText())
	}
	if got[5].GetChannel() != commentv1.Channel_CHANNEL_PRIVATE_MESSAGE || got[5].GetPostText() != "" {
		t.Errorf("direct mention: %v, want a private message", got[5])
	}
	// Restart: new poller, same Redis, two new mentions, one page read.
	f.mention(500, "public")
	f.mention(501, "public")
	before := f.fake.Calls("masto-token")
	n, err = f.poller().Poll(context.Background())
	if err != nil || n != 2 {
		t.Fatalf("after restart: %d %v, want 2", n, err)
	}
	if calls := f.fake.Calls("masto-token") - before; calls != 2 {
		t.Errorf("resume made %d calls, want 2 (the page after the cursor, the post's text once)", calls)
	}
	if len(f.published(t)) != 172 {
		t.Errorf("stream holds %d, want 172", len(f.published(t)))
	}
}

func TestMastodonRateLimitAndExpiredToken(t *testing.T) {
	f := newMasto(t, 3) // three requests per window
	f.mention(0, "public")
	p := f.poller()
	if _, err := p.Poll(context.Background()); err != nil { // 2 calls: page, post
		t.Fatal(err)
	}
	f.mention(1, "public")
	if _, err := p.Poll(context.Background()); err != nil { // the 3rd: remaining 0
		t.Fatal(err)
	}
	calls := f.fake.Calls("masto-token")
	_, err := p.Poll(context.Background())
	var ae *mastodon.APIError
	if !errors.As(err, &ae) || !ae.RateLimited() {
		t.Fatalf("poll with no requests left: %v, want a rate-limit error", err)
	}
	if f.fake.Calls("masto-token") != calls {
		t.Error("the client called although X-RateLimit-Remaining was 0")
	}
	wait, alert := connector.RetryAfter(err, 1)
	if wait <= 0 || wait > 5*time.Minute || alert {
		t.Errorf("rate limit: wait %s alert %v, want until X-RateLimit-Reset", wait, alert)
	}
	f.now = f.now.Add(5 * time.Minute) // the window resets
	f.fake.FailNext(1, http.StatusTooManyRequests)
	if _, err := p.Poll(context.Background()); !errors.As(err, &ae) || !ae.RateLimited() {
		t.Fatalf("429: %v", err)
	}
	f.fake.ExpireTokens()
	_, err = p.Poll(context.Background())
	if !errors.As(err, &ae) || !ae.TokenInvalid() {
		t.Fatalf("expired token: %v", err)
	}
	if wait, alert := connector.RetryAfter(err, 1); wait < 15*time.Minute || !alert {
		t.Errorf("expired token: wait %s alert %v", wait, alert)
	}
}
