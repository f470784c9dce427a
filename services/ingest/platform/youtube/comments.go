package youtube

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Moderation statuses of a comment.
const (
	StatusPublished     = "published"
	StatusHeldForReview = "heldForReview"
	StatusLikelySpam    = "likelySpam"
	StatusRejected      = "rejected"
)

// Comment is a top-level comment or a reply.
type Comment struct {
	// ID is the comment id.
	ID string
	// VideoID is the video commented on.
	VideoID string
	// ParentID is the top-level comment a reply answers, empty otherwise.
	ParentID string
	// Text is textOriginal, or textDisplay when the API withheld the original.
	Text string
	// AuthorName is the author's display name ("@handle").
	AuthorName string
	// AuthorChannelID is the author's channel, the id banAuthor acts on.
	AuthorChannelID string
	// PublishedAt is when the comment was written.
	PublishedAt time.Time
}

// Thread is a top-level comment with the replies the list returned with it.
type Thread struct {
	// ID is the thread id.
	ID string
	// Top is the top-level comment.
	Top Comment
	// Replies are the replies included (at most a few; TotalReplyCount says how many exist).
	Replies []Comment
	// TotalReplyCount is how many replies the thread has.
	TotalReplyCount int
}

// ThreadPage is one page of comment threads, newest first.
type ThreadPage struct {
	// Threads are the threads of the page.
	Threads []Thread
	// NextPageToken fetches the next page; empty on the last one.
	NextPageToken string
}

type commentJSON struct {
	ID      string `json:"id"`
	Snippet *struct {
		VideoID         string `json:"videoId"`
		ParentID        string `json:"parentId"`
		TextOriginal    string `json:"textOriginal"`
		TextDisplay     string `json:"textDisplay"`
		AuthorName      string `json:"authorDisplayName"`
		AuthorChannelID *struct {
			Value string `json:"value"`
		} `json:"authorChannelId"`
		PublishedAt string `json:"publishedAt"`
	} `json:"snippet"`
}

func (cj commentJSON) comment(videoID string) (Comment, error) {
	if cj.ID == "" || cj.Snippet == nil {
		return Comment{}, errors.New("comment without id or snippet")
	}
	s := cj.Snippet
	t, err := time.Parse(time.RFC3339, s.PublishedAt)
	if err != nil {
		return Comment{}, fmt.Errorf("comment %s: publishedAt: %w", cj.ID, err)
	}
	c := Comment{ID: cj.ID, VideoID: s.VideoID, ParentID: s.ParentID, Text: s.TextOriginal, AuthorName: s.AuthorName, PublishedAt: t.UTC()}
	if c.VideoID == "" {
		c.VideoID = videoID
	}
	if c.Text == "" {
		c.Text = s.TextDisplay
	}
	if s.AuthorChannelID != nil {
		c.AuthorChannelID = s.AuthorChannelID.Value
	}
	return c, nil
}

// ParseThreads reads a commentThreads list response.
func ParseThreads(data []byte) (ThreadPage, error) {
	var env struct {
		Kind          string `json:"kind"`
		NextPageToken string `json:"nextPageToken"`
		Items         *[]struct {
			ID      string `json:"id"`
			Snippet *struct {
				VideoID         string      `json:"videoId"`
				TopLevelComment commentJSON `json:"topLevelComment"`
				TotalReplyCount int         `json:"totalReplyCount"`
			} `json:"snippet"`
			Replies *struct {
				Comments []commentJSON `json:"comments"`
			} `json:"replies"`
		} `json:"items"`
	}
	if err := json.Unmarshal(data, &env); err != nil {
		return ThreadPage{}, fmt.Errorf("comment threads: %w", err)
	}
	if env.Kind != "youtube#commentThreadListResponse" || env.Items == nil {
		return ThreadPage{}, errors.New("comment threads: not a commentThreadListResponse")
	}
	p := ThreadPage{NextPageToken: env.NextPageToken}
	for i, it := range *env.Items {
		if it.ID == "" || it.Snippet == nil {
			return ThreadPage{}, fmt.Errorf("comment threads: item %d without id or snippet", i)
		}
		top, err := it.Snippet.TopLevelComment.comment(it.Snippet.VideoID)
		if err != nil {
			return ThreadPage{}, fmt.Errorf("comment threads: item %d: %w", i, err)
		}
		th := Thread{ID: it.ID, Top: top, TotalReplyCount: it.Snippet.TotalReplyCount}
		if it.Replies != nil {
			for _, rj := range it.Replies.Comments {
				r, err := rj.comment(top.VideoID)
				if err != nil {
					return ThreadPage{}, fmt.Errorf("comment threads: item %d reply: %w", i, err)
				}
				if r.ParentID == "" {
					r.ParentID = top.ID
				}
				th.Replies = append(th.Replies, r)
			}
		}
		p.Threads = append(p.Threads, th)
	}
	return p, nil
}

func validID(kind, id string) error {
	if id == "" || strings.ContainsAny(id, "/?#%\\ \t\r\n&=") {
		return fmt.Errorf("invalid %s id %q", kind, id)
	}
	return nil
}

