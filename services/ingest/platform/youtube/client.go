// Package youtube is the YouTube Data API v3 client Piazza's ingest service uses for a Comune's
// channel: it lists comment threads (published and held for review), reads a video's title for
// off-topic checks, sets moderation status (rejected, with banAuthor) and replies. Every call is
// charged to a Quota (1 unit per read, 50 per write) before it is sent, so the daily budget is
// never overrun; the API's own quotaExceeded is honoured too. The base URL is configurable so the
// same client talks to the fake (package fakeyoutube) in tests and in the demo.
package youtube

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// DefaultBaseURL is the production API root.
const DefaultBaseURL = "https://youtube.googleapis.com/youtube/v3"

// Quota costs of the calls the client makes.
const (
	ReadCost  = 1
	WriteCost = 50
	// DefaultDailyQuota is a project's default daily allowance.
	DefaultDailyQuota = 10000
)

const maxBody = 8 << 20

// Config configures a Client.
type Config struct {
	// BaseURL is the API root, DefaultBaseURL when empty.
	BaseURL string
	// AccessToken is an OAuth token with scope youtube.force-ssl. It is required.
	AccessToken string
	// HTTPClient sends the requests; a plain client when nil.
	HTTPClient *http.Client
	// Quota is charged before each call; a private DefaultDailyQuota budget when nil.
	Quota *Quota
	// Timeout bounds a call whose context has no deadline; 15s when zero.
	Timeout time.Duration
	// KeepForWrites is the part of the daily quota reads may not touch, so that the
	// moderation actions (50 units each) still go out after a day of busy polling.
	KeepForWrites int
}

// String describes the configuration without the token.
func (c Config) String() string {
	tok := `""`
	if c.AccessToken != "" {
		tok = "[redacted]"
	}
	return fmt.Sprintf("youtube.Config{BaseURL:%q AccessToken:%s}", c.BaseURL, tok)
}

// GoString is String, so %#v does not print the token either.
func (c Config) GoString() string { return c.String() }

// Client calls the YouTube Data API with one channel's token. It is safe for concurrent use.
type Client struct {
	base    string
	token   string
	http    *http.Client
	quota   *Quota
	keep    int
	timeout time.Duration
}

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	if cfg.AccessToken == "" {
		return nil, errors.New("youtube client: access token is required")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("youtube client: base URL %q must be an absolute http(s) URL", cfg.BaseURL)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{}
	}
	if cfg.Quota == nil {
		cfg.Quota = NewQuota(DefaultDailyQuota)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	return &Client{base: strings.TrimRight(cfg.BaseURL, "/"), token: cfg.AccessToken, http: cfg.HTTPClient, quota: cfg.Quota, keep: max(cfg.KeepForWrites, 0), timeout: cfg.Timeout}, nil
}

// String describes the client without its token.
func (c *Client) String() string { return "youtube.Client{" + c.base + "}" }

// GoString is String.
func (c *Client) GoString() string { return c.String() }

// Quota returns the budget the client charges.
func (c *Client) Quota() *Quota { return c.quota }

// Quota is a daily budget of API units, reset at midnight Pacific time as Google's is. One
// Quota is shared by the clients of one Google project. It is safe for concurrent use.
type Quota struct {
	mu    sync.Mutex
	daily int
	used  int
	day   string
	until time.Time // the API said quotaExceeded: nothing before this
	now   func() time.Time
	loc   *time.Location
}

// NewQuota returns a budget of daily units.
func NewQuota(daily int) *Quota {
	loc, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		loc = time.FixedZone("PST", -8*3600)
	}
	return &Quota{daily: daily, now: time.Now, loc: loc}
}

// SetClock replaces the clock, for tests.
func (q *Quota) SetClock(now func() time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.now = now
}

func (q *Quota) roll() time.Time {
	now := q.now()
	if d := now.In(q.loc).Format(time.DateOnly); d != q.day {
		q.day, q.used = d, 0
	}
	return now
}

// nextReset is the next midnight Pacific after now.
func (q *Quota) nextReset(now time.Time) time.Time {
	p := now.In(q.loc)
	return time.Date(p.Year(), p.Month(), p.Day()+1, 0, 0, 0, 0, q.loc)
}

// Spend charges units, or fails with a *QuotaError when the day's budget cannot cover them.
func (q *Quota) Spend(units int) error { return q.SpendKeeping(units, 0) }

// SpendKeeping is Spend that also fails when fewer than keep units would be left.
func (q *Quota) SpendKeeping(units, keep int) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.roll()
	if now.Before(q.until) {
		return &QuotaError{Until: q.until, Remaining: q.daily - q.used}
	}
	if q.used+units+keep > q.daily {
		return &QuotaError{Until: q.nextReset(now), Remaining: q.daily - q.used}
	}
	q.used += units
	return nil
}

