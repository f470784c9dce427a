package routing

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/smtp"
	"strconv"
	"strings"
	"time"
)

// Notification is one message to municipal staff about a request: a new request, a warning,
// an escalation step. ID is stable for the same step of the same request, so a retry after a
// crash can be recognised (it is the e-mail's Message-ID and the webhook's delivery id).
type Notification struct {
	// ID identifies the notification; the same step of the same request always has the same.
	ID string `json:"id"`
	// Tenant is the Comune.
	Tenant string `json:"tenant"`
	// RequestID is the request the notification is about.
	RequestID string `json:"request_id"`
	// Office is the office code the request is assigned to.
	Office string `json:"office"`
	// Event is the event the notification announces: notified, warned, escalated,
	// resolution_overdue.
	Event string `json:"event"`
	// Step is the escalation step or warning kind, when there is one.
	Step string `json:"step,omitempty"`
	// Due is the deadline the notification is about, when there is one.
	Due time.Time `json:"due,omitzero"`
	// To are the e-mail recipients.
	To []string `json:"-"`
	// Subject and Body are the e-mail, in Italian. The body may quote the citizen's text for
	// the office; webhooks never carry it.
	Subject string `json:"-"`
	Body    string `json:"-"`
}

// Notifier delivers notifications over one channel. Name distinguishes the channels so that a
// notification delivered by one is not delivered again by it when another failed.
type Notifier interface {
	Name() string
	Notify(ctx context.Context, n Notification) error
}

// SMTPConfig configures the e-mail channel.
type SMTPConfig struct {
	// Addr is the submission server, host:port (usually port 587).
	Addr string
	// From is the sender address.
	From string
	// Username and Password authenticate with SMTP AUTH PLAIN; empty Username skips AUTH.
	// The password comes from the environment or a secret file, never from a policy file.
	Username, Password string
	// TLS configures STARTTLS; nil uses the system roots and the host of Addr.
	TLS *tls.Config
	// AllowPlaintext permits servers without STARTTLS (a local mail catcher); credentials are
	// never sent without TLS all the same.
	AllowPlaintext bool
	// Timeout bounds one delivery (default 20s).
	Timeout time.Duration
}

// Mailer sends notifications by e-mail over SMTP with STARTTLS and authentication.
type Mailer struct {
	cfg SMTPConfig
}

// NewMailer returns a Mailer.
func NewMailer(cfg SMTPConfig) (*Mailer, error) {
	if cfg.Addr == "" || cfg.From == "" {
		return nil, errors.New("smtp: Addr and From are required")
	}
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		return nil, fmt.Errorf("smtp: address %q: %w", cfg.Addr, err)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 20 * time.Second
	}
	return &Mailer{cfg: cfg}, nil
}

// Name is "smtp".
func (m *Mailer) Name() string { return "smtp" }

