// Package webhook receives Meta's webhook deliveries for Facebook Pages (field feed) and
// Instagram business accounts (field comments): it answers the hub.challenge handshake, checks
// X-Hub-Signature-256 on the raw body in constant time, and publishes each new comment once.
package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"google.golang.org/protobuf/types/known/timestamppb"

	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	"github.com/piazza-pa/piazza/services/ingest/platform/facebook"
)

// MaxBody bounds a delivery; Meta batches at most 1000 changes, well under it.
const MaxBody = 4 << 20

// Path is where the Meta webhook endpoint is served.
const Path = "/webhooks/meta"

// Event is one comment a delivery announces, before its tenant is resolved.
type Event struct {
	// Platform is facebook or instagram.
	Platform commentv1.Platform
	// AccountID is the Page or Instagram account that received the comment (entry.id).
	AccountID string
	// Comment is the normalised comment, without tenant and post text.
	Comment *commentv1.Comment
}

type deliveryJSON struct {
	Object string `json:"object"`
	Entry  []struct {
		ID      string `json:"id"`
		Time    int64  `json:"time"`
		Changes []struct {
			Field string          `json:"field"`
			Value json.RawMessage `json:"value"`
		} `json:"changes"`
	} `json:"entry"`
}

type feedValueJSON struct {
	From *struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"from"`
	Item        string          `json:"item"`
	Verb        string          `json:"verb"`
	CommentID   string          `json:"comment_id"`
	PostID      string          `json:"post_id"`
	ParentID    string          `json:"parent_id"`
	CreatedTime json.RawMessage `json:"created_time"`
	Message     string          `json:"message"`
}

type igValueJSON struct {
	From *struct {
		ID       string `json:"id"`
		Username string `json:"username"`
	} `json:"from"`
	Media *struct {
		ID string `json:"id"`
	} `json:"media"`
	ID        string `json:"id"`
	CommentID string `json:"comment_id"`
	ParentID  string `json:"parent_id"`
	Text      string `json:"text"`
}

// ParseDelivery reads a delivery's body into the comments it adds. Changes that add no comment
// (likes, edits, removals, other fields) are left out; a body that is not a delivery, or a
// comment change without its ids, is an error naming the entry and change.
func ParseDelivery(body []byte) ([]Event, error) {
	var d deliveryJSON
	if err := json.Unmarshal(body, &d); err != nil {
		return nil, fmt.Errorf("webhook delivery: %w", err)
	}
	var platform commentv1.Platform
	switch d.Object {
	case "page":
		platform = commentv1.Platform_PLATFORM_FACEBOOK
	case "instagram":
		platform = commentv1.Platform_PLATFORM_INSTAGRAM
	default:
		return nil, fmt.Errorf("webhook delivery: unsupported object %q", d.Object)
	}
	var events []Event
	for i, e := range d.Entry {
		if e.ID == "" {
			return nil, fmt.Errorf("webhook delivery: entry %d without id", i)
		}
		for j, ch := range e.Changes {
			var (
				c   *commentv1.Comment
				err error
			)
			switch {
			case platform == commentv1.Platform_PLATFORM_FACEBOOK && ch.Field == "feed":
				c, err = feedComment(e.ID, ch.Value)
			case platform == commentv1.Platform_PLATFORM_INSTAGRAM && ch.Field == "comments":
				c, err = instagramComment(e.ID, e.Time, ch.Value)
			default:
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("webhook delivery: entry %d change %d: %w", i, j, err)
			}
			if c != nil {
				events = append(events, Event{Platform: platform, AccountID: e.ID, Comment: c})
			}
		}
	}
	return events, nil
}

func feedComment(pageID string, raw json.RawMessage) (*commentv1.Comment, error) {
	var v feedValueJSON
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("feed value: %w", err)
	}
	if v.Item != "comment" || v.Verb != "add" {
		return nil, nil
	}
	if v.CommentID == "" || v.PostID == "" {
		return nil, errors.New("feed comment without comment_id or post_id")
	}
	if v.From != nil && v.From.ID == pageID {
		return nil, nil // the Page's own reply
	}
	c := &commentv1.Comment{
		Platform:  commentv1.Platform_PLATFORM_FACEBOOK,
		CommentId: v.CommentID,
		PageId:    pageID,
		PostId:    v.PostID,
		Channel:   commentv1.Channel_CHANNEL_COMMENT,
		Text:      v.Message,
		Author:    &commentv1.Author{},
	}
	if v.ParentID != "" && v.ParentID != v.PostID {
		c.ParentId = v.ParentID
	}
	if v.From != nil {
		c.Author = &commentv1.Author{Id: v.From.ID, Name: v.From.Name}
	}
	if t, ok := unixOrGraphTime(v.CreatedTime); ok {
		c.CreatedAt = timestamppb.New(t)
	}
	return c, nil
}

// unixOrGraphTime reads created_time, a Unix integer in webhooks, a Graph time string elsewhere.
func unixOrGraphTime(raw json.RawMessage) (time.Time, bool) {
	s := strings.Trim(string(raw), `"`)
	if s == "" || s == "null" {
		return time.Time{}, false
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 && n < 1<<40 {
		return time.Unix(n, 0).UTC(), true
	}
	if t, err := time.Parse("2006-01-02T15:04:05-0700", s); err == nil {
		return t.UTC(), true
	}
	return time.Time{}, false
}

func instagramComment(accountID string, at int64, raw json.RawMessage) (*commentv1.Comment, error) {
	var v igValueJSON
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("comments value: %w", err)
	}
	id := v.ID
	if id == "" {
		id = v.CommentID
	}
	if id == "" {
		return nil, errors.New("instagram comment without id or comment_id")
	}
	if v.From != nil && v.From.ID == accountID {
		return nil, nil // the account's own reply
	}
	c := &commentv1.Comment{
		Platform:  commentv1.Platform_PLATFORM_INSTAGRAM,
		CommentId: id,
		PageId:    accountID,
		ParentId:  v.ParentID,
		Channel:   commentv1.Channel_CHANNEL_COMMENT,
		Text:      v.Text,
		Author:    &commentv1.Author{},
	}
	if v.Media != nil {
		c.PostId = v.Media.ID
	}
	if v.From != nil {
		c.Author = &commentv1.Author{Id: v.From.ID, Name: v.From.Username}
	}
	if at > 0 && at < 1<<40 {
		c.CreatedAt = timestamppb.New(time.Unix(at, 0).UTC())
	}
	return c, nil
}

