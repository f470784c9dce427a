package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	"github.com/piazza-pa/piazza/services/ingest/platform/facebook/fakegraph"
	"github.com/piazza-pa/piazza/services/ingest/platform/mastodon/fakemastodon"
	"github.com/piazza-pa/piazza/services/ingest/platform/youtube/fakeyoutube"
	"github.com/piazza-pa/piazza/services/ingest/replay"
)

// FakeFacebook is a local fake of the Graph API on a loopback port, standing in for Facebook in
// the demo and the end-to-end tests so that every action visibly lands on a "platform".
type FakeFacebook struct {
	// Server is the fake, for seeding and inspection.
	Server *fakegraph.Server
	// URL is its origin, e.g. http://127.0.0.1:40123.
	URL string
	// Tokens maps each page to its access token on the fake.
	Tokens map[string]string

	http *http.Server
	// posts maps (page, post id of the source file) to the fake's post id.
	posts map[[2]string]string
}

// StartFakeFacebook serves a fake Graph API on a free loopback port.
func StartFakeFacebook() (*FakeFacebook, error) {
	f := &FakeFacebook{Server: fakegraph.New(fakegraph.Options{}), Tokens: map[string]string{}, posts: map[[2]string]string{}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for fake facebook: %w", err)
	}
	f.URL = "http://" + l.Addr().String()
	f.http = &http.Server{Handler: f.Server, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = f.http.Serve(l) }()
	return f, nil
}

// Close stops the fake.
func (f *FakeFacebook) Close(ctx context.Context) error {
	if err := f.http.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// RegisterPage creates a page on the fake with an access token for it, once.
func (f *FakeFacebook) RegisterPage(page, name string) {
	if _, ok := f.Tokens[page]; ok {
		return
	}
	token := "demo-token-" + page
	f.Server.AddPage(page, name)
	f.Server.AddToken(token, page)
	f.Tokens[page] = token
}

// Seed puts a comment of a replay file on the fake as a Facebook comment on its page, so that
// actions on it reach a real object, and rewrites the comment's ids to the fake's.
func (f *FakeFacebook) Seed(c *commentv1.Comment) error {
	page := c.GetPageId()
	if page == "" {
		page = c.GetTenant() + "-fb"
	}
	f.RegisterPage(page, "Comune ("+c.GetTenant()+")")
	key := [2]string{page, c.GetPostId()}
	postID, ok := f.posts[key]
	if !ok {
		p, err := f.Server.AddPost(page, fakegraph.Post{Message: c.GetPostText()})
		if err != nil {
			return fmt.Errorf("seed post: %w", err)
		}
		postID = p.ID
		f.posts[key] = postID
	}
	var created time.Time
	if c.GetCreatedAt() != nil {
		created = c.GetCreatedAt().AsTime()
	}
	cm, err := f.Server.AddComment(postID, fakegraph.Comment{
		Message: c.GetText(), From: fakegraph.User{ID: c.GetAuthor().GetId(), Name: c.GetAuthor().GetName()}, CreatedTime: created,
	})
	if err != nil {
		return fmt.Errorf("seed comment: %w", err)
	}
	c.Platform = commentv1.Platform_PLATFORM_FACEBOOK
	c.PageId = page
	c.PostId = postID
	c.CommentId = cm.ID
	c.Permalink = "https://www.facebook.com/" + page + "/posts/" + postID + "?comment_id=" + cm.ID
	return nil
}

// ReplayOnto reads a replay file, seeds every comment on the fake and publishes it. It returns
// the number published and the lines skipped.
func (f *FakeFacebook) ReplayOnto(ctx context.Context, file []byte, pub replay.Publisher) (int, []replay.LineError, error) {
	n := 0
	skipped, err := replay.Read(bytes.NewReader(file), func(_ int, c *commentv1.Comment) error {
		if err := f.Seed(c); err != nil {
			return err
		}
		if err := pub.PublishComment(ctx, c); err != nil {
			return err
		}
		n++
		return nil
	})
	return n, skipped, err
}

// FakeYouTube is a local fake of the YouTube Data API on a loopback port, for the demo and the
// tests: comments seeded on it are polled by ingest, and moderation lands on it.
type FakeYouTube struct {
	// Server is the fake, for seeding and inspection.
	Server *fakeyoutube.Server
	// URL is the API root, e.g. http://127.0.0.1:40124/youtube/v3.
	URL string
	// Tokens maps each channel to its token on the fake.
	Tokens map[string]string

	http *http.Server
}

// StartFakeYouTube serves a fake YouTube Data API with a daily quota (10000 when zero) on a
// free loopback port.
func StartFakeYouTube(daily int) (*FakeYouTube, error) {
	f := &FakeYouTube{Server: fakeyoutube.New(daily, nil), Tokens: map[string]string{}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for fake youtube: %w", err)
	}
	f.URL = "http://" + l.Addr().String() + strings.TrimSuffix(fakeyoutube.Prefix, "/")
	f.http = &http.Server{Handler: f.Server, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = f.http.Serve(l) }()
	return f, nil
}

// RegisterChannel gives a channel a token on the fake, once.
func (f *FakeYouTube) RegisterChannel(channel string) {
	if _, ok := f.Tokens[channel]; ok {
		return
	}
	token := "demo-yt-token-" + channel
	f.Server.AddChannel(token, channel)
	f.Tokens[channel] = token
}

// Close stops the fake.
func (f *FakeYouTube) Close(ctx context.Context) error {
	if err := f.http.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// FakeMastodon is a local fake Mastodon instance on a loopback port, for the demo and the
// tests: mentions posted on it are polled by ingest, and blocks, mutes and reports land on it.
type FakeMastodon struct {
	// Server is the fake, for seeding and inspection.
	Server *fakemastodon.Server
	// URL is the instance's origin.
	URL string
	// Tokens maps each account id of the tenant files to its token on the fake.
	Tokens map[string]string

	http *http.Server
}

// StartFakeMastodon serves a fake instance with the default rate limit on a free loopback port.
func StartFakeMastodon() (*FakeMastodon, error) {
	f := &FakeMastodon{Server: fakemastodon.New(0, 0, nil), Tokens: map[string]string{}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for fake mastodon: %w", err)
	}
	f.URL = "http://" + l.Addr().String()
	f.http = &http.Server{Handler: f.Server, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = f.http.Serve(l) }()
	return f, nil
}

// RegisterAccount creates the Comune's account on the fake with a token, once.
func (f *FakeMastodon) RegisterAccount(account, name string) {
	if _, ok := f.Tokens[account]; ok {
		return
	}
	token := "demo-masto-token-" + account
	f.Server.AddAccount(token, fakemastodon.Account{ID: account, Acct: account, DisplayName: name})
	f.Tokens[account] = token
}

// Close stops the fake.
func (f *FakeMastodon) Close(ctx context.Context) error {
	if err := f.http.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
