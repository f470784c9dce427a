package mastodon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Account is a Mastodon account.
type Account struct {
	// ID is the account id on the instance, the one to block or mute.
	ID string
	// Acct is user@domain (or user for local accounts).
	Acct string
	// DisplayName is the shown name.
	DisplayName string
}

// Status is a post.
type Status struct {
	// ID is the status id.
	ID string
	// Text is the content as plain text.
	Text string
	// InReplyToID is the status this one answers.
	InReplyToID string
	// URL is the status's public page.
	URL string
	// Visibility is public, unlisted, private or direct.
	Visibility string
	// CreatedAt is when it was posted.
	CreatedAt time.Time
	// Account is the author.
	Account Account
}

// Notification is a mention of the account.
type Notification struct {
	// ID is the notification id; ids grow with time.
	ID string
	// Status is the status that mentions the account.
	Status Status
}

type accountJSON struct {
	ID          string `json:"id"`
	Acct        string `json:"acct"`
	DisplayName string `json:"display_name"`
}

type statusJSON struct {
	ID          string       `json:"id"`
	Content     string       `json:"content"`
	InReplyToID *string      `json:"in_reply_to_id"`
	URL         *string      `json:"url"`
	Visibility  string       `json:"visibility"`
	CreatedAt   string       `json:"created_at"`
	Account     *accountJSON `json:"account"`
}

func (sj statusJSON) status() (Status, error) {
	if sj.ID == "" || sj.Account == nil || sj.Account.ID == "" {
		return Status{}, errors.New("status without id or account")
	}
	t, err := time.Parse(time.RFC3339Nano, sj.CreatedAt)
	if err != nil {
		return Status{}, fmt.Errorf("status %s: created_at: %w", sj.ID, err)
	}
	s := Status{ID: sj.ID, Text: HTMLToText(sj.Content), Visibility: sj.Visibility, CreatedAt: t.UTC(),
		Account: Account{ID: sj.Account.ID, Acct: sj.Account.Acct, DisplayName: sj.Account.DisplayName}}
	if sj.InReplyToID != nil {
		s.InReplyToID = *sj.InReplyToID
	}
	if sj.URL != nil {
		s.URL = *sj.URL
	}
	return s, nil
}

