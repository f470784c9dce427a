package facebook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// GraphError is an error returned by the Graph API, or an HTTP failure in front of it.
type GraphError struct {
	// HTTPStatus is the response status code.
	HTTPStatus int
	// Code is the Graph error code, 0 when the body carried none.
	Code int
	// Subcode is error_subcode, 0 when absent.
	Subcode int
	// Type is the error type, such as OAuthException or GraphMethodException.
	Type string
	// Message is the API's message, with the access token removed should it ever appear.
	Message string
	// TraceID is fbtrace_id, what Meta support asks for.
	TraceID string
	// IsTransient is the API's own is_transient flag.
	IsTransient bool
	// RetryAfter is the estimated time to regain access reported with a rate-limit error, zero
	// when the API gave none.
	RetryAfter time.Duration
}

// Error describes the failure with its codes and trace ID.
func (e *GraphError) Error() string {
	var b strings.Builder
	b.WriteString("graph api: ")
	b.WriteString(e.Message)
	fmt.Fprintf(&b, " (http %d", e.HTTPStatus)
	if e.Code != 0 {
		fmt.Fprintf(&b, ", code %d", e.Code)
	}
	if e.Subcode != 0 {
		fmt.Fprintf(&b, ", subcode %d", e.Subcode)
	}
	if e.Type != "" {
		fmt.Fprintf(&b, ", type %s", e.Type)
	}
	if e.TraceID != "" {
		fmt.Fprintf(&b, ", fbtrace_id %s", e.TraceID)
	}
	b.WriteString(")")
	return b.String()
}

// RateLimited reports a throttling error: app (4), user (17), Page with a user token (32),
// per-API (613), Page token (80001) or Instagram (80002).
func (e *GraphError) RateLimited() bool {
	switch e.Code {
	case 4, 17, 32, 613, 80001, 80002:
		return true
	}
	return e.HTTPStatus == http.StatusTooManyRequests
}

// TokenInvalid reports that the access token is missing, malformed, expired or revoked (codes
// 102, 104, 190): nothing works again until it is replaced.
func (e *GraphError) TokenInvalid() bool {
	return e.Code == 190 || e.Code == 102 || e.Code == 104
}

// ObjectMissing reports that the object does not exist (any more), cannot be seen with this
// token or does not support the operation (code 100, subcode 33), as after a second delete.
func (e *GraphError) ObjectMissing() bool {
	return e.Code == 100 && e.Subcode == 33
}

// AlreadyReplied reports that the comment already received its one private reply (code 10900).
func (e *GraphError) AlreadyReplied() bool {
	return e.Code == 10900
}

// Permanent reports an error that repeating the same call cannot fix: an invalid token, a
// missing permission (10, 200-299), an invalid parameter or missing object (100), or a private
// reply already sent (10900).
func (e *GraphError) Permanent() bool {
	switch {
	case e.TokenInvalid(), e.Code == 10, e.Code >= 200 && e.Code <= 299, e.Code == 100, e.AlreadyReplied():
		return true
	}
	return false
}

// Transient reports an error worth retrying later: a server failure (5xx), a rate limit, the
// API's temporary errors (codes 1 and 2) or anything the API flags is_transient.
func (e *GraphError) Transient() bool {
	if e.Permanent() {
		return false
	}
	return e.HTTPStatus >= 500 || e.RateLimited() || e.Code == 1 || e.Code == 2 || e.IsTransient
}

// IsTransient reports whether err, returned by a Client method, is worth retrying: a transient
// GraphError, a timeout or a network failure. A cancelled context is not.
func IsTransient(err error) bool {
	var gerr *GraphError
	switch {
	case err == nil, errors.Is(err, context.Canceled):
		return false
	case errors.As(err, &gerr):
		return gerr.Transient()
	case errors.Is(err, context.DeadlineExceeded):
		return true
	}
	var nerr net.Error
	return errors.As(err, &nerr)
}

// IsPermanent reports whether err, returned by a Client method, is a permanent GraphError.
func IsPermanent(err error) bool {
	var gerr *GraphError
	return errors.As(err, &gerr) && gerr.Permanent()
}

// flexInt accepts a JSON number or a numeric string, since error codes appear as both.
type flexInt int

func (f *flexInt) UnmarshalJSON(data []byte) error {
	s := strings.Trim(string(data), `"`)
	if s == "" || s == "null" {
		*f = 0
		return nil
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("error code %q: %w", s, err)
	}
	if n > 1<<31 || n < -(1<<31) {
		n = 0
	}
	*f = flexInt(n)
	return nil
}

type errorEnvelope struct {
	Error *struct {
		Message     string  `json:"message"`
		Type        string  `json:"type"`
		Code        flexInt `json:"code"`
		Subcode     flexInt `json:"error_subcode"`
		TraceID     string  `json:"fbtrace_id"`
		IsTransient bool    `json:"is_transient"`
	} `json:"error"`
	// The legacy REST shape, still seen on some endpoints.
	ErrorCode flexInt `json:"error_code"`
	ErrorMsg  string  `json:"error_msg"`
}

// maxMessage bounds the message kept from an error body.
const maxMessage = 1000

// parseError returns the GraphError a response represents, or nil for a success. A 2xx response
// is an error only if its body is a Graph error object.
func parseError(status int, body []byte) *GraphError {
	ok := status >= 200 && status < 300
	if ok && !bytes.Contains(body, []byte(`"error`)) {
		return nil
	}
	var env errorEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		if ok {
			return nil
		}
		return &GraphError{HTTPStatus: status, Message: "unreadable error response: " + http.StatusText(status)}
	}
	gerr := &GraphError{HTTPStatus: status}
	switch {
	case env.Error != nil:
		gerr.Message = env.Error.Message
		gerr.Type = env.Error.Type
		gerr.Code = int(env.Error.Code)
		gerr.Subcode = int(env.Error.Subcode)
		gerr.TraceID = env.Error.TraceID
		gerr.IsTransient = env.Error.IsTransient
	case env.ErrorCode != 0:
		gerr.Code = int(env.ErrorCode)
		gerr.Message = env.ErrorMsg
	case ok:
		return nil
	default:
		gerr.Message = "error response without an error object: " + http.StatusText(status)
	}
	gerr.Message = truncate(gerr.Message, maxMessage)
	gerr.TraceID = truncate(gerr.TraceID, 100)
	gerr.Type = truncate(gerr.Type, 100)
	return gerr
}

// truncate cuts s to at most n bytes without splitting a rune and drops invalid UTF-8.
func truncate(s string, n int) string {
	s = strings.ToValidUTF8(s, "")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