// CommentThreads lists one page of the threads of every video of the channel with the given
// moderation status, newest first. It costs one unit.
func (c *Client) CommentThreads(ctx context.Context, channelID, status, pageToken string) (ThreadPage, error) {
	if err := validID("channel", channelID); err != nil {
		return ThreadPage{}, fmt.Errorf("list comment threads: %w", err)
	}
	params := url.Values{
		"part":                         {"snippet,replies"},
		"allThreadsRelatedToChannelId": {channelID},
		"moderationStatus":             {status},
		"order":                        {"time"},
		"maxResults":                   {"100"},
		"textFormat":                   {"plainText"},
	}
	if pageToken != "" {
		params.Set("pageToken", pageToken)
	}
	var raw json.RawMessage
	if err := c.call(ctx, http.MethodGet, "commentThreads", params, nil, ReadCost, &raw); err != nil {
		return ThreadPage{}, fmt.Errorf("list comment threads of %s: %w", channelID, err)
	}
	p, err := ParseThreads(raw)
	if err != nil {
		return ThreadPage{}, fmt.Errorf("list comment threads of %s: %w", channelID, err)
	}
	return p, nil
}

// VideoTitle returns a video's title and description, the "post" its comments answer. It costs
// one unit.
func (c *Client) VideoTitle(ctx context.Context, videoID string) (string, error) {
	if err := validID("video", videoID); err != nil {
		return "", fmt.Errorf("read video: %w", err)
	}
	var res struct {
		Items []struct {
			Snippet struct {
				Title       string `json:"title"`
				Description string `json:"description"`
			} `json:"snippet"`
		} `json:"items"`
	}
	if err := c.call(ctx, http.MethodGet, "videos", url.Values{"part": {"snippet"}, "id": {videoID}}, nil, ReadCost, &res); err != nil {
		return "", fmt.Errorf("read video %s: %w", videoID, err)
	}
	if len(res.Items) == 0 {
		return "", fmt.Errorf("read video %s: %w", videoID, &APIError{HTTPStatus: http.StatusNotFound, Message: "video not found", Reasons: []string{"notFound"}})
	}
	s := res.Items[0].Snippet
	return strings.TrimSpace(s.Title + "\n" + s.Description), nil
}

// SetModerationStatus sets a comment's status; banAuthor (only with rejected) also bans its
// author from the channel. It costs 50 units.
func (c *Client) SetModerationStatus(ctx context.Context, commentID, status string, banAuthor bool) error {
	if err := validID("comment", commentID); err != nil {
		return fmt.Errorf("moderate comment: %w", err)
	}
	if banAuthor && status != StatusRejected {
		return fmt.Errorf("moderate comment %s: banAuthor needs status rejected", commentID)
	}
	params := url.Values{"id": {commentID}, "moderationStatus": {status}}
	if banAuthor {
		params.Set("banAuthor", "true")
	}
	if err := c.call(ctx, http.MethodPost, "comments/setModerationStatus", params, nil, WriteCost, nil); err != nil {
		return fmt.Errorf("moderate comment %s: %w", commentID, err)
	}
	return nil
}

// Reply answers a top-level comment publicly as the channel and returns the reply's id. It costs
// 50 units.
func (c *Client) Reply(ctx context.Context, parentID, text string) (string, error) {
	if err := validID("comment", parentID); err != nil {
		return "", fmt.Errorf("reply: %w", err)
	}
	if strings.TrimSpace(text) == "" {
		return "", fmt.Errorf("reply to %s: empty text", parentID)
	}
	body := map[string]any{"snippet": map[string]string{"parentId": parentID, "textOriginal": text}}
	var res commentJSON
	if err := c.call(ctx, http.MethodPost, "comments", url.Values{"part": {"snippet"}}, body, WriteCost, &res); err != nil {
		return "", fmt.Errorf("reply to %s: %w", parentID, err)
	}
	if res.ID == "" {
		return "", fmt.Errorf("reply to %s: response without id", parentID)
	}
	return res.ID, nil
}

// ParseComments reads a comments list response (the replies of a thread).
func ParseComments(data []byte) ([]Comment, string, error) {
	var env struct {
		Kind          string         `json:"kind"`
		NextPageToken string         `json:"nextPageToken"`
		Items         *[]commentJSON `json:"items"`
	}
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, "", fmt.Errorf("comments: %w", err)
	}
	if env.Kind != "youtube#commentListResponse" || env.Items == nil {
		return nil, "", errors.New("comments: not a commentListResponse")
	}
	out := make([]Comment, 0, len(*env.Items))
	for i, cj := range *env.Items {
		c, err := cj.comment("")
		if err != nil {
			return nil, "", fmt.Errorf("comments: item %d: %w", i, err)
		}
		out = append(out, c)
	}
	return out, env.NextPageToken, nil
}

// Replies lists one page of the replies to a top-level comment, for threads with more replies
// than commentThreads includes. It costs one unit. The replies carry no video id: the caller
// knows it from the thread.
func (c *Client) Replies(ctx context.Context, parentID, pageToken string) ([]Comment, string, error) {
	if err := validID("comment", parentID); err != nil {
		return nil, "", fmt.Errorf("list replies: %w", err)
	}
	params := url.Values{"part": {"snippet"}, "parentId": {parentID}, "maxResults": {"100"}, "textFormat": {"plainText"}}
	if pageToken != "" {
		params.Set("pageToken", pageToken)
	}
	var raw json.RawMessage
	if err := c.call(ctx, http.MethodGet, "comments", params, nil, ReadCost, &raw); err != nil {
		return nil, "", fmt.Errorf("list replies of %s: %w", parentID, err)
	}
	out, next, err := ParseComments(raw)
	if err != nil {
		return nil, "", fmt.Errorf("list replies of %s: %w", parentID, err)
	}
	return out, next, nil
}