// ParseNotifications reads a notifications response, keeping the mentions that carry a status.
func ParseNotifications(data []byte) ([]Notification, error) {
	var raw []struct {
		ID     string      `json:"id"`
		Type   string      `json:"type"`
		Status *statusJSON `json:"status"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("notifications: %w", err)
	}
	var out []Notification
	for i, n := range raw {
		if n.ID == "" {
			return nil, fmt.Errorf("notifications: item %d without id", i)
		}
		if n.Type != "mention" || n.Status == nil {
			continue
		}
		s, err := n.Status.status()
		if err != nil {
			return nil, fmt.Errorf("notifications: item %d: %w", i, err)
		}
		out = append(out, Notification{ID: n.ID, Status: s})
	}
	return out, nil
}

func validID(kind, id string) error {
	if id == "" || strings.ContainsAny(id, "/?#%\\ \t\r\n&=") {
		if kind == "user" || kind == "account" {
			return fmt.Errorf("invalid %s id", kind) // a user id stays out of errors and logs
		}
		return fmt.Errorf("invalid %s id %q", kind, id)
	}
	return nil
}

// Mentions returns one page of mention notifications, newest first, newer than sinceID (all
// when empty) and older than maxID (from the newest when empty), and the max_id of the next,
// older page ("" on the last one).
func (c *Client) Mentions(ctx context.Context, sinceID, maxID string) ([]Notification, string, error) {
	params := url.Values{"types[]": {"mention"}, "limit": {"80"}}
	if sinceID != "" {
		params.Set("since_id", sinceID)
	}
	if maxID != "" {
		params.Set("max_id", maxID)
	}
	var raw json.RawMessage
	h, err := c.call(ctx, http.MethodGet, "/api/v1/notifications", params, &raw)
	if err != nil {
		return nil, "", fmt.Errorf("read mentions: %w", err)
	}
	ns, err := ParseNotifications(raw)
	if err != nil {
		return nil, "", fmt.Errorf("read mentions: %w", err)
	}
	next := NextMaxID(h.Get("Link"))
	if next == maxID {
		next = ""
	}
	return ns, next, nil
}

// Status reads one status.
func (c *Client) Status(ctx context.Context, id string) (Status, error) {
	if err := validID("status", id); err != nil {
		return Status{}, fmt.Errorf("read status: %w", err)
	}
	var sj statusJSON
	if _, err := c.call(ctx, http.MethodGet, "/api/v1/statuses/"+id, nil, &sj); err != nil {
		return Status{}, fmt.Errorf("read status %s: %w", id, err)
	}
	s, err := sj.status()
	if err != nil {
		return Status{}, fmt.Errorf("read status %s: %w", id, err)
	}
	return s, nil
}

// relationship posts an account action and checks the relationship it returns.
func (c *Client) relationship(ctx context.Context, accountID, verb, field string, params url.Values) error {
	if err := validID("account", accountID); err != nil {
		return fmt.Errorf("%s account: %w", verb, err)
	}
	var rel map[string]any
	if _, err := c.call(ctx, http.MethodPost, "/api/v1/accounts/"+accountID+"/"+verb, params, &rel); err != nil {
		return fmt.Errorf("%s account: %w", verb, err)
	}
	if on, _ := rel[field].(bool); !on {
		return fmt.Errorf("%s account: relationship without %s", verb, field)
	}
	return nil
}

// Block blocks an account: it can no longer see or answer the Comune's posts.
func (c *Client) Block(ctx context.Context, accountID string) error {
	return c.relationship(ctx, accountID, "block", "blocking", nil)
}

// Mute mutes an account for d (indefinitely when zero): its posts and mentions no longer reach
// the Comune's account.
func (c *Client) Mute(ctx context.Context, accountID string, d time.Duration) error {
	params := url.Values{"notifications": {"true"}}
	if d > 0 {
		params.Set("duration", strconv.FormatInt(int64(d/time.Second), 10))
	}
	return c.relationship(ctx, accountID, "mute", "muting", params)
}

// Report files a report with the instance's moderators about an account's statuses and returns
// its id. category is spam, legal, violation or other.
func (c *Client) Report(ctx context.Context, accountID string, statusIDs []string, category, comment string) (string, error) {
	if err := validID("account", accountID); err != nil {
		return "", fmt.Errorf("report: %w", err)
	}
	params := url.Values{"account_id": {accountID}, "category": {category}, "forward": {"true"}}
	if comment != "" {
		params.Set("comment", comment)
	}
	for _, id := range statusIDs {
		params.Add("status_ids[]", id)
	}
	var res struct {
		ID string `json:"id"`
	}
	if _, err := c.call(ctx, http.MethodPost, "/api/v1/reports", params, &res); err != nil {
		return "", fmt.Errorf("report account: %w", err)
	}
	if res.ID == "" {
		return "", fmt.Errorf("report account: response without id")
	}
	return res.ID, nil
}

// Reply posts a status in reply to inReplyTo with the given visibility (public for a public
// reply, direct for a private one) and returns its id. The text must mention the author for a
// direct reply to reach them.
func (c *Client) Reply(ctx context.Context, inReplyTo, text, visibility string) (string, error) {
	if err := validID("status", inReplyTo); err != nil {
		return "", fmt.Errorf("reply: %w", err)
	}
	if strings.TrimSpace(text) == "" {
		return "", fmt.Errorf("reply to %s: empty text", inReplyTo)
	}
	var sj statusJSON
	params := url.Values{"status": {text}, "in_reply_to_id": {inReplyTo}, "visibility": {visibility}}
	if _, err := c.call(ctx, http.MethodPost, "/api/v1/statuses", params, &sj); err != nil {
		return "", fmt.Errorf("reply to %s: %w", inReplyTo, err)
	}
	if sj.ID == "" {
		return "", fmt.Errorf("reply to %s: response without id", inReplyTo)
	}
	return sj.ID, nil
}
