// Package fakemastodon is a local fake of a Mastodon instance for tests and the demo: the real
// paths (/api/v1/notifications, statuses, accounts/:id/block|mute, reports), parameters
// (types[], limit, max_id, since_id), JSON fields, Link-header paging, error bodies
// ({"error":"…"}) and the rate limit of 300 requests per 5 minutes with X-RateLimit-* headers and
// 429 beyond it.
package fakemastodon

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Defaults of the instance's rate limit.
const (
	DefaultLimit  = 300
	DefaultWindow = 5 * time.Minute
)

// Account is an account on the fake.
type Account struct {
	// ID, Acct and DisplayName as the API shows them.
	ID, Acct, DisplayName string
}

// Status is a status on the fake.
type Status struct {
	// ID is assigned by the fake; ids grow with time.
	ID string
	// Account is the author.
	Account Account
	// Content is the HTML content.
	Content string
	// InReplyToID is the status answered.
	InReplyToID string
	// Visibility is public when empty.
	Visibility string
	// CreatedAt is the fake's now when zero.
	CreatedAt time.Time
}

// Action is a write the fake received.
type Action struct {
	// Kind is block, mute, report or status.
	Kind string
	// AccountID is the target account (block, mute, report).
	AccountID string
	// StatusIDs are a report's statuses; Category its category.
	StatusIDs []string
	Category  string
	// Duration is a mute's duration in seconds, 0 for indefinite.
	Duration int
	// Text, InReplyToID and Visibility describe a posted status; ResultID its id.
	Text, InReplyToID, Visibility, ResultID string
}

type notification struct {
	id       int64
	statusID string
}

// Server is the fake instance. It is safe for concurrent use.
type Server struct {
	mu       sync.Mutex
	tokens   map[string]Account // token -> the account it acts as
	expired  map[string]bool
	statuses map[string]*Status
	notes    map[string][]notification // account id -> notifications, oldest first
	actions  []Action
	seq      int64
	now      func() time.Time
	limit    int
	window   time.Duration
	used     map[string]int
	reset    map[string]time.Time
	failLeft int
	failCode int
}

// New returns a fake with the given rate limit per window (defaults when zero).
func New(limit int, window time.Duration, now func() time.Time) *Server {
	if limit <= 0 {
		limit = DefaultLimit
	}
	if window <= 0 {
		window = DefaultWindow
	}
	if now == nil {
		now = time.Now
	}
	return &Server{tokens: map[string]Account{}, expired: map[string]bool{}, statuses: map[string]*Status{}, notes: map[string][]notification{},
		now: now, limit: limit, window: window, used: map[string]int{}, reset: map[string]time.Time{}}
}

// AddAccount makes token act as acc.
func (s *Server) AddAccount(token string, acc Account) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[token] = acc
}

// Post stores a status and, for every account it mentions (in mentions), a notification.
func (s *Server) Post(st Status, mentions ...string) Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	st.ID = strconv.FormatInt(110000000000000000+s.seq, 10)
	if st.CreatedAt.IsZero() {
		st.CreatedAt = s.now()
	}
	if st.Visibility == "" {
		st.Visibility = "public"
	}
	cp := st
	s.statuses[st.ID] = &cp
	for _, acc := range mentions {
		s.seq++
		s.notes[acc] = append(s.notes[acc], notification{id: 120000000000000000 + s.seq, statusID: st.ID})
	}
	return st
}

// ExpireTokens revokes every token (401).
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for t := range s.tokens {
		s.expired[t] = true
	}
}

// FailNext makes the next n calls fail with status.
func (s *Server) FailNext(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failLeft, s.failCode = n, status
}

// Actions returns the writes received.
func (s *Server) Actions() []Action {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.actions)
}

