package webhook

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"

	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	"github.com/piazza-pa/piazza/services/ingest/platform/facebook"
	"github.com/piazza-pa/piazza/services/ingest/replay"
)

// PushPath is where the generic push endpoint is served.
const PushPath = "/webhooks/push"

// PushSignatureHeader carries "sha256=<hex HMAC-SHA256(raw body, push secret)>", the scheme of
// Meta's X-Hub-Signature-256 with Piazza's own secret.
const PushSignatureHeader = "X-Piazza-Signature-256"

// Push is the endpoint for sources without a connector (a Comune's own site, a form, an export
// job): they POST comments as JSON Lines in the replay format, signed with the push secret.
// Valid lines are published once each; invalid ones are listed in the answer, with their line
// numbers, and nothing else is lost.
type Push struct {
	// Secret signs the deliveries; without it every delivery is refused.
	Secret string
	// TenantExists reports whether a tenant code has a policy.
	TenantExists func(code string) bool
	// Sink publishes the comments.
	Sink Sink
	// Logger receives refusals, never bodies.
	Logger *slog.Logger
}

// PushResult is the JSON answer to a delivery.
type PushResult struct {
	// Accepted counts the comments published now.
	Accepted int `json:"accepted"`
	// Duplicates counts the comments published before.
	Duplicates int `json:"duplicates"`
	// Rejected lists the lines that were not published and why.
	Rejected []PushRejection `json:"rejected,omitempty"`
}

// PushRejection is one refused line.
type PushRejection struct {
	// Line is the 1-based line number.
	Line int `json:"line"`
	// Error says why.
	Error string `json:"error"`
}

// ServeHTTP takes one delivery. It answers 200 when every line was taken, 422 when some were
// rejected (the others are published), 403 for a bad signature and 503 when publishing failed
// (the sender retries; what was published is absorbed as duplicates).
func (p *Push) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	ctx := r.Context()
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil || len(body) > MaxBody {
		http.Error(w, "body unreadable or too large", http.StatusRequestEntityTooLarge)
		return
	}
	if !facebook.VerifySignature(p.Secret, body, r.Header.Get(PushSignatureHeader)) {
		p.Logger.WarnContext(ctx, "push delivery refused: missing or wrong signature", "remote", r.RemoteAddr)
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	var res PushResult
	var publishErr error
	skipped, err := replay.Read(bytes.NewReader(body), func(line int, c *commentv1.Comment) error {
		if !p.TenantExists(c.GetTenant()) {
			res.Rejected = append(res.Rejected, PushRejection{Line: line, Error: "unknown tenant " + c.GetTenant()})
			return nil
		}
		if c.GetPlatform() == commentv1.Platform_PLATFORM_REPLAY {
			c.Platform = commentv1.Platform_PLATFORM_WEBHOOK
		}
		fresh, err := p.Sink.Publish(ctx, c)
		if err != nil {
			publishErr = err
			return err
		}
		if fresh {
			res.Accepted++
		} else {
			res.Duplicates++
		}
		return nil
	})
	if publishErr != nil || err != nil {
		p.Logger.ErrorContext(ctx, "push delivery not fully published; the sender will retry", "err", err)
		http.Error(w, "try again", http.StatusServiceUnavailable)
		return
	}
	// Lines replay.Read itself skipped (bad JSON, missing fields) are rejections too.
	for _, s := range skipped {
		res.Rejected = append(res.Rejected, PushRejection{Line: s.Line, Error: s.Err.Error()})
	}
	status := http.StatusOK
	if len(res.Rejected) > 0 {
		status = http.StatusUnprocessableEntity
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(res)
}
