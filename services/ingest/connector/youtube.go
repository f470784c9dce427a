package connector

import (
	"context"
	"fmt"
	"slices"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	"github.com/piazza-pa/piazza/services/ingest/platform/youtube"
)

// YouTubeChannel polls a channel's comment threads, published and held for review. The API
// has no "since": threads come newest first, so the cursor is a watermark, the publication
// time of the newest comment published; a poll pages until it reaches threads older than the
// watermark. Comments at the watermark itself are read again and absorbed by message id.
type YouTubeChannel struct {
	// Client holds the channel's token and charges the quota.
	Client *youtube.Client
	// ChannelID is the channel, as mapped to Tenant in the tenant's file.
	ChannelID string
	// Tenant is the Comune owning the channel.
	Tenant string
	// Cursors persists the watermarks.
	Cursors Cursors
	// Sink publishes the comments.
	Sink *Sink
	// Posts caches the videos' titles and descriptions.
	Posts *PostTexts
	// Statuses are the moderation statuses read; published and heldForReview when empty.
	Statuses []string
	// MaxPages bounds the pages read per status and poll (the first poll of a busy channel);
	// 20 when zero.
	MaxPages int
}

// Name describes the poller.
func (y *YouTubeChannel) Name() string { return "youtube channel " + y.ChannelID }

// TenantCode is the tenant the poller reads for.
func (y *YouTubeChannel) TenantCode() string { return y.Tenant }

// Poll reads the new comments once and returns how many it published.
func (y *YouTubeChannel) Poll(ctx context.Context) (int, error) {
	statuses := y.Statuses
	if len(statuses) == 0 {
		statuses = []string{youtube.StatusPublished, youtube.StatusHeldForReview}
	}
	total := 0
	for _, st := range statuses {
		n, err := y.pollStatus(ctx, st)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

func (y *YouTubeChannel) pollStatus(ctx context.Context, status string) (int, error) {
	name := "youtube:" + y.ChannelID + ":" + status
	saved, err := y.Cursors.Get(ctx, y.Tenant, name)
	if err != nil {
		return 0, err
	}
	var mark time.Time
	if saved != "" {
		if mark, err = time.Parse(time.RFC3339Nano, saved); err != nil {
			return 0, fmt.Errorf("cursor %s: %w", name, err)
		}
	}
	maxPages := y.MaxPages
	if maxPages <= 0 {
		maxPages = 20
	}
	var fresh []youtube.Comment
	newest := mark
	token := ""
	for range maxPages {
		page, err := y.Client.CommentThreads(ctx, y.ChannelID, status, token)
		if err != nil {
			return 0, err
		}
		reachedOld := false
		for _, th := range page.Threads {
			threadOld := th.Top.PublishedAt.Before(mark)
			replies := th.Replies
			if th.TotalReplyCount > len(th.Replies) {
				// commentThreads includes only the first replies; the rest are listed apart.
				if replies, err = y.allReplies(ctx, th.Top); err != nil {
					return 0, err
				}
			}
			for _, c := range append([]youtube.Comment{th.Top}, replies...) {
				if c.PublishedAt.Before(mark) {
					continue
				}
				threadOld = false
				fresh = append(fresh, c)
				if c.PublishedAt.After(newest) {
					newest = c.PublishedAt
				}
			}
			reachedOld = reachedOld || threadOld
		}
		if reachedOld || page.NextPageToken == "" {
			break
		}
		token = page.NextPageToken
	}
	slices.SortStableFunc(fresh, func(a, b youtube.Comment) int { return a.PublishedAt.Compare(b.PublishedAt) })
	published := 0
	for _, c := range fresh {
		if c.AuthorChannelID == y.ChannelID {
			continue // the channel's own replies
		}
		text, err := y.Posts.Get(ctx, PostKey("youtube", c.VideoID), func(ctx context.Context) (string, error) {
			return y.Client.VideoTitle(ctx, c.VideoID)
		})
		if err != nil {
			return published, err
		}
		ok, err := y.Sink.Publish(ctx, YouTubeComment(y.Tenant, y.ChannelID, text, c))
		if err != nil {
			return published, err
		}
		if ok {
			published++
		}
	}
	if newest.After(mark) {
		if err := y.Cursors.Set(ctx, y.Tenant, name, newest.Format(time.RFC3339Nano)); err != nil {
			return published, err
		}
	}
	return published, nil
}

// allReplies lists every reply of a thread.
func (y *YouTubeChannel) allReplies(ctx context.Context, top youtube.Comment) ([]youtube.Comment, error) {
	var out []youtube.Comment
	token := ""
	for {
		page, next, err := y.Client.Replies(ctx, top.ID, token)
		if err != nil {
			return nil, err
		}
		for _, r := range page {
			r.VideoID = top.VideoID
			if r.ParentID == "" {
				r.ParentID = top.ID
			}
			out = append(out, r)
		}
		if next == "" || next == token {
			return out, nil
		}
		token = next
	}
}

// YouTubeComment normalises a YouTube comment to the Comment event.
func YouTubeComment(tenant, channelID, videoText string, c youtube.Comment) *commentv1.Comment {
	return &commentv1.Comment{
		Tenant:    tenant,
		Platform:  commentv1.Platform_PLATFORM_YOUTUBE,
		CommentId: c.ID,
		PageId:    channelID,
		PostId:    c.VideoID,
		PostText:  videoText,
		ParentId:  c.ParentID,
		Author:    &commentv1.Author{Id: c.AuthorChannelID, Name: c.AuthorName},
		Channel:   commentv1.Channel_CHANNEL_COMMENT,
		CreatedAt: timestamppb.New(c.PublishedAt),
		Permalink: "https://www.youtube.com/watch?v=" + c.VideoID + "&lc=" + c.ID,
		Text:      c.Text,
	}
}