// Sink publishes a comment once and reports whether it was new.
type Sink interface {
	Publish(ctx context.Context, c *commentv1.Comment) (bool, error)
}

// Meta is the webhook endpoint for Facebook Pages and Instagram accounts.
type Meta struct {
	// AppSecret signs deliveries; without it every delivery is refused.
	AppSecret string
	// VerifyToken answers the subscription handshake; without it the handshake is refused.
	VerifyToken string
	// TenantFor maps a platform ("facebook", "instagram") and account id to the tenant code.
	TenantFor func(platform, accountID string) (string, bool)
	// PostText returns the text of a post for off-topic checks ("" when it cannot be read).
	PostText func(ctx context.Context, c *commentv1.Comment) string
	// Sink publishes the comments.
	Sink Sink
	// Logger receives refusals, never bodies.
	Logger *slog.Logger
	// Deliveries counts deliveries by outcome.
	Deliveries metric.Int64Counter
}

// ServeHTTP answers the handshake (GET) and deliveries (POST).
func (m *Meta) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		challenge, ok := facebook.VerifyChallenge(r.URL.Query(), m.VerifyToken)
		if !ok {
			m.count(r.Context(), "handshake_refused")
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, challenge)
	case http.MethodPost:
		m.deliver(w, r)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

func (m *Meta) count(ctx context.Context, outcome string) {
	if m.Deliveries != nil {
		m.Deliveries.Add(ctx, 1, metric.WithAttributes(attribute.String("outcome", outcome)))
	}
}

func (m *Meta) deliver(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		m.count(ctx, "unreadable")
		http.Error(w, "unreadable body", http.StatusBadRequest)
		return
	}
	if len(body) > MaxBody {
		m.count(ctx, "too_large")
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	if !facebook.VerifySignature(m.AppSecret, body, r.Header.Get("X-Hub-Signature-256")) {
		m.count(ctx, "bad_signature")
		m.Logger.WarnContext(ctx, "webhook delivery refused: missing or wrong signature", "remote", r.RemoteAddr)
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	events, err := ParseDelivery(body)
	if err != nil {
		// Signed by Meta yet unreadable: retrying will not help, so it is refused for good.
		m.count(ctx, "malformed")
		m.Logger.ErrorContext(ctx, "webhook delivery malformed", "err", truncate(err.Error(), 300))
		http.Error(w, "malformed delivery", http.StatusBadRequest)
		return
	}
	for _, ev := range events {
		platform := "facebook"
		if ev.Platform == commentv1.Platform_PLATFORM_INSTAGRAM {
			platform = "instagram"
		}
		tenant, ok := m.TenantFor(platform, ev.AccountID)
		if !ok {
			m.count(ctx, "unknown_account")
			m.Logger.WarnContext(ctx, "webhook comment for an account no tenant maps; dropped", "platform", platform, "account", ev.AccountID)
			continue
		}
		c := ev.Comment
		c.Tenant = tenant
		if m.PostText != nil && c.GetPostId() != "" {
			c.PostText = m.PostText(ctx, c)
		}
		if _, err := m.Sink.Publish(ctx, c); err != nil {
			// Meta retries for 36 hours; what was published already is absorbed then.
			m.count(ctx, "publish_failed")
			m.Logger.ErrorContext(ctx, "webhook publish failed; Meta will retry", "err", err)
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return
		}
	}
	m.count(ctx, "accepted")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "EVENT_RECEIVED")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