// Calls returns the requests counted in the token's current window.
func (s *Server) Calls(token string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.used[token]
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// ServeHTTP answers the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	me, ok := s.tokens[token]
	if !ok || s.expired[token] {
		writeErr(w, http.StatusUnauthorized, "The access token is invalid")
		return
	}
	now := s.now()
	if !now.Before(s.reset[token]) {
		s.reset[token] = now.Add(s.window).Truncate(time.Second)
		s.used[token] = 0
	}
	s.used[token]++
	remaining := max(s.limit-s.used[token], 0)
	w.Header().Set("X-RateLimit-Limit", strconv.Itoa(s.limit))
	w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	w.Header().Set("X-RateLimit-Reset", s.reset[token].UTC().Format("2006-01-02T15:04:05.000Z"))
	if s.used[token] > s.limit {
		writeErr(w, http.StatusTooManyRequests, "Too many requests")
		return
	}
	if s.failLeft > 0 {
		s.failLeft--
		writeErr(w, s.failCode, http.StatusText(s.failCode))
		return
	}
	if err := r.ParseForm(); err != nil {
		writeErr(w, http.StatusBadRequest, "malformed parameters")
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/api/v1/notifications":
		s.notifications(w, r, me)
	case r.Method == http.MethodGet && len(parts) == 4 && parts[2] == "statuses":
		st, ok := s.statuses[parts[3]]
		if !ok {
			writeErr(w, http.StatusNotFound, "Record not found")
			return
		}
		writeJSON(w, http.StatusOK, s.render(st))
	case r.Method == http.MethodPost && len(parts) == 5 && parts[2] == "accounts" && (parts[4] == "block" || parts[4] == "mute"):
		s.relationship(w, r, parts[3], parts[4])
	case r.Method == http.MethodPost && r.URL.Path == "/api/v1/reports":
		s.report(w, r)
	case r.Method == http.MethodPost && r.URL.Path == "/api/v1/statuses":
		s.postStatus(w, r, me)
	default:
		writeErr(w, http.StatusNotFound, "Record not found")
	}
}

func (s *Server) render(st *Status) map[string]any {
	var reply any
	if st.InReplyToID != "" {
		reply = st.InReplyToID
	}
	return map[string]any{
		"id": st.ID, "created_at": st.CreatedAt.UTC().Format("2006-01-02T15:04:05.000Z"), "in_reply_to_id": reply,
		"visibility": st.Visibility, "url": "https://social.example.it/@" + st.Account.Acct + "/" + st.ID, "content": st.Content,
		"account":  map[string]any{"id": st.Account.ID, "username": st.Account.Acct, "acct": st.Account.Acct, "display_name": st.Account.DisplayName},
		"mentions": []any{}, "media_attachments": []any{}, "sensitive": false, "spoiler_text": "",
	}
}

func (s *Server) notifications(w http.ResponseWriter, r *http.Request, me Account) {
	q := r.URL.Query()
	limit := 40
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeErr(w, http.StatusUnprocessableEntity, "Validation failed: limit")
			return
		}
		limit = min(n, 80)
	}
	parseID := func(k string) (int64, bool) {
		v := q.Get(k)
		if v == "" {
			return 0, true
		}
		n, err := strconv.ParseInt(v, 10, 64)
		return n, err == nil
	}
	maxID, ok1 := parseID("max_id")
	sinceID, ok2 := parseID("since_id")
	if !ok1 || !ok2 {
		writeErr(w, http.StatusUnprocessableEntity, "Validation failed: max_id/since_id")
		return
	}
	types := q["types[]"]
	var page []map[string]any
	notes := s.notes[me.ID]
	more := false
	for i := len(notes) - 1; i >= 0; i-- { // newest first
		n := notes[i]
		if (maxID != 0 && n.id >= maxID) || n.id <= sinceID {
			continue
		}
		if len(types) > 0 && !slices.Contains(types, "mention") {
			continue
		}
		if len(page) == limit {
			more = true
			break
		}
		st := s.statuses[n.statusID]
		page = append(page, map[string]any{"id": strconv.FormatInt(n.id, 10), "type": "mention",
			"created_at": st.CreatedAt.UTC().Format("2006-01-02T15:04:05.000Z"), "account": s.render(st)["account"], "status": s.render(st)})
	}
	if len(page) > 0 {
		base := "https://social.example.it/api/v1/notifications?"
		keep := url.Values{}
		if len(types) > 0 {
			keep["types[]"] = types
		}
		keep.Set("limit", strconv.Itoa(limit))
		var links []string
		if more {
			next := url.Values{}
			for k, v := range keep {
				next[k] = v
			}
			next.Set("max_id", page[len(page)-1]["id"].(string))
			if sinceID != 0 {
				next.Set("since_id", strconv.FormatInt(sinceID, 10))
			}
			links = append(links, fmt.Sprintf(`<%s%s>; rel="next"`, base, next.Encode()))
		}
		prev := url.Values{}
		for k, v := range keep {
			prev[k] = v
		}
		prev.Set("min_id", page[0]["id"].(string))
		links = append(links, fmt.Sprintf(`<%s%s>; rel="prev"`, base, prev.Encode()))
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	if page == nil {
		page = []map[string]any{}
	}
	writeJSON(w, http.StatusOK, page)
}

