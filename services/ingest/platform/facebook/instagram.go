package facebook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// InstagramHide hides an Instagram comment (POST /{ig-comment-id}?hide=true). Deleting one is
// Delete, as the path is the same.
func (c *Client) InstagramHide(ctx context.Context, commentID string) error {
	if err := validID("comment", commentID); err != nil {
		return fmt.Errorf("hide instagram comment: %w", err)
	}
	var res successJSON
	if err := c.call(ctx, http.MethodPost, commentID, url.Values{"hide": {"true"}}, &res); err != nil {
		return fmt.Errorf("hide instagram comment %s: %w", commentID, err)
	}
	if !res.Success {
		return fmt.Errorf("hide instagram comment %s: %w", commentID, errNoSuccess)
	}
	return nil
}

// InstagramReply answers an Instagram comment publicly (POST /{ig-comment-id}/replies) and
// returns the reply's id. Instagram takes replies to top-level, visible comments only.
func (c *Client) InstagramReply(ctx context.Context, commentID, text string) (string, error) {
	if err := validID("comment", commentID); err != nil {
		return "", fmt.Errorf("reply to instagram comment: %w", err)
	}
	if strings.TrimSpace(text) == "" {
		return "", fmt.Errorf("reply to instagram comment %s: empty text", commentID)
	}
	var res struct {
		ID string `json:"id"`
	}
	if err := c.call(ctx, http.MethodPost, commentID+"/replies", url.Values{"message": {text}}, &res); err != nil {
		return "", fmt.Errorf("reply to instagram comment %s: %w", commentID, err)
	}
	if res.ID == "" {
		return "", fmt.Errorf("reply to instagram comment %s: response without id", commentID)
	}
	return res.ID, nil
}

// instagramCommentFields is the selection asked for on Instagram comment reads.
const instagramCommentFields = "id,text,timestamp,from{id,username},username,hidden,parent_id,media{id}"

type igCommentJSON struct {
	ID        string `json:"id"`
	Text      string `json:"text"`
	Timestamp string `json:"timestamp"`
	From      *struct {
		ID       string `json:"id"`
		Username string `json:"username"`
	} `json:"from"`
	Username string `json:"username"`
	Hidden   bool   `json:"hidden"`
	ParentID string `json:"parent_id"`
	Media    *struct {
		ID string `json:"id"`
	} `json:"media"`
}

// ParseInstagramComments reads an Instagram comments or replies edge response; mediaID fills
// PostID when the response omits media.
func ParseInstagramComments(data []byte, mediaID string) (Page, error) {
	var env struct {
		Data   *[]igCommentJSON `json:"data"`
		Paging pagingJSON       `json:"paging"`
	}
	if err := json.Unmarshal(data, &env); err != nil {
		return Page{}, fmt.Errorf("instagram comments page: %w", err)
	}
	if env.Data == nil {
		return Page{}, errors.New("instagram comments page: no data")
	}
	p := Page{After: env.Paging.Cursors.After, HasNext: env.Paging.Next != ""}
	for _, cj := range *env.Data {
		if cj.ID == "" {
			return Page{}, errors.New("instagram comments page: comment without id")
		}
		t, err := time.Parse(graphTimeLayout, cj.Timestamp)
		if err != nil {
			return Page{}, fmt.Errorf("instagram comments page: comment %s: timestamp: %w", cj.ID, err)
		}
		c := Comment{ID: cj.ID, PostID: mediaID, ParentID: cj.ParentID, Message: cj.Text, CreatedTime: t.UTC(), IsHidden: cj.Hidden}
		if cj.Media != nil && cj.Media.ID != "" {
			c.PostID = cj.Media.ID
		}
		c.From.Name = cj.Username
		if cj.From != nil {
			c.From.ID = cj.From.ID
			if cj.From.Username != "" {
				c.From.Name = cj.From.Username
			}
		}
		p.Comments = append(p.Comments, c)
	}
	return p, nil
}

