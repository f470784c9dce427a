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
	"time"
)

// graphTimeLayout is how the Graph API writes times, e.g. 2026-05-04T09:12:44+0000.
const graphTimeLayout = "2006-01-02T15:04:05-0700"

// commentFields is the selection asked for on every comment read.
const commentFields = "id,message,from{id,name},created_time,parent{id},is_hidden,permalink_url"

// User is the author of a comment. The Graph API returns it only to a Page token.
type User struct {
	// ID is the app- or page-scoped user ID, the one to block.
	ID string
	// Name is the display name.
	Name string
}

// Comment is a comment or reply on a Page post.
type Comment struct {
	// ID is the comment ID.
	ID string
	// PostID is the post the comment was listed under; empty for a comment read on its own.
	PostID string
	// ParentID is the comment this one replies to, empty for a top-level comment.
	ParentID string
	// Message is the comment text.
	Message string
	// From is the author, zero when the API withheld it.
	From User
	// CreatedTime is when the comment was written.
	CreatedTime time.Time
	// IsHidden reports whether the Page hid the comment.
	IsHidden bool
	// PermalinkURL links to the comment on Facebook.
	PermalinkURL string
}

// Page is one page of comments.
type Page struct {
	// Comments are the comments on this page, oldest first. A page may be empty and still not
	// be the last.
	Comments []Comment
	// After is the cursor to pass for the next page. On the last page it still points after
	// the newest comment seen, so a poller that keeps it picks up only newer comments later.
	After string
	// HasNext reports whether the API announced a further page.
	HasNext bool
}

type commentJSON struct {
	ID      string `json:"id"`
	Message string `json:"message"`
	From    *struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"from"`
	CreatedTime string `json:"created_time"`
	Parent      *struct {
		ID string `json:"id"`
	} `json:"parent"`
	IsHidden     bool   `json:"is_hidden"`
	PermalinkURL string `json:"permalink_url"`
}

func (cj commentJSON) comment(postID string) (Comment, error) {
	if cj.ID == "" {
		return Comment{}, errors.New("comment without id")
	}
	created, err := time.Parse(graphTimeLayout, cj.CreatedTime)
	if err != nil {
		return Comment{}, fmt.Errorf("comment %s: created_time: %w", cj.ID, err)
	}
	c := Comment{
		ID:           cj.ID,
		PostID:       postID,
		Message:      cj.Message,
		CreatedTime:  created.UTC(),
		IsHidden:     cj.IsHidden,
		PermalinkURL: cj.PermalinkURL,
	}
	if cj.From != nil {
		c.From = User{ID: cj.From.ID, Name: cj.From.Name}
	}
	if cj.Parent != nil {
		c.ParentID = cj.Parent.ID
	}
	return c, nil
}

type pagingJSON struct {
	Cursors struct {
		Before string `json:"before"`
		After  string `json:"after"`
	} `json:"cursors"`
	Next     string `json:"next"`
	Previous string `json:"previous"`
}

// parseCommentsPage reads a comments edge response.
func parseCommentsPage(data []byte, postID string) (Page, error) {
	var env struct {
		Data   *[]commentJSON `json:"data"`
		Paging pagingJSON     `json:"paging"`
	}
	if err := json.Unmarshal(data, &env); err != nil {
		return Page{}, fmt.Errorf("comments page: %w", err)
	}
	if env.Data == nil {
		return Page{}, errors.New("comments page: no data")
	}
	p := Page{
		Comments: make([]Comment, 0, len(*env.Data)),
		After:    env.Paging.Cursors.After,
		HasNext:  env.Paging.Next != "",
	}
	for _, cj := range *env.Data {
		c, err := cj.comment(postID)
		if err != nil {
			return Page{}, fmt.Errorf("comments page: %w", err)
		}
		p.Comments = append(p.Comments, c)
	}
	return p, nil
}

// Comments returns the page of a post's comments and replies (filter=stream), oldest first,
// after the cursor, or from the start when after is empty.
func (c *Client) Comments(ctx context.Context, postID, after string) (Page, error) {
	return c.CommentsSince(ctx, postID, time.Time{}, after)
}

// CommentsSince is Comments restricted to comments created at or after since (ignored when
// zero).
func (c *Client) CommentsSince(ctx context.Context, postID string, since time.Time, after string) (Page, error) {
	if err := validID("post", postID); err != nil {
		return Page{}, fmt.Errorf("list comments: %w", err)
	}
	params := url.Values{
		"fields": {commentFields},
		"filter": {"stream"},
		"order":  {"chronological"},
		"limit":  {strconv.Itoa(c.pageSize)},
	}
	if !since.IsZero() {
		params.Set("since", strconv.FormatInt(since.Unix(), 10))
	}
	if after != "" {
		params.Set("after", after)
	}
	var raw json.RawMessage
	if err := c.call(ctx, http.MethodGet, postID+"/comments", params, &raw); err != nil {
		return Page{}, fmt.Errorf("list comments of %s: %w", postID, err)
	}
	p, err := parseCommentsPage(raw, postID)
	if err != nil {
		return Page{}, fmt.Errorf("list comments of %s: %w", postID, err)
	}
	if p.After == "" {
		p.After = after
	}
	return p, nil
}

// AllComments yields every comment and reply on a post created at or after since (from the
// start when zero), oldest first, following the pages to the end. It stops at the first error,
// which it yields.
func (c *Client) AllComments(ctx context.Context, postID string, since time.Time) iter.Seq2[Comment, error] {
	return func(yield func(Comment, error) bool) {
		after := ""
		for {
			p, err := c.CommentsSince(ctx, postID, since, after)
			if err != nil {
				yield(Comment{}, err)
				return
			}
			for _, cm := range p.Comments {
				if !yield(cm, nil) {
					return
				}
			}
			if !p.HasNext {
				return
			}
			if p.After == after {
				yield(Comment{}, fmt.Errorf("list comments of %s: paging did not advance past cursor", postID))
				return
			}
			after = p.After
		}
	}
}

// Comment reads one comment. A deleted comment gives a GraphError for which ObjectMissing
// holds.
func (c *Client) Comment(ctx context.Context, commentID string) (Comment, error) {
	if err := validID("comment", commentID); err != nil {
		return Comment{}, fmt.Errorf("read comment: %w", err)
	}
	var cj commentJSON
	if err := c.call(ctx, http.MethodGet, commentID, url.Values{"fields": {commentFields}}, &cj); err != nil {
		return Comment{}, fmt.Errorf("read comment %s: %w", commentID, err)
	}
	cm, err := cj.comment("")
	if err != nil {
		return Comment{}, fmt.Errorf("read comment %s: %w", commentID, err)
	}
	return cm, nil
}
