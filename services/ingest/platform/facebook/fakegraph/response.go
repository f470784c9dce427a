package fakegraph

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"
)

// response is a reply built under the server lock and written after it is released.
type response struct {
	status int
	header http.Header
	body   any    // JSON-encoded when raw is nil
	raw    []byte // sent as is with rawType
	rawTyp string
}

func (r response) write(w http.ResponseWriter) {
	if r.raw != nil {
		w.Header().Set("Content-Type", r.rawTyp)
		w.WriteHeader(r.status)
		_, _ = w.Write(r.raw)
		return
	}
	data, err := json.Marshal(r.body)
	if err != nil {
		http.Error(w, "encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(r.status)
	_, _ = w.Write(data)
}

// errorBody is the Graph API error object.
type errorBody struct {
	Message     string `json:"message"`
	Type        string `json:"type"`
	IsTransient *bool  `json:"is_transient,omitempty"`
	Code        int    `json:"code"`
	Subcode     int    `json:"error_subcode,omitempty"`
	FBTraceID   string `json:"fbtrace_id"`
}

// graphErr builds an error reply; the caller holds s.mu.
func (s *Server) graphErr(status, code, subcode int, typ, msg string) response {
	s.traces++
	body := errorBody{
		Message:   msg,
		Type:      typ,
		Code:      code,
		Subcode:   subcode,
		FBTraceID: fmt.Sprintf("A%010dfake", s.traces),
	}
	if transientCode(code) {
		t := true
		body.IsTransient = &t
	}
	return response{status: status, body: map[string]any{"error": body}}
}

func transientCode(code int) bool {
	switch code {
	case 1, 2, 4, 17, 32, 613, 80001:
		return true
	}
	return false
}

// Messages of the errors the fake produces, worded as the Graph API words them.
const (
	msgRateApp     = "(#4) Application request limit reached"
	msgRateUser    = "(#17) User request limit reached"
	msgRatePage32  = "(#32) Page request limit reached"
	msgRate613     = "(#613) Calls to this api have exceeded the rate limit."
	msgRatePage    = "(#80001) There have been too many calls to this Page account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting."
	msgUnknown     = "An unknown error has occurred."
	msgUnexpected  = "An unexpected error has occurred. Please retry your request later."
	msgNoToken     = "An access token is required to request this resource."
	msgBadToken    = "Invalid OAuth access token - Cannot parse access token"
	msgNoProof     = "API calls from the server require an appsecret_proof argument"
	msgBadProof    = "Invalid appsecret_proof provided in the API argument"
	msgPermission  = "(#200) Permissions error"
	msgReplied     = "(#10900) Activity already replied to"
	msgOutOfWindow = "(#10) This message is sent outside of allowed window."
	msgNoUser      = "(#100) No matching user found"
)

func (s *Server) objectMissing(method, id string) response {
	return s.graphErr(http.StatusBadRequest, 100, 33, "GraphMethodException", fmt.Sprintf(
		"Unsupported %s request. Object with ID '%s' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api",
		method, id))
}

func (s *Server) badParam(msg string) response {
	return s.graphErr(http.StatusBadRequest, 100, 0, "OAuthException", "(#100) "+msg)
}

func (s *Server) expiredToken(at, now time.Time) response {
	pdt := time.FixedZone("PDT", -7*3600)
	const layout = "Monday, 02-Jan-06 15:04:05 MST"
	return s.graphErr(http.StatusBadRequest, 190, 463, "OAuthException", fmt.Sprintf(
		"Error validating access token: Session has expired on %s. The current time is %s.",
		at.In(pdt).Format(layout), now.In(pdt).Format(layout)))
}

// injected builds the reply for a FailNext fault; the caller holds s.mu.
func (s *Server) injected() response {
	status, code := s.faultStatus, s.faultCode
	switch code {
	case 0:
		text := fmt.Sprintf("<html><body><h1>%d %s</h1></body></html>", status, http.StatusText(status))
		return response{status: status, raw: []byte(text), rawTyp: "text/html; charset=utf-8"}
	case 1:
		return s.graphErr(status, 1, 0, "OAuthException", msgUnknown)
	case 2:
		return s.graphErr(status, 2, 0, "OAuthException", msgUnexpected)
	case 4:
		return s.graphErr(status, 4, 0, "OAuthException", msgRateApp)
	case 17:
		return s.graphErr(status, 17, 0, "OAuthException", msgRateUser)
	case 32:
		return s.graphErr(status, 32, 0, "OAuthException", msgRatePage32)
	case 613:
		return s.graphErr(status, 613, 0, "OAuthException", msgRate613)
	case 80001:
		return s.graphErr(status, 80001, 0, "OAuthException", msgRatePage)
	case 190:
		now := s.opts.Now()
		return s.expiredToken(now.Add(-time.Minute), now)
	default:
		return s.graphErr(status, code, 0, "OAuthException", fmt.Sprintf("(#%d) Injected failure", code))
	}
}

// resetUsage starts a new accounting window; the caller holds s.mu.
func (s *Server) resetUsage(now time.Time) {
	s.windowStart = now
	s.appCalls = 0
	clear(s.pageCalls)
}

// usageHeaders renders X-App-Usage and X-Business-Use-Case-Usage for the current counters; the
// caller holds s.mu.
func (s *Server) usageHeaders(h http.Header, pageID string, now time.Time) {
	appPct := percent(s.appCalls, s.opts.AppCallLimit)
	app, _ := json.Marshal(map[string]int{
		"call_count":    appPct,
		"total_time":    appPct * 9 / 10,
		"total_cputime": appPct * 8 / 10,
	})
	h.Set("X-App-Usage", string(app))

	buc := map[string][]map[string]any{}
	if pageID != "" {
		pct := percent(s.pageCalls[pageID], s.opts.PageCallLimit)
		regain := 0
		if s.pageCalls[pageID] >= s.opts.PageCallLimit {
			regain = int(math.Ceil(s.windowStart.Add(s.opts.Window).Sub(now).Minutes()))
		}
		buc[pageID] = []map[string]any{{
			"type":                            "pages",
			"call_count":                      pct,
			"total_cputime":                   pct * 8 / 10,
			"total_time":                      pct * 9 / 10,
			"estimated_time_to_regain_access": regain,
		}}
	}
	data, _ := json.Marshal(buc)
	h.Set("X-Business-Use-Case-Usage", string(data))
	h.Set("Facebook-API-Version", s.opts.Version)
	h.Set("X-FB-Trace-ID", "fake"+strconv.FormatInt(s.traces, 36))
}

func percent(calls, limit int) int {
	return calls * 100 / limit
}
