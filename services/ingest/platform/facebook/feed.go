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

// Post is a post on a Page's feed.
type Post struct {
	// ID is the post ID, "<page-id>_<number>".
	ID string
	// Message is the post text, empty for posts without one.
	Message string
	// CreatedTime is when the post was published.
	CreatedTime time.Time
	// PermalinkURL links to the post on Facebook.
	PermalinkURL string
}

// feedPagingParams are the parameters of a feed's next link the client carries over: the feed
// pages by time (until with a paging token), other edges by cursor.
var feedPagingParams = []string{"until", "__paging_token", "after"}

// parseFeedPage reads a feed edge response and the paging parameters of its next link, nil on
// the last page. Only those parameters are taken from the link: the client never follows a URL
// the response supplies, so a link to another host cannot receive the token.
func parseFeedPage(data []byte) ([]Post, url.Values, error) {
	var env struct {
		Data *[]struct {
			ID           string `json:"id"`
			Message      string `json:"message"`
			CreatedTime  string `json:"created_time"`
			PermalinkURL string `json:"permalink_url"`
		} `json:"data"`
		Paging pagingJSON `json:"paging"`
	}
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, nil, fmt.Errorf("feed page: %w", err)
	}
	if env.Data == nil {
		return nil, nil, errors.New("feed page: no data")
	}
	posts := make([]Post, 0, len(*env.Data))
	for _, pj := range *env.Data {
		if pj.ID == "" {
			return nil, nil, errors.New("feed page: post without id")
		}
		created, err := time.Parse(graphTimeLayout, pj.CreatedTime)
		if err != nil {
			return nil, nil, fmt.Errorf("feed page: post %s: created_time: %w", pj.ID, err)
		}
		posts = append(posts, Post{ID: pj.ID, Message: pj.Message, CreatedTime: created.UTC(), PermalinkURL: pj.PermalinkURL})
	}
	if env.Paging.Next == "" {
		return posts, nil, nil
	}
	next, err := url.Parse(env.Paging.Next)
	if err != nil {
		return nil, nil, errors.New("feed page: unreadable next link")
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
			return nil, nil, errors.New("feed page: next link without paging parameters")
		}
		carried.Set("after", env.Paging.Cursors.After)
	}
	return posts, carried, nil
}

// Feed yields the Page's posts created at or after since (all when zero), newest first,
// following the pages to the end. It stops at the first error, which it yields.
func (c *Client) Feed(ctx context.Context, pageID string, since time.Time) iter.Seq2[Post, error] {
	return func(yield func(Post, error) bool) {
		if err := validID("page", pageID); err != nil {
			yield(Post{}, fmt.Errorf("read feed: %w", err))
			return
		}
		var paging url.Values
		for {
			params := url.Values{
				"fields": {"id,message,created_time,permalink_url"},
				"limit":  {strconv.Itoa(c.pageSize)},
			}
			if !since.IsZero() {
				params.Set("since", strconv.FormatInt(since.Unix(), 10))
			}
			for k, vs := range paging {
				params[k] = vs
			}
			var raw json.RawMessage
			if err := c.call(ctx, http.MethodGet, pageID+"/feed", params, &raw); err != nil {
				yield(Post{}, fmt.Errorf("read feed of %s: %w", pageID, err))
				return
			}
			posts, next, err := parseFeedPage(raw)
			if err != nil {
				yield(Post{}, fmt.Errorf("read feed of %s: %w", pageID, err))
				return
			}
			for _, p := range posts {
				if !yield(p, nil) {
					return
				}
			}
			if next == nil {
				return
			}
			if next.Encode() == paging.Encode() {
				yield(Post{}, fmt.Errorf("read feed of %s: paging did not advance", pageID))
				return
			}
			paging = next
		}
	}
}

// Post reads one post, for the text of the post a webhook comment answers.
func (c *Client) Post(ctx context.Context, postID string) (Post, error) {
	if err := validID("post", postID); err != nil {
		return Post{}, fmt.Errorf("read post: %w", err)
	}
	var pj struct {
		ID           string `json:"id"`
		Message      string `json:"message"`
		CreatedTime  string `json:"created_time"`
		PermalinkURL string `json:"permalink_url"`
	}
	if err := c.call(ctx, http.MethodGet, postID, url.Values{"fields": {"id,message,created_time"}}, &pj); err != nil {
		return Post{}, fmt.Errorf("read post %s: %w", postID, err)
	}
	if pj.ID == "" {
		return Post{}, fmt.Errorf("read post %s: response without id", postID)
	}
	p := Post{ID: pj.ID, Message: pj.Message, PermalinkURL: pj.PermalinkURL}
	if pj.CreatedTime != "" {
		t, err := time.Parse(graphTimeLayout, pj.CreatedTime)
		if err != nil {
			return Post{}, fmt.Errorf("read post %s: created_time: %w", postID, err)
		}
		p.CreatedTime = t.UTC()
	}
	return p, nil
}