func (s *Server) accountExists(id string) bool {
	for _, st := range s.statuses {
		if st.Account.ID == id {
			return true
		}
	}
	return false
}

func (s *Server) relationship(w http.ResponseWriter, r *http.Request, id, verb string) {
	if !s.accountExists(id) {
		writeErr(w, http.StatusNotFound, "Record not found")
		return
	}
	a := Action{Kind: verb, AccountID: id}
	if v := r.PostForm.Get("duration"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeErr(w, http.StatusUnprocessableEntity, "Validation failed: duration")
			return
		}
		a.Duration = n
	}
	s.actions = append(s.actions, a)
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "following": false, "blocking": verb == "block", "muting": verb == "mute",
		"muting_notifications": verb == "mute", "requested": false, "domain_blocking": false})
}

func (s *Server) report(w http.ResponseWriter, r *http.Request) {
	id := r.PostForm.Get("account_id")
	if !s.accountExists(id) {
		writeErr(w, http.StatusNotFound, "Record not found")
		return
	}
	cat := r.PostForm.Get("category")
	if cat == "" {
		cat = "other"
	}
	if cat != "spam" && cat != "legal" && cat != "violation" && cat != "other" {
		writeErr(w, http.StatusUnprocessableEntity, "Validation failed: Category is not included in the list")
		return
	}
	ids := r.PostForm["status_ids[]"]
	for _, sid := range ids {
		if st, ok := s.statuses[sid]; !ok || st.Account.ID != id {
			writeErr(w, http.StatusNotFound, "Record not found")
			return
		}
	}
	s.seq++
	rid := strconv.FormatInt(s.seq, 10)
	s.actions = append(s.actions, Action{Kind: "report", AccountID: id, StatusIDs: ids, Category: cat, ResultID: rid})
	writeJSON(w, http.StatusOK, map[string]any{"id": rid, "action_taken": false, "category": cat, "comment": r.PostForm.Get("comment"),
		"forwarded": r.PostForm.Get("forward") == "true", "status_ids": ids, "rule_ids": r.PostForm["rule_ids[]"],
		"target_account": map[string]string{"id": id}})
}

func (s *Server) postStatus(w http.ResponseWriter, r *http.Request, me Account) {
	text := r.PostForm.Get("status")
	if strings.TrimSpace(text) == "" {
		writeErr(w, http.StatusUnprocessableEntity, "Validation failed: Text can't be blank")
		return
	}
	parent := r.PostForm.Get("in_reply_to_id")
	if parent != "" {
		if _, ok := s.statuses[parent]; !ok {
			writeErr(w, http.StatusNotFound, "Record not found")
			return
		}
	}
	vis := r.PostForm.Get("visibility")
	if vis == "" {
		vis = "public"
	}
	s.seq++
	st := &Status{ID: strconv.FormatInt(110000000000000000+s.seq, 10), Account: me, Content: "<p>" + text + "</p>", InReplyToID: parent, Visibility: vis, CreatedAt: s.now()}
	s.statuses[st.ID] = st
	s.actions = append(s.actions, Action{Kind: "status", Text: text, InReplyToID: parent, Visibility: vis, ResultID: st.ID})
	writeJSON(w, http.StatusOK, s.render(st))
}
