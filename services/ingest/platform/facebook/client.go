// Package facebook is the Meta Graph API client Piazza's ingest service uses for Facebook Pages:
// it reads a Page's posts and comments, applies moderation actions (hide, delete, public reply,
// private reply, block) and verifies webhook signatures. The base URL and API version are
// configurable so the same client talks to graph.facebook.com in production and to the local
// fake (package fakegraph) in tests and in the demo.
//
// The client makes one attempt per call; retrying is the caller's decision, guided by
// GraphError's Transient, Permanent and RateLimited and by Client.Usage. The access token is
// sent only in the Authorization header and never appears in an error.
package facebook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
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

// Defaults applied by New to zero-valued Config fields.
const (
	// DefaultBaseURL is the production Graph API host.
	DefaultBaseURL = "https://graph.facebook.com"
	// DefaultVersion is the Graph API version the client calls.
	DefaultVersion = "v26.0"
	// DefaultPageSize is the limit asked for on list calls.
	DefaultPageSize = 100
	// DefaultTimeout bounds a call whose context has no deadline.
	DefaultTimeout = 15 * time.Second
)

// maxBody bounds how much of a response the client reads.
const maxBody = 8 << 20

// Config configures a Client.
type Config struct {
	// BaseURL is the Graph API origin, without the version; DefaultBaseURL when empty.
	BaseURL string
	// Version is the API version path segment, such as "v26.0"; DefaultVersion when empty.
	Version string
	// AccessToken is the Page access token. It is required.
	AccessToken string
	// AppSecret, when set, makes the client send appsecret_proof with every call, as apps with
	// "require app secret" must.
	AppSecret string
	// HTTPClient sends the requests; a client without its own timeout when nil.
	HTTPClient *http.Client
	// PageSize is the limit asked for on list calls, at most 100; DefaultPageSize when zero.
	PageSize int
	// Timeout bounds each call whose context carries no deadline; DefaultTimeout when zero.
	Timeout time.Duration
}

// String describes the configuration without its secrets, so a logged Config leaks nothing.
func (c Config) String() string {
	return fmt.Sprintf("facebook.Config{BaseURL:%q Version:%q AccessToken:%s AppSecret:%s PageSize:%d Timeout:%s}",
		c.BaseURL, c.Version, redacted(c.AccessToken), redacted(c.AppSecret), c.PageSize, c.Timeout)
}

// GoString is String, so %#v does not print the secrets either.
func (c Config) GoString() string { return c.String() }

func redacted(s string) string {
	if s == "" {
		return `""`
	}
	return "[redacted]"
}

// Client calls the Graph API for one Page access token. It is safe for concurrent use.
type Client struct {
	base     string // BaseURL + "/" + Version
	token    string
	proof    string // appsecret_proof, empty without an app secret
	http     *http.Client
	pageSize int
	timeout  time.Duration

	mu    sync.Mutex
	usage Usage
}

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	if cfg.AccessToken == "" {
		return nil, errors.New("facebook client: access token is required")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if cfg.Version == "" {
		cfg.Version = DefaultVersion
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("facebook client: base URL %q must be an absolute http(s) URL", cfg.BaseURL)
	}
	if strings.Contains(cfg.Version, "/") {
		return nil, fmt.Errorf("facebook client: version %q must be a single path segment", cfg.Version)
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = DefaultPageSize
	}
	cfg.PageSize = min(cfg.PageSize, 100)
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{}
	}
	c := &Client{
		base:     strings.TrimRight(cfg.BaseURL, "/") + "/" + cfg.Version,
		token:    cfg.AccessToken,
		http:     cfg.HTTPClient,
		pageSize: cfg.PageSize,
		timeout:  cfg.Timeout,
	}
	if cfg.AppSecret != "" {
		c.proof = AppSecretProof(cfg.AccessToken, cfg.AppSecret)
	}
	return c, nil
}

// String describes the client without its token.
func (c *Client) String() string { return "facebook.Client{" + c.base + "}" }

// GoString is String, so %#v does not print the token either.
func (c *Client) GoString() string { return c.String() }

// AppSecretProof returns appsecret_proof for token: the hex HMAC-SHA256 of the token keyed with
// the app secret.
func AppSecretProof(token, appSecret string) string {
	m := hmac.New(sha256.New, []byte(appSecret))
	m.Write([]byte(token))
	return hex.EncodeToString(m.Sum(nil))
}

// Usage returns the usage last reported by the Graph API, so callers can slow down before a
// limit is reached rather than after.
func (c *Client) Usage() Usage {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.usage
}

// validID rejects IDs that would change the request path.
func validID(kind, id string) error {
	if id == "" || strings.ContainsAny(id, "/?#%\\ \t\r\n") || id == "." || id == ".." {
		if kind == "user" || kind == "account" {
			return fmt.Errorf("invalid %s ID", kind) // a user id stays out of errors and logs
		}
		return fmt.Errorf("invalid %s ID %q", kind, id)
	}
	return nil
}

// call sends one request to path (relative to the version) and decodes a successful JSON
// response into out. GET and DELETE carry params in the query, POST in a form body.
func (c *Client) call(ctx context.Context, method, path string, params url.Values, out any) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	if params == nil {
		params = url.Values{}
	}
	if c.proof != "" {
		params.Set("appsecret_proof", c.proof)
	}
	target := c.base + "/" + path
	var body io.Reader
	if method == http.MethodPost {
		body = strings.NewReader(params.Encode())
	} else if len(params) > 0 {
		target += "?" + params.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return fmt.Errorf("graph %s /%s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// url.Error repeats the URL; the path is enough context and keeps the query out.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return fmt.Errorf("graph %s /%s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("graph %s /%s: read response: %w", method, path, err)
	}
	now := time.Now()
	usage, hasUsage := parseUsage(resp.Header, now)
	if hasUsage {
		c.mu.Lock()
		c.usage = usage
		c.mu.Unlock()
	}
	if gerr := parseError(resp.StatusCode, data); gerr != nil {
		gerr.Message = strings.ReplaceAll(gerr.Message, c.token, "[redacted]")
		if gerr.RateLimited() {
			gerr.RetryAfter = usage.RegainAccess
		}
		return fmt.Errorf("graph %s /%s: %w", method, path, gerr)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("graph %s /%s: decode response: %w", method, path, err)
	}
	return nil
}
