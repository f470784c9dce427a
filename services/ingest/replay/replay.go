// Package replay reads comments in the labelled-data JSON Lines format (one object per line, as
// in the project's taxonomy) and turns them into Comment events. It is the source behind the
// demo and behind replays of exported comments; label fields are ignored.
package replay

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/piazza-pa/piazza/pkg/bus"
	"github.com/piazza-pa/piazza/pkg/comments"
	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
)

// Line is one JSON line. Only id, tenant and text are required.
type Line struct {
	ID        string `json:"id"`
	Tenant    string `json:"tenant"`
	Channel   string `json:"channel"`
	Platform  string `json:"platform"`
	PageID    string `json:"page_id"`
	PostID    string `json:"post_id"`
	PostText  string `json:"post_text"`
	Text      string `json:"text"`
	CreatedAt string `json:"created_at"`
	Permalink string `json:"permalink"`
	Author    struct {
		ID        string `json:"id"`
		Name      string `json:"name"`
		Anonymous bool   `json:"anonymous"`
	} `json:"author"`
}

// LineError is a line that could not be read, with its 1-based number.
type LineError struct {
	Line int
	Err  error
}

func (e LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e LineError) Unwrap() error { return e.Err }

// MaxLineBytes bounds one line.
const MaxLineBytes = 1 << 20

// Read calls fn for every valid line of r, in order, and returns the lines it skipped. It stops
// early only when fn returns an error or r fails.
func Read(r io.Reader, fn func(line int, c *commentv1.Comment) error) ([]LineError, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), MaxLineBytes)
	var skipped []LineError
	n := 0
	for sc.Scan() {
		n++
		raw := strings.TrimSpace(sc.Text())
		if raw == "" {
			continue
		}
		c, err := Parse([]byte(raw))
		if err != nil {
			skipped = append(skipped, LineError{Line: n, Err: err})
			continue
		}
		if err := fn(n, c); err != nil {
			return skipped, err
		}
	}
	if err := sc.Err(); err != nil {
		return skipped, fmt.Errorf("read line %d: %w", n+1, err)
	}
	return skipped, nil
}

// Parse turns one JSON line into a Comment. The platform defaults to "replay", the channel to a
// public comment, and the author id to the author's name (so that a named author's repeated
// violations are counted together).
func Parse(raw []byte) (*commentv1.Comment, error) {
	var l Line
	if err := json.Unmarshal(raw, &l); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	switch {
	case l.ID == "":
		return nil, errors.New("missing id")
	case l.Tenant == "":
		return nil, errors.New("missing tenant")
	case !bus.ValidTenant(l.Tenant):
		return nil, fmt.Errorf("invalid tenant %q", l.Tenant)
	case strings.TrimSpace(l.Text) == "":
		return nil, errors.New("missing text")
	}
	c := &commentv1.Comment{
		Tenant:    l.Tenant,
		Platform:  commentv1.Platform_PLATFORM_REPLAY,
		CommentId: l.ID,
		PageId:    l.PageID,
		PostId:    l.PostID,
		PostText:  l.PostText,
		Text:      l.Text,
		Permalink: l.Permalink,
		Channel:   commentv1.Channel_CHANNEL_COMMENT,
		Author:    &commentv1.Author{Id: l.Author.ID, Name: l.Author.Name, Anonymous: l.Author.Anonymous},
	}
	if l.Platform != "" {
		p, ok := comments.ParsePlatform(l.Platform)
		if !ok {
			return nil, fmt.Errorf("unknown platform %q", l.Platform)
		}
		c.Platform = p
	}
	switch l.Channel {
	case "", "comment":
	case "private_message":
		c.Channel = commentv1.Channel_CHANNEL_PRIVATE_MESSAGE
	default:
		return nil, fmt.Errorf("unknown channel %q", l.Channel)
	}
	if c.Author.Id == "" {
		c.Author.Id = "name:" + l.Author.Name
	}
	if l.CreatedAt != "" {
		t, err := time.Parse(time.RFC3339, l.CreatedAt)
		if err != nil {
			return nil, fmt.Errorf("invalid created_at: %w", err)
		}
		c.CreatedAt = timestamppb.New(t)
	}
	return c, nil
}

// Publisher publishes a comment with its deduplicating message id.
type Publisher interface {
	PublishComment(ctx context.Context, c *commentv1.Comment) error
}

// BusPublisher publishes comments on piazza.<tenant>.comment.received.
type BusPublisher struct {
	Bus *bus.Publisher
}

// PublishComment publishes c with message id "<platform>:<comment id>".
func (p BusPublisher) PublishComment(ctx context.Context, c *commentv1.Comment) error {
	if c.GetCreatedAt() == nil {
		c.CreatedAt = timestamppb.Now()
	}
	return p.Bus.Publish(ctx, bus.CommentReceived(c.GetTenant()), comments.MessageID(c), c)
}