// Notify sends n to its recipients; a notification with none is skipped.
func (m *Mailer) Notify(ctx context.Context, n Notification) error {
	if len(n.To) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", m.cfg.Addr)
	if err != nil {
		return fmt.Errorf("smtp dial: %w", err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	host, _, _ := net.SplitHostPort(m.cfg.Addr)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return fmt.Errorf("smtp greeting: %w", err)
	}
	defer c.Close()
	if err := c.Hello("piazza"); err != nil {
		return fmt.Errorf("smtp hello: %w", err)
	}
	tlsOn := false
	if ok, _ := c.Extension("STARTTLS"); ok {
		cfg := m.cfg.TLS
		if cfg == nil {
			cfg = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
		}
		if err := c.StartTLS(cfg); err != nil {
			return fmt.Errorf("smtp starttls: %w", err)
		}
		tlsOn = true
	} else if !m.cfg.AllowPlaintext {
		return errors.New("smtp: the server does not offer STARTTLS")
	}
	if m.cfg.Username != "" {
		if !tlsOn {
			return errors.New("smtp: refusing to authenticate without TLS")
		}
		if err := c.Auth(smtp.PlainAuth("", m.cfg.Username, m.cfg.Password, host)); err != nil {
			return fmt.Errorf("smtp auth: %w", err)
		}
	}
	if err := c.Mail(m.cfg.From); err != nil {
		return fmt.Errorf("smtp mail from: %w", err)
	}
	for _, to := range n.To {
		if err := c.Rcpt(to); err != nil {
			return fmt.Errorf("smtp rcpt: %w", err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp data: %w", err)
	}
	if _, err := w.Write(m.message(n)); err != nil {
		return fmt.Errorf("smtp write: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp end of data: %w", err)
	}
	if err := c.Quit(); err != nil {
		return fmt.Errorf("smtp quit: %w", err)
	}
	return nil
}

// message renders the e-mail with CRLF line ends and a Message-ID derived from the
// notification, so a resent copy is recognisable as the same message. net/smtp's data writer
// does the dot-stuffing.
func (m *Mailer) message(n Notification) []byte {
	var b bytes.Buffer
	domain := m.cfg.From[strings.LastIndexByte(m.cfg.From, '@')+1:]
	hdr := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	hdr("From", m.cfg.From)
	hdr("To", strings.Join(n.To, ", "))
	hdr("Subject", mime.QEncoding.Encode("utf-8", n.Subject))
	hdr("Date", time.Now().Format(time.RFC1123Z))
	hdr("Message-ID", "<"+strings.NewReplacer(":", ".", "{", "", "}", "").Replace(n.ID)+"@"+domain+">")
	hdr("X-Piazza-Request", n.RequestID)
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", "text/plain; charset=utf-8")
	hdr("Content-Transfer-Encoding", "8bit")
	b.WriteString("\r\n")
	for line := range strings.SplitSeq(strings.ReplaceAll(n.Body, "\r\n", "\n"), "\n") {
		b.WriteString(line + "\r\n")
	}
	return b.Bytes()
}

// Webhook is one endpoint that receives a tenant's notifications (or one office's), signed
// with a shared secret.
type Webhook struct {
	// Tenant is the tenant whose notifications go to URL.
	Tenant string
	// Office, when set, limits the webhook to that office's requests.
	Office string
	// URL is the endpoint, https in production.
	URL string
	// Secret signs each delivery; it comes from the environment, never from a file in git.
	Secret []byte
}

// Webhook headers. The signature is HMAC-SHA256 over "<timestamp>.<body>", hex, prefixed by
// "sha256="; receivers recompute it over the raw body and reject old timestamps.
const (
	HeaderSignature = "X-Piazza-Signature"
	HeaderTimestamp = "X-Piazza-Timestamp"
	HeaderDelivery  = "X-Piazza-Delivery"
)

// Sign returns the signature header value of body sent at ts.
func Sign(secret []byte, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(strconv.FormatInt(ts, 10) + "."))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Webhooks posts notifications as signed JSON to the endpoints that match them.
type Webhooks struct {
	hooks  []Webhook
	client *http.Client
	now    func() time.Time
}

// NewWebhooks returns the webhook channel; client nil uses a client with a 10s timeout.
func NewWebhooks(hooks []Webhook, client *http.Client, now func() time.Time) (*Webhooks, error) {
	for i, h := range hooks {
		if h.Tenant == "" || h.URL == "" || len(h.Secret) < 16 {
			return nil, fmt.Errorf("webhook %d: tenant, URL and a secret of at least 16 bytes are required", i)
		}
	}
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	if now == nil {
		now = time.Now
	}
	return &Webhooks{hooks: hooks, client: client, now: now}, nil
}

// Name is "webhook".
func (w *Webhooks) Name() string { return "webhook" }

// Notify posts n to every matching endpoint; any non-2xx answer is an error, retried by the
// scheduler on its next tick.
func (w *Webhooks) Notify(ctx context.Context, n Notification) error {
	body, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("encode webhook: %w", err)
	}
	var errs []error
	for _, h := range w.hooks {
		if h.Tenant != n.Tenant || (h.Office != "" && h.Office != n.Office) {
			continue
		}
		ts := w.now().Unix()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
		if err != nil {
			errs = append(errs, fmt.Errorf("webhook request: %w", err))
			continue
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
		req.Header.Set(HeaderSignature, Sign(h.Secret, ts, body))
		req.Header.Set(HeaderDelivery, n.ID)
		resp, err := w.client.Do(req)
		if err != nil {
			errs = append(errs, fmt.Errorf("webhook post: %w", err))
			continue
		}
		_ = resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			errs = append(errs, fmt.Errorf("webhook post: status %d", resp.StatusCode))
		}
	}
	return errors.Join(errs...)
}
