// Package mastodon is the Mastodon API client Piazza's ingest service uses for a Comune's
// account on a (usually public-sector) instance: it reads the mentions from the notifications
// with Link-header paging, reads a status for the text a reply answers, and enforces what an
// account can — block, mute, report — since it cannot delete others' posts. It tracks the
// X-RateLimit-* headers, pauses before the limit and refuses calls after a 429 until the reset.
package mastodon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

const maxBody = 8 << 20

// Config configures a Client.
type Config struct {
	// BaseURL is the instance's origin, such as https://social.regione.it. It is required.
	BaseURL string
	// AccessToken is the account's token (scopes read:notifications read:statuses
	// write:blocks write:mutes write:reports write:statuses). It is required.
	AccessToken string
	// HTTPClient sends the requests; a plain client when nil.
	HTTPClient *http.Client
	// Timeout bounds a call whose context has no deadline; 15s when zero.
	Timeout time.Duration
	// SlowBelow is the share of the window's requests left (0..1) under which the client
	// spaces its calls out; 0.1 when zero.
	SlowBelow float64
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// String describes the configuration without the token.
func (c Config) String() string {
	tok := `""`
	if c.AccessToken != "" {
		tok = "[redacted]"
	}
	return fmt.Sprintf("mastodon.Config{BaseURL:%q AccessToken:%s}", c.BaseURL, tok)
}

// GoString is String.
func (c Config) GoString() string { return c.String() }

// RateLimit is the last X-RateLimit-* the instance reported.
type RateLimit struct {
	// Limit is the requests allowed per window (300 per 5 minutes by default).
	Limit int
	// Remaining is the requests left in the window.
	Remaining int
	// Reset is when the window restarts.
	Reset time.Time
}

// Client calls one account's API. It is safe for concurrent use.
type Client struct {
	base    string
	token   string
	http    *http.Client
	timeout time.Duration
	slow    float64
	now     func() time.Time

	mu sync.Mutex
	rl RateLimit
}

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	if cfg.AccessToken == "" {
		return nil, errors.New("mastodon client: access token is required")
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("mastodon client: base URL %q must be an absolute http(s) URL", cfg.BaseURL)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	if cfg.SlowBelow <= 0 {
		cfg.SlowBelow = 0.1
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Client{base: strings.TrimRight(cfg.BaseURL, "/"), token: cfg.AccessToken, http: cfg.HTTPClient, timeout: cfg.Timeout, slow: cfg.SlowBelow, now: cfg.Now}, nil
}

// String describes the client without its token.
func (c *Client) String() string { return "mastodon.Client{" + c.base + "}" }

// GoString is String.
func (c *Client) GoString() string { return c.String() }

// RateLimit returns the last rate-limit headers seen.
func (c *Client) RateLimit() RateLimit {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rl
}

// APIError is an error answer of the instance.
type APIError struct {
	// HTTPStatus is the response status.
	HTTPStatus int
	// Message is the instance's "error" text.
	Message string
	// RetryAfter is how long to wait after a 429, from X-RateLimit-Reset.
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	return fmt.Sprintf("mastodon api: %s (http %d)", e.Message, e.HTTPStatus)
}

// RateLimited reports a 429.
func (e *APIError) RateLimited() bool { return e.HTTPStatus == http.StatusTooManyRequests }

// TokenInvalid reports a revoked or invalid token (401).
func (e *APIError) TokenInvalid() bool { return e.HTTPStatus == http.StatusUnauthorized }

// ObjectMissing reports a status or account that is gone (404).
func (e *APIError) ObjectMissing() bool { return e.HTTPStatus == http.StatusNotFound }

// Transient reports an error worth retrying: 5xx or 429.
func (e *APIError) Transient() bool { return e.HTTPStatus >= 500 || e.RateLimited() }

// Permanent reports an error no retry fixes (any other 4xx).
func (e *APIError) Permanent() bool { return !e.Transient() }

// RetryAfterHint says how long a poller waits: the reset after a 429, a long pause and an
// alert for a permanent error.
func (e *APIError) RetryAfterHint() (time.Duration, bool) {
	switch {
	case e.RateLimited():
		return max(e.RetryAfter, time.Second), false
	case e.Transient():
		return 0, false
	}
	return 15 * time.Minute, true
}

// ParseError reads an error body ({"error":"…"}); it never fails.
func ParseError(status int, body []byte) *APIError {
	e := &APIError{HTTPStatus: status}
	var env struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if json.Unmarshal(body, &env) != nil || env.Error == "" {
		e.Message = "unreadable error response: " + http.StatusText(status)
		return e
	}
	e.Message = env.Error
	if env.Description != "" {
		e.Message += ": " + env.Description
	}
	if len(e.Message) > 500 {
		e.Message = strings.ToValidUTF8(e.Message[:500], "") + "…"
	}
	return e
}

func parseRateLimit(h http.Header) (RateLimit, bool) {
	limit, err1 := strconv.Atoi(h.Get("X-RateLimit-Limit"))
	remaining, err2 := strconv.Atoi(h.Get("X-RateLimit-Remaining"))
	reset, err3 := time.Parse(time.RFC3339Nano, h.Get("X-RateLimit-Reset"))
	if err1 != nil || err2 != nil || err3 != nil || limit <= 0 {
		return RateLimit{}, false
	}
	return RateLimit{Limit: limit, Remaining: max(remaining, 0), Reset: reset}, true
}

// pace returns how long to wait before the next call: until the reset when nothing is left,
// the rest of the window spread over the remaining calls when few are left.
func (c *Client) pace() (time.Duration, bool) {
	c.mu.Lock()
	rl := c.rl
	c.mu.Unlock()
	now := c.now()
	if rl.Limit == 0 || !rl.Reset.After(now) {
		return 0, false
	}
	left := rl.Reset.Sub(now)
	if rl.Remaining == 0 {
		return left, true
	}
	if float64(rl.Remaining) < c.slow*float64(rl.Limit) {
		return left / time.Duration(rl.Remaining+1), false
	}
	return 0, false
}

// call sends one request; GET and DELETE carry params in the query, POST in a form body.
func (c *Client) call(ctx context.Context, method, path string, params url.Values, out any) (http.Header, error) {
	if wait, exhausted := c.pace(); exhausted {
		return nil, fmt.Errorf("mastodon %s %s: %w", method, path, &APIError{HTTPStatus: http.StatusTooManyRequests, Message: "rate limit used up (local)", RetryAfter: wait})
	} else if wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("mastodon %s %s: %w", method, path, ctx.Err())
		}
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	target := c.base + path
	var body io.Reader
	if method == http.MethodPost {
		body = strings.NewReader(params.Encode())
	} else if len(params) > 0 {
		target += "?" + params.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, fmt.Errorf("mastodon %s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, fmt.Errorf("mastodon %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("mastodon %s %s: read response: %w", method, path, err)
	}
	rl, hasRL := parseRateLimit(resp.Header)
	if hasRL {
		c.mu.Lock()
		c.rl = rl
		c.mu.Unlock()
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		aerr := ParseError(resp.StatusCode, data)
		aerr.Message = strings.ReplaceAll(aerr.Message, c.token, "[redacted]")
		if aerr.RateLimited() {
			aerr.RetryAfter = time.Minute
			if hasRL && rl.Reset.After(c.now()) {
				aerr.RetryAfter = rl.Reset.Sub(c.now())
			}
		}
		return nil, fmt.Errorf("mastodon %s %s: %w", method, path, aerr)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return nil, fmt.Errorf("mastodon %s %s: decode response: %w", method, path, err)
		}
	}
	return resp.Header, nil
}

// NextMaxID reads the max_id of the rel="next" link of a Link header, "" when there is none.
// Only the parameter is taken: the client never follows a URL the response supplies.
func NextMaxID(link string) string {
	for part := range strings.SplitSeq(link, ",") {
		target, params, ok := strings.Cut(part, ";")
		target = strings.TrimSpace(target)
		if !ok || !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
			continue
		}
		next := false
		for p := range strings.SplitSeq(params, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(k, "rel") && strings.Trim(v, `"`) == "next" {
				next = true
			}
		}
		if !next {
			continue
		}
		u, err := url.Parse(target[1 : len(target)-1])
		if err != nil {
			return ""
		}
		return u.Query().Get("max_id")
	}
	return ""
}
