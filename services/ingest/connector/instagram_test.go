package connector_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/piazza-pa/piazza/services/ingest/connector"
	"github.com/piazza-pa/piazza/services/ingest/platform/facebook"
	"github.com/piazza-pa/piazza/services/ingest/platform/facebook/fakegraph"
)

func TestInstagramPollsCommentsAndRepliesAndResumes(t *testing.T) {
	b := newBench(t)
	now := time.Now().UTC().Truncate(time.Second)
	fake := fakegraph.New(fakegraph.Options{Now: func() time.Time { return now }})
	fake.AddToken("ig-tok", "monza-ig")
	hs := httptest.NewServer(fake)
	t.Cleanup(hs.Close)
	client, err := facebook.New(facebook.Config{BaseURL: hs.URL, AccessToken: "ig-tok", HTTPClient: hs.Client(), PageSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	var media []fakegraph.Post
	for i := range 2 {
		m, err := fake.AddPost("monza-ig", fakegraph.Post{Message: fmt.Sprint("Foto ", i), CreatedTime: now.Add(-time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		media = append(media, m)
	}
	add := func(i int, parent string) fakegraph.Comment {
		now = now.Add(time.Second)
		c, err := fake.AddComment(media[i%2].ID, fakegraph.Comment{Message: fmt.Sprint("commento ", i), ParentID: parent,
			From: fakegraph.User{ID: fmt.Sprint(300 + i), Name: fmt.Sprint("utente", i)}, CreatedTime: now})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	var tops []fakegraph.Comment
	for i := range 8 {
		tops = append(tops, add(i, ""))
	}
	add(20, tops[0].ID)
	add(22, tops[0].ID)
	poller := func() *connector.InstagramAccount {
		return &connector.InstagramAccount{Client: client, AccountID: "monza-ig", Tenant: "monza", Cursors: b.cursors, Sink: b.sink,
			Posts: &connector.PostTexts{}, Now: func() time.Time { return now }}
	}
	n, err := poller().Poll(context.Background())
	if err != nil || n != 10 {
		t.Fatalf("poll: %d %v, want 8 comments and 2 replies", n, err)
	}
	replies := 0
	for _, c := range b.published(t) {
		if c.GetPostText() == "" || c.GetAuthor().GetName() == "" || c.GetPostId() == "" {
			t.Errorf("badly normalised %v", c)
		}
		if c.GetParentId() == tops[0].ID {
			replies++
		}
	}
	if replies != 2 {
		t.Errorf("%d replies published, want 2", replies)
	}
	add(8, "")
	add(23, tops[1].ID)
	n, err = poller().Poll(context.Background())
	if err != nil || n != 2 {
		t.Fatalf("after restart: %d %v, want the new comment and reply", n, err)
	}
	if got := len(b.published(t)); got != 12 {
		t.Errorf("stream holds %d, want 12", got)
	}
	var ge *facebook.GraphError
	fake.FailNext(1, 400, 80002) // Instagram's rate limit
	if _, err = poller().Poll(context.Background()); !errors.As(err, &ge) || !ge.RateLimited() {
		t.Fatalf("80002: %v, want a rate-limit error", err)
	}
	if wait, alert := connector.RetryAfter(err, 1); wait < time.Minute || alert {
		t.Errorf("80002: wait %s alert %v", wait, alert)
	}
	fake.ExpireToken()
	_, err = poller().Poll(context.Background())
	if !errors.As(err, &ge) || !ge.TokenInvalid() {
		t.Fatalf("expired token: %v", err)
	}
}