// InstagramComments returns a page of a media's top-level comments (edge "comments") or a
// comment's replies (edge "replies") after the cursor.
func (c *Client) InstagramComments(ctx context.Context, objectID, edge, after string) (Page, error) {
	if err := validID("instagram object", objectID); err != nil {
		return Page{}, fmt.Errorf("list instagram %s: %w", edge, err)
	}
	if edge != "comments" && edge != "replies" {
		return Page{}, fmt.Errorf("list instagram %s: unknown edge", edge)
	}
	params := url.Values{"fields": {instagramCommentFields}, "limit": {strconv.Itoa(c.pageSize)}}
	if after != "" {
		params.Set("after", after)
	}
	var raw json.RawMessage
	if err := c.call(ctx, http.MethodGet, objectID+"/"+edge, params, &raw); err != nil {
		return Page{}, fmt.Errorf("list instagram %s of %s: %w", edge, objectID, err)
	}
	mediaID := ""
	if edge == "comments" {
		mediaID = objectID
	}
	p, err := ParseInstagramComments(raw, mediaID)
	if err != nil {
		return Page{}, fmt.Errorf("list instagram %s of %s: %w", edge, objectID, err)
	}
	if p.After == "" {
		p.After = after
	}
	return p, nil
}

// InstagramMedia yields the account's media published at or after since, newest first, with
// their captions as Message, following the pages to the end.
func (c *Client) InstagramMedia(ctx context.Context, igUserID string, since time.Time) iter.Seq2[Post, error] {
	return func(yield func(Post, error) bool) {
		if err := validID("instagram account", igUserID); err != nil {
			yield(Post{}, fmt.Errorf("list instagram media: %w", err))
			return
		}
		var paging url.Values
		for {
			params := url.Values{"fields": {"id,caption,timestamp"}, "limit": {strconv.Itoa(c.pageSize)}}
			for k, vs := range paging {
				params[k] = vs
			}
			var raw json.RawMessage
			if err := c.call(ctx, http.MethodGet, igUserID+"/media", params, &raw); err != nil {
				yield(Post{}, fmt.Errorf("list instagram media of %s: %w", igUserID, err))
				return
			}
			media, next, err := parseMediaPage(raw)
			if err != nil {
				yield(Post{}, fmt.Errorf("list instagram media of %s: %w", igUserID, err))
				return
			}
			for _, m := range media {
				if !since.IsZero() && m.CreatedTime.Before(since) {
					return // newest first: the rest is older still
				}
				if !yield(m, nil) {
					return
				}
			}
			if next == nil {
				return
			}
			if next.Encode() == paging.Encode() {
				yield(Post{}, fmt.Errorf("list instagram media of %s: paging did not advance", igUserID))
				return
			}
			paging = next
		}
	}
}

// parseMediaPage reads a media edge response: the caption and timestamp fields, and the paging
// parameters of its next link.
func parseMediaPage(data []byte) ([]Post, url.Values, error) {
	var env struct {
		Data *[]struct {
			ID        string `json:"id"`
			Caption   string `json:"caption"`
			Timestamp string `json:"timestamp"`
		} `json:"data"`
		Paging pagingJSON `json:"paging"`
	}
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, nil, fmt.Errorf("media page: %w", err)
	}
	if env.Data == nil {
		return nil, nil, errors.New("media page: no data")
	}
	posts := make([]Post, 0, len(*env.Data))
	for _, m := range *env.Data {
		if m.ID == "" {
			return nil, nil, errors.New("media page: media without id")
		}
		t, err := time.Parse(graphTimeLayout, m.Timestamp)
		if err != nil {
			return nil, nil, fmt.Errorf("media page: media %s: timestamp: %w", m.ID, err)
		}
		posts = append(posts, Post{ID: m.ID, Message: m.Caption, CreatedTime: t.UTC()})
	}
	if env.Paging.Next == "" {
		return posts, nil, nil
	}
	next, err := url.Parse(env.Paging.Next)
	if err != nil {
		return nil, nil, errors.New("media page: unreadable next link")
	}
	q := next.Query()
	carried := url.Values{}
	for _, k := range feedPagingParams {
		if v := q.Get(k); v != "" {
			carried.Set(k, v)
		}
	}
	if len(carried) == 0 {
		if env.Paging.Cursors.After == "" {
			return nil, nil, errors.New("media page: next link without paging parameters")
		}
		carried.Set("after", env.Paging.Cursors.After)
	}
	return posts, carried, nil
}