// UsedPercent is the share of today's budget spent, 100 while the API has said quotaExceeded.
func (q *Quota) UsedPercent() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.roll()
	if now.Before(q.until) || q.daily <= 0 {
		return 100
	}
	return q.used * 100 / q.daily
}

// exhausted records the API's own quotaExceeded: no call until the next reset.
func (q *Quota) exhausted() time.Time {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.until = q.nextReset(q.roll())
	return q.until
}

// Used returns the units spent today.
func (q *Quota) Used() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.roll()
	return q.used
}

// QuotaError says the daily budget is spent; calls resume at Until.
type QuotaError struct {
	// Until is the next quota reset.
	Until time.Time
	// Remaining is the units left, too few for the call.
	Remaining int
}

func (e *QuotaError) Error() string {
	return fmt.Sprintf("youtube quota exhausted (%d units left) until %s", e.Remaining, e.Until.UTC().Format(time.RFC3339))
}

// RetryAfterHint is how long to wait: until the reset. It is not permanent.
func (e *QuotaError) RetryAfterHint() (time.Duration, bool) { return time.Until(e.Until), false }

// APIError is an error answer of the API.
type APIError struct {
	// HTTPStatus is the response status.
	HTTPStatus int
	// Message is the API's message.
	Message string
	// Reasons are the errors[].reason values, such as quotaExceeded or commentNotFound.
	Reasons []string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("youtube api: %s (http %d, reasons %s)", e.Message, e.HTTPStatus, strings.Join(e.Reasons, ","))
}

func (e *APIError) has(reasons ...string) bool {
	for _, r := range e.Reasons {
		for _, want := range reasons {
			if r == want {
				return true
			}
		}
	}
	return false
}

// QuotaExceeded reports the daily quota is spent.
func (e *APIError) QuotaExceeded() bool { return e.has("quotaExceeded", "dailyLimitExceeded") }

// RateLimited reports a short-term limit (rateLimitExceeded, 429).
func (e *APIError) RateLimited() bool {
	return e.HTTPStatus == http.StatusTooManyRequests || e.has("rateLimitExceeded", "userRateLimitExceeded")
}

// TokenInvalid reports an invalid or expired token (401).
func (e *APIError) TokenInvalid() bool { return e.HTTPStatus == http.StatusUnauthorized }

// Transient reports an error worth retrying later.
func (e *APIError) Transient() bool {
	return e.HTTPStatus >= 500 || e.RateLimited() || e.QuotaExceeded()
}

// Permanent reports an error no retry fixes: bad token, no permission, missing object, bad
// request.
func (e *APIError) Permanent() bool { return !e.Transient() }

// RetryAfterHint says how long a poller waits: a minute after a rate limit, a long pause and an
// alert for a permanent error.
func (e *APIError) RetryAfterHint() (time.Duration, bool) {
	switch {
	case e.RateLimited():
		return time.Minute, false
	case e.Transient():
		return 0, false
	}
	return 15 * time.Minute, true
}

// ObjectMissing reports that the comment is gone.
func (e *APIError) ObjectMissing() bool {
	return e.HTTPStatus == http.StatusNotFound || e.has("commentNotFound", "notFound")
}

// ParseError reads an error body; it never fails: an unreadable body gives an APIError that
// says so.
func ParseError(status int, body []byte) *APIError {
	var env struct {
		Error *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
			Errors  []struct {
				Reason string `json:"reason"`
			} `json:"errors"`
		} `json:"error"`
	}
	e := &APIError{HTTPStatus: status}
	if err := json.Unmarshal(body, &env); err != nil || env.Error == nil {
		e.Message = "unreadable error response: " + http.StatusText(status)
		return e
	}
	e.Message = env.Error.Message
	if len(e.Message) > 500 {
		e.Message = strings.ToValidUTF8(e.Message[:500], "") + "…"
	}
	for i, r := range env.Error.Errors {
		if i == 10 {
			break
		}
		e.Reasons = append(e.Reasons, r.Reason)
	}
	return e
}

// call sends one request and decodes a JSON success into out (nil for an empty answer).
func (c *Client) call(ctx context.Context, method, path string, params url.Values, body any, cost int, out any) error {
	keep := 0
	if cost == ReadCost {
		keep = c.keep
	}
	if err := c.quota.SpendKeeping(cost, keep); err != nil {
		return fmt.Errorf("youtube %s %s: %w", method, path, err)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	target := c.base + "/" + path
	if len(params) > 0 {
		target += "?" + params.Encode()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("youtube %s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return fmt.Errorf("youtube %s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return fmt.Errorf("youtube %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("youtube %s %s: read response: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		aerr := ParseError(resp.StatusCode, data)
		aerr.Message = strings.ReplaceAll(aerr.Message, c.token, "[redacted]")
		if aerr.QuotaExceeded() {
			c.quota.exhausted()
		}
		return fmt.Errorf("youtube %s %s: %w", method, path, aerr)
	}
	if out == nil || len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("youtube %s %s: decode response: %w", method, path, err)
	}
	return nil
}
