package fakegraph

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// call is one parsed request.
type call struct {
	method      string
	path        string
	segments    []string // path after the version prefix, nil when the prefix is wrong
	params      url.Values
	token       string
	tokenInURL  bool // the token came as a parameter, so paging links repeat it
	tokenHeader bool // the token came in Authorization: Bearer
	pageID      string
	now         time.Time
	base        string // scheme://host/version, for paging links
}

// handle turns one request into a response, holding s.mu for the whole call so every effect is
// applied atomically.
func (s *Server) handle(r *http.Request) response {
	params, perr := readParams(r)
	c := &call{method: r.Method, params: params, path: r.URL.Path}
	c.segments, _ = s.segments(r.URL.Path)
	if c.method == http.MethodPost {
		if m := strings.ToUpper(params.Get("method")); m == http.MethodGet || m == http.MethodDelete {
			c.method = m
		}
	}
	if auth, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && auth != "" {
		c.token, c.tokenHeader = strings.TrimSpace(auth), true
	}
	if tok := params.Get("access_token"); tok != "" {
		c.token, c.tokenInURL, c.tokenHeader = tok, true, false
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	c.base = scheme + "://" + r.Host + "/" + s.opts.Version

	s.mu.Lock()
	defer s.mu.Unlock()
	c.now = s.opts.Now()
	if s.windowStart.IsZero() || !c.now.Before(s.windowStart.Add(s.opts.Window)) {
		s.resetUsage(c.now)
	}
	tok := s.tokens[c.token]
	if tok != nil && tok.expiredAt.IsZero() {
		c.pageID = tok.pageID
	}
	s.appCalls++
	if c.pageID != "" {
		s.pageCalls[c.pageID]++
	}
	resp := s.dispatch(c, tok, perr)
	if resp.header == nil {
		resp.header = make(http.Header)
	}
	s.usageHeaders(resp.header, c.pageID, c.now)
	return resp
}

// dispatch applies the checks in the order the Graph API applies them and routes the call; the
// caller holds s.mu.
func (s *Server) dispatch(c *call, tok *tokenState, perr error) response {
	if s.faultLeft > 0 {
		s.faultLeft--
		return s.injected()
	}
	if resp, failed := s.checkToken(c, tok); failed {
		return resp
	}
	if perr != nil {
		return s.badParam(perr.Error())
	}
	if s.appCalls > s.opts.AppCallLimit {
		return s.graphErr(http.StatusBadRequest, 4, 0, "OAuthException", msgRateApp)
	}
	if s.pageCalls[c.pageID] > s.opts.PageCallLimit {
		return s.graphErr(http.StatusBadRequest, 80001, 0, "OAuthException", msgRatePage)
	}
	return s.route(c)
}

// checkToken validates the access token and appsecret_proof; the caller holds s.mu.
func (s *Server) checkToken(c *call, tok *tokenState) (response, bool) {
	var resp response
	switch {
	case c.token == "":
		resp = s.graphErr(http.StatusBadRequest, 104, 0, "OAuthException", msgNoToken)
	case tok == nil:
		resp = s.graphErr(http.StatusBadRequest, 190, 0, "OAuthException", msgBadToken)
	case !tok.expiredAt.IsZero():
		resp = s.expiredToken(tok.expiredAt, c.now)
	case s.opts.AppSecret != "":
		proof := c.params.Get("appsecret_proof")
		want := appSecretProof(c.token, s.opts.AppSecret)
		if proof == "" {
			return s.graphErr(http.StatusBadRequest, 100, 0, "GraphMethodException", msgNoProof), true
		}
		if subtle.ConstantTimeCompare([]byte(proof), []byte(want)) != 1 {
			return s.graphErr(http.StatusBadRequest, 100, 0, "GraphMethodException", msgBadProof), true
		}
		return response{}, false
	default:
		return response{}, false
	}
	if c.tokenHeader {
		// A bearer token is rejected the OAuth 2.0 way: 401 with a WWW-Authenticate challenge.
		resp.status = http.StatusUnauthorized
		resp.header = http.Header{"Www-Authenticate": {`OAuth "Facebook Platform" "invalid_token" "Invalid OAuth access token"`}}
	}
	return resp, true
}

// route sends the call to the handler for its path; the caller holds s.mu.
func (s *Server) route(c *call) response {
	path := c.segments
	if path == nil {
		return s.graphErr(http.StatusBadRequest, 2500, 0, "OAuthException", "Unknown path components: "+c.path)
	}
	switch {
	case len(path) == 1 && c.method == http.MethodGet:
		return s.getNode(c, path[0])
	case len(path) == 1 && c.method == http.MethodPost:
		return s.updateComment(c, path[0])
	case len(path) == 1 && c.method == http.MethodDelete:
		return s.deleteComment(c, path[0])
	case len(path) == 2 && path[1] == "comments" && c.method == http.MethodGet:
		return s.listComments(c, path[0])
	case len(path) == 2 && path[1] == "comments" && c.method == http.MethodPost:
		return s.replyComment(c, path[0])
	case len(path) == 2 && path[1] == "replies" && c.method == http.MethodGet:
		return s.listComments(c, path[0])
	case len(path) == 2 && path[1] == "media" && c.method == http.MethodGet:
		return s.listFeed(c, path[0])
	case len(path) == 2 && path[1] == "replies" && c.method == http.MethodPost:
		return s.replyInstagram(c, path[0])
	case len(path) == 2 && (path[1] == "feed" || path[1] == "posts") && c.method == http.MethodGet:
		return s.listFeed(c, path[0])
	case len(path) == 2 && path[1] == "messages" && c.method == http.MethodPost:
		return s.privateReply(c, path[0])
	case len(path) == 2 && path[1] == "blocked" && c.method == http.MethodPost:
		return s.block(c, path[0])
	}
	return s.graphErr(http.StatusBadRequest, 2500, 0, "OAuthException",
		"Unknown path components: /"+strings.Join(path, "/"))
}

// readParams merges query, form and JSON body parameters the way the Graph API accepts writes:
// a JSON object's nested values arrive as their JSON text.
func readParams(r *http.Request) (url.Values, error) {
	if err := r.ParseForm(); err != nil {
		return r.URL.Query(), fmt.Errorf("malformed parameters: %v", err)
	}
	params := r.Form
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/json" || r.Body == nil {
		return params, nil
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return params, fmt.Errorf("read body: %v", err)
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return params, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		return params, fmt.Errorf("malformed JSON body")
	}
	for k, raw := range obj {
		var str string
		if json.Unmarshal(raw, &str) == nil {
			params.Set(k, str)
			continue
		}
		params.Set(k, string(raw))
	}
	return params, nil
}

// segments splits the path after the version prefix, or reports that the prefix is wrong.
func (s *Server) segments(path string) ([]string, bool) {
	rest, ok := strings.CutPrefix(path, "/"+s.opts.Version+"/")
	if !ok {
		return nil, false
	}
	rest = strings.Trim(rest, "/")
	if rest == "" {
		return nil, false
	}
	return strings.Split(rest, "/"), true
}
