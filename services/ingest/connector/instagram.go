package connector

import (
	"context"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	"github.com/piazza-pa/piazza/services/ingest/platform/facebook"
)

// InstagramAccount polls an Instagram business account: the media of the last Window, their
// top-level comments and the replies to them. The webhooks (field comments) are the fast
// path; the poller is the safety net for deliveries Meta gave up on. Each media's comments are
// read from the saved cursor to the end and, in case the edge lists newest first, the first
// page is read too; what both return is absorbed by message id. Replies are read, from their
// own saved cursors, for the comments of the pages read.
type InstagramAccount struct {
	// Client holds the account's token.
	Client *facebook.Client
	// AccountID is the Instagram account, as mapped to Tenant in the tenant's file.
	AccountID string
	// Tenant is the Comune owning the account.
	Tenant string
	// Cursors persists the cursors.
	Cursors Cursors
	// Sink publishes the comments.
	Sink *Sink
	// Posts caches the media captions.
	Posts *PostTexts
	// Window is how far back media are watched; 7 days when zero.
	Window time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Name describes the poller.
func (ig *InstagramAccount) Name() string { return "instagram account " + ig.AccountID }

// TenantCode is the tenant the poller reads for.
func (ig *InstagramAccount) TenantCode() string { return ig.Tenant }

// Poll reads the new comments and replies once and returns how many it published.
func (ig *InstagramAccount) Poll(ctx context.Context) (int, error) {
	now := time.Now
	if ig.Now != nil {
		now = ig.Now
	}
	window := ig.Window
	if window <= 0 {
		window = 7 * 24 * time.Hour
	}
	var media []facebook.Post
	for m, err := range ig.Client.InstagramMedia(ctx, ig.AccountID, now().Add(-window)) {
		if err != nil {
			return 0, err
		}
		media = append(media, m)
		ig.Posts.Put(PostKey("instagram", m.ID), m.Message)
	}
	published := 0
	for i := len(media) - 1; i >= 0; i-- {
		n, err := ig.pollEdge(ctx, media[i].ID, "comments", media[i].Message, true)
		published += n
		if err != nil {
			return published, err
		}
	}
	return published, nil
}

// pollEdge reads an edge (a media's comments, a comment's replies) and publishes what is new;
// for comments it then reads the replies of each comment seen.
func (ig *InstagramAccount) pollEdge(ctx context.Context, objectID, edge, caption string, withReplies bool) (int, error) {
	name := "instagram:" + ig.AccountID + ":" + edge + ":" + objectID
	saved, err := ig.Cursors.Get(ctx, ig.Tenant, name)
	if err != nil {
		return 0, err
	}
	published := 0
	var parents []string
	take := func(p facebook.Page) error {
		for _, cm := range p.Comments {
			if cm.ParentID == "" {
				parents = append(parents, cm.ID)
			}
			if cm.From.ID == ig.AccountID {
				continue // the account's own replies
			}
			ok, err := ig.Sink.Publish(ctx, InstagramComment(ig.Tenant, ig.AccountID, caption, cm))
			if err != nil {
				return err
			}
			if ok {
				published++
			}
		}
		return nil
	}
	if saved != "" {
		first, err := ig.Client.InstagramComments(ctx, objectID, edge, "")
		if err != nil {
			return published, err
		}
		if err := take(first); err != nil {
			return published, err
		}
	}
	after := saved
	for {
		p, err := ig.Client.InstagramComments(ctx, objectID, edge, after)
		if err != nil {
			return published, err
		}
		if err := take(p); err != nil {
			return published, err
		}
		if p.After != "" && p.After != after {
			if err := ig.Cursors.Set(ctx, ig.Tenant, name, p.After); err != nil {
				return published, err
			}
		}
		if !p.HasNext || p.After == after {
			break
		}
		after = p.After
	}
	if withReplies {
		for _, id := range parents {
			n, err := ig.pollEdge(ctx, id, "replies", caption, false)
			published += n
			if err != nil {
				return published, err
			}
		}
	}
	return published, nil
}

// InstagramComment normalises an Instagram comment to the Comment event.
func InstagramComment(tenant, accountID, caption string, cm facebook.Comment) *commentv1.Comment {
	c := &commentv1.Comment{
		Tenant:    tenant,
		Platform:  commentv1.Platform_PLATFORM_INSTAGRAM,
		CommentId: cm.ID,
		PageId:    accountID,
		PostId:    cm.PostID,
		PostText:  caption,
		ParentId:  cm.ParentID,
		Author:    &commentv1.Author{Id: cm.From.ID, Name: cm.From.Name},
		Channel:   commentv1.Channel_CHANNEL_COMMENT,
		Text:      cm.Message,
	}
	if !cm.CreatedTime.IsZero() {
		c.CreatedAt = timestamppb.New(cm.CreatedTime)
	}
	return c
}
