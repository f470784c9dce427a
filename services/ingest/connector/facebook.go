package connector

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	"github.com/piazza-pa/piazza/services/ingest/platform/facebook"
)

// FacebookPage polls one Facebook Page: the feed of the last Window (time paging), and the
// comments and replies of each post after the post's saved cursor. The cursor is saved after
// every page of comments is published, so a restart resumes where the last poll stopped.
type FacebookPage struct {
	// Client holds the Page's token.
	Client *facebook.Client
	// PageID is the Page, as mapped to Tenant in the tenant's file.
	PageID string
	// Tenant is the Comune owning the Page.
	Tenant string
	// Cursors persists the per-post comment cursors.
	Cursors Cursors
	// Sink publishes the comments.
	Sink *Sink
	// Posts caches the posts' text; shared with the webhook.
	Posts *PostTexts
	// Window is how far back posts are watched for new comments; 7 days when zero.
	Window time.Duration
	// SlowAbove is the usage percent (X-App-Usage, X-Business-Use-Case-Usage) above which the
	// poller pauses between posts; 75 when zero.
	SlowAbove int
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Sleep pauses for d or until ctx ends; a timer when nil (tests record the pauses).
	Sleep func(ctx context.Context, d time.Duration) error
}

// Name describes the poller for logs, without secrets.
func (f *FacebookPage) Name() string { return "facebook page " + f.PageID }

// TenantCode is the tenant the poller reads for.
func (f *FacebookPage) TenantCode() string { return f.Tenant }

// PostKey is the PostTexts key of a Facebook post.
func PostKey(platform, postID string) string { return platform + ":" + postID }

// Poll reads the new comments once and returns how many it published.
func (f *FacebookPage) Poll(ctx context.Context) (int, error) {
	now := time.Now
	if f.Now != nil {
		now = f.Now
	}
	window := f.Window
	if window <= 0 {
		window = 7 * 24 * time.Hour
	}
	var posts []facebook.Post
	for p, err := range f.Client.Feed(ctx, f.PageID, now().Add(-window)) {
		if err != nil {
			return 0, err
		}
		posts = append(posts, p)
		f.Posts.Put(PostKey("facebook", p.ID), p.Message)
	}
	published := 0
	// Oldest post first, so that a long backlog drains in the order it was written.
	for i := len(posts) - 1; i >= 0; i-- {
		if err := f.slowDown(ctx); err != nil {
			return published, err
		}
		n, err := f.pollPost(ctx, posts[i])
		published += n
		if err != nil {
			return published, err
		}
	}
	return published, nil
}

// slowDown pauses before the platform's limit rather than after it: the closer the reported
// usage is to 100%, the longer the pause.
func (f *FacebookPage) slowDown(ctx context.Context) error {
	limit := f.SlowAbove
	if limit <= 0 {
		limit = 75
	}
	u := f.Client.Usage()
	if u.Percent() < limit {
		return nil
	}
	pause := time.Duration(u.Percent()-limit+1) * time.Second
	pause = max(pause, u.RegainAccess)
	if f.Sleep != nil {
		return f.Sleep(ctx, pause)
	}
	t := time.NewTimer(pause)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (f *FacebookPage) pollPost(ctx context.Context, post facebook.Post) (int, error) {
	name := "facebook:" + f.PageID + ":post:" + post.ID
	after, err := f.Cursors.Get(ctx, f.Tenant, name)
	if err != nil {
		return 0, err
	}
	published := 0
	for {
		page, err := f.Client.Comments(ctx, post.ID, after)
		if err != nil {
			return published, err
		}
		for _, cm := range page.Comments {
			if cm.From.ID == f.PageID {
				continue // the Page's own replies are not moderated
			}
			ok, err := f.Sink.Publish(ctx, FacebookComment(f.Tenant, f.PageID, post.Message, cm))
			if err != nil {
				return published, err
			}
			if ok {
				published++
			}
		}
		if page.After != "" && page.After != after {
			if err := f.Cursors.Set(ctx, f.Tenant, name, page.After); err != nil {
				return published, err
			}
		}
		if !page.HasNext {
			return published, nil
		}
		if page.After == after {
			return published, fmt.Errorf("comments of %s: paging did not advance", post.ID)
		}
		after = page.After
	}
}

// FacebookComment normalises a Graph API comment to the Comment event.
func FacebookComment(tenant, pageID, postText string, cm facebook.Comment) *commentv1.Comment {
	c := &commentv1.Comment{
		Tenant:    tenant,
		Platform:  commentv1.Platform_PLATFORM_FACEBOOK,
		CommentId: cm.ID,
		PageId:    pageID,
		PostId:    cm.PostID,
		PostText:  postText,
		ParentId:  cm.ParentID,
		Author:    &commentv1.Author{Id: cm.From.ID, Name: cm.From.Name},
		Channel:   commentv1.Channel_CHANNEL_COMMENT,
		Permalink: cm.PermalinkURL,
		Text:      cm.Message,
	}
	if !cm.CreatedTime.IsZero() {
		c.CreatedAt = timestamppb.New(cm.CreatedTime)
	}
	return c
}

// RetryAfter says how long a poller waits after err: what the platform asked for a rate limit
// (at least a minute), a long pause for an invalid token (nothing works until an operator
// replaces it; alert is true), and an exponential backoff otherwise.
func RetryAfter(err error, failures int) (wait time.Duration, alert bool) {
	var ge *facebook.GraphError
	if errors.As(err, &ge) {
		switch {
		case ge.RateLimited():
			return max(ge.RetryAfter, time.Minute), false
		case ge.TokenInvalid(), ge.Permanent():
			return 15 * time.Minute, true
		}
	}
	var ye interface {
		RetryAfterHint() (time.Duration, bool)
	}
	if errors.As(err, &ye) {
		if d, permanent := ye.RetryAfterHint(); d > 0 || permanent {
			if permanent {
				return max(d, 15*time.Minute), true
			}
			return d, false
		}
	}
	d := 5 * time.Second
	for i := 1; i < failures && d < 5*time.Minute; i++ {
		d *= 2
	}
	return min(d, 5*time.Minute), false
}
