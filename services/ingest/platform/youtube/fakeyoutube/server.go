// Package fakeyoutube is a local fake of the YouTube Data API v3 for tests and the demo: the
// real paths (commentThreads, videos, comments, comments/setModerationStatus), parameters,
// JSON fields, pageToken paging, error bodies (quotaExceeded, authError, commentNotFound) and a
// daily quota charged 1 unit per read and 50 per write.
package fakeyoutube

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Prefix is the path the API is served under, as on youtube.googleapis.com.
const Prefix = "/youtube/v3/"

// Comment is a comment on the fake.
type Comment struct {
	// ID is the comment id, assigned by AddComment when empty.
	ID string
	// VideoID is the video.
	VideoID string
	// ParentID is the top-level comment of a reply.
	ParentID string
	// Text is the text.
	Text string
	// AuthorName and AuthorChannelID identify the author.
	AuthorName      string
	AuthorChannelID string
	// PublishedAt is when it was written; the fake's now when zero.
	PublishedAt time.Time
	// Status is the moderation status; published when empty.
	Status string
}

// Action is a write the fake received.
type Action struct {
	// Kind is "setModerationStatus" or "reply".
	Kind string
	// CommentID is the comment acted on (the parent of a reply).
	CommentID string
	// Status and BanAuthor are setModerationStatus's parameters.
	Status    string
	BanAuthor bool
	// Text is a reply's text; ResultID its new id.
	Text     string
	ResultID string
}

// Server is the fake. It is safe for concurrent use.
type Server struct {
	mu        sync.Mutex
	tokens    map[string]string // token -> channel
	expired   map[string]bool
	videos    map[string][2]string // id -> title, description
	channelOf map[string]string    // video -> channel
	comments  []*Comment
	byID      map[string]*Comment
	actions   []Action
	banned    map[string]bool
	seq       int
	now       func() time.Time
	// Quota
	daily    int
	used     int
	day      string
	pacific  *time.Location
	failLeft int
	failCode int
	failWhy  string
	pageSize int
}

// New returns an empty fake with a daily quota (10000 when zero).
func New(daily int, now func() time.Time) *Server {
	if daily <= 0 {
		daily = 10000
	}
	if now == nil {
		now = time.Now
	}
	loc, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		loc = time.FixedZone("PST", -8*3600)
	}
	return &Server{pacific: loc, tokens: map[string]string{}, expired: map[string]bool{}, videos: map[string][2]string{}, channelOf: map[string]string{},
		byID: map[string]*Comment{}, banned: map[string]bool{}, now: now, daily: daily}
}

// AddChannel makes token valid for channel.
func (s *Server) AddChannel(token, channel string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[token] = channel
}

// AddVideo adds a video to a channel.
func (s *Server) AddVideo(channel, id, title, description string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.videos[id] = [2]string{title, description}
	s.channelOf[id] = channel
}

// AddComment stores c and returns it with its id and time.
func (s *Server) AddComment(c Comment) Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	if c.ID == "" {
		c.ID = fmt.Sprintf("Ug%08dAaABAg", s.seq)
		if c.ParentID != "" {
			c.ID = c.ParentID + "." + strconv.Itoa(s.seq)
		}
	}
	if c.PublishedAt.IsZero() {
		c.PublishedAt = s.now()
	}
	if c.Status == "" {
		c.Status = "published"
	}
	cc := c
	s.comments = append(s.comments, &cc)
	s.byID[cc.ID] = &cc
	return cc
}

// SetPageSize caps maxResults, so tests page with few comments; 0 restores the API's 100.
func (s *Server) SetPageSize(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pageSize = n
}

// ExpireTokens makes every token invalid (401 authError).
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for t := range s.tokens {
		s.expired[t] = true
	}
}

// FailNext makes the next n calls fail with status and reason (e.g. 403 quotaExceeded, 429
// rateLimitExceeded, 500 backendError).
func (s *Server) FailNext(n, status int, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failLeft, s.failCode, s.failWhy = n, status, reason
}

// QuotaUsed returns the units charged today.
func (s *Server) QuotaUsed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.used
}

// Actions returns the writes received, in order.
func (s *Server) Actions() []Action {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.actions)
}

// Comment returns a comment's current state.
func (s *Server) Comment(id string) (Comment, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.byID[id]
	if !ok {
		return Comment{}, false
	}
	return *c, true
}

// Banned reports whether an author channel is banned.
func (s *Server) Banned(authorChannel string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.banned[authorChannel]
}

func writeErr(w http.ResponseWriter, status int, reason, msg string) {
	domain := "youtube.commentThread"
	switch reason {
	case "quotaExceeded":
		domain = "youtube.quota"
	case "authError":
		domain = "global"
		w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/", error="invalid_token"`)
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"code": status, "message": msg,
		"errors": []map[string]string{{"message": msg, "domain": domain, "reason": reason}},
	}})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_ = json.NewEncoder(w).Encode(v)
}

// ServeHTTP answers the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	path, ok := strings.CutPrefix(r.URL.Path, Prefix)
	if !ok {
		writeErr(w, http.StatusNotFound, "notFound", "Not Found")
		return
	}
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	channel, known := s.tokens[token]
	if !ok || !known || s.expired[token] {
		writeErr(w, http.StatusUnauthorized, "authError", "Request had invalid authentication credentials. Expected OAuth 2 access token.")
		return
	}
	cost := 1
	if r.Method != http.MethodGet {
		cost = 50
	}
	if s.failLeft > 0 {
		s.failLeft--
		writeErr(w, s.failCode, s.failWhy, "injected failure: "+s.failWhy)
		return
	}
	// The quota resets at midnight Pacific time.
	if day := s.now().In(s.pacific).Format(time.DateOnly); day != s.day {
		s.day, s.used = day, 0
	}
	if s.used+cost > s.daily {
		writeErr(w, http.StatusForbidden, "quotaExceeded", "The request cannot be completed because you have exceeded your <a href=\"/youtube/v3/getting-started#quota\">quota</a>.")
		return
	}
	s.used += cost
	q := r.URL.Query()
	switch {
	case r.Method == http.MethodGet && path == "commentThreads":
		s.listThreads(w, q, channel)
	case r.Method == http.MethodGet && path == "comments":
		s.listReplies(w, q, channel)
	case r.Method == http.MethodGet && path == "videos":
		v, ok := s.videos[q.Get("id")]
		items := []any{}
		if ok && q.Get("part") == "snippet" {
			items = append(items, map[string]any{"kind": "youtube#video", "id": q.Get("id"), "snippet": map[string]string{"title": v[0], "description": v[1]}})
		}
		writeJSON(w, map[string]any{"kind": "youtube#videoListResponse", "items": items})
	case r.Method == http.MethodPost && path == "comments/setModerationStatus":
		s.moderate(w, q, channel)
	case r.Method == http.MethodPost && path == "comments":
		s.reply(w, r, channel)
	default:
		writeErr(w, http.StatusNotFound, "notFound", "Method not found.")
	}
}

func (s *Server) listThreads(w http.ResponseWriter, q map[string][]string, channel string) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	if get("part") == "" || !strings.Contains(get("part"), "snippet") {
		writeErr(w, http.StatusBadRequest, "missingRequiredParameter", "No filter selected. Expected one of: part")
		return
	}
	if get("allThreadsRelatedToChannelId") != channel {
		writeErr(w, http.StatusForbidden, "forbidden", "The comment thread could not be accessed: insufficient permissions.")
		return
	}
	status := get("moderationStatus")
	if status == "" {
		status = "published"
	}
	if status != "published" && status != "heldForReview" && status != "likelySpam" {
		writeErr(w, http.StatusBadRequest, "invalidModerationStatus", "The moderation status is invalid.")
		return
	}
	limit := 20
	if v := get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			writeErr(w, http.StatusBadRequest, "invalidMaxResults", "maxResults must be between 1 and 100")
			return
		}
		limit = n
	}
	if s.pageSize > 0 {
		limit = min(limit, s.pageSize)
	}
	offset := 0
	if tok := get("pageToken"); tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		n, err2 := strconv.Atoi(strings.TrimPrefix(string(b), "o:"))
		if err != nil || err2 != nil || n < 0 {
			writeErr(w, http.StatusBadRequest, "invalidPageToken", "The request specifies an invalid page token.")
			return
		}
		offset = n
	}
	var tops []*Comment
	for _, c := range s.comments {
		if c.ParentID == "" && c.Status == status && s.channelOf[c.VideoID] == channel {
			tops = append(tops, c)
		}
	}
	// order=time: newest first.
	slices.SortStableFunc(tops, func(a, b *Comment) int { return b.PublishedAt.Compare(a.PublishedAt) })
	items := []any{}
	end := min(offset+limit, len(tops))
	for _, c := range tops[min(offset, len(tops)):end] {
		var replies []any
		total := 0
		for _, r := range s.comments {
			if r.ParentID == c.ID && r.Status == "published" {
				total++
				if len(replies) < includedReplies {
					replies = append(replies, render(r))
				}
			}
		}
		item := map[string]any{"kind": "youtube#commentThread", "id": c.ID, "snippet": map[string]any{
			"channelId": channel, "videoId": c.VideoID, "topLevelComment": render(c), "canReply": true,
			"totalReplyCount": total, "isPublic": true,
		}}
		if len(replies) > 0 {
			item["replies"] = map[string]any{"comments": replies}
		}
		items = append(items, item)
	}
	res := map[string]any{"kind": "youtube#commentThreadListResponse", "pageInfo": map[string]int{"totalResults": len(items), "resultsPerPage": limit}, "items": items}
	if end < len(tops) {
		res["nextPageToken"] = base64.RawURLEncoding.EncodeToString([]byte("o:" + strconv.Itoa(end)))
	}
	writeJSON(w, res)
}

func render(c *Comment) map[string]any {
	sn := map[string]any{
		"videoId": c.VideoID, "textOriginal": c.Text, "textDisplay": c.Text, "authorDisplayName": c.AuthorName,
		"authorChannelId": map[string]string{"value": c.AuthorChannelID}, "publishedAt": c.PublishedAt.UTC().Format(time.RFC3339),
		"updatedAt": c.PublishedAt.UTC().Format(time.RFC3339), "moderationStatus": c.Status,
	}
	if c.ParentID != "" {
		sn["parentId"] = c.ParentID
	}
	return map[string]any{"kind": "youtube#comment", "id": c.ID, "snippet": sn}
}

func (s *Server) moderate(w http.ResponseWriter, q map[string][]string, channel string) {
	ids, status := q["id"], ""
	if v := q["moderationStatus"]; len(v) > 0 {
		status = v[0]
	}
	ban := len(q["banAuthor"]) > 0 && q["banAuthor"][0] == "true"
	if len(ids) == 0 || status == "" {
		writeErr(w, http.StatusBadRequest, "missingRequiredParameter", "id and moderationStatus are required")
		return
	}
	if status != "published" && status != "heldForReview" && status != "rejected" {
		writeErr(w, http.StatusBadRequest, "invalidModerationStatus", "The moderation status is invalid.")
		return
	}
	if ban && status != "rejected" {
		writeErr(w, http.StatusBadRequest, "banWithoutReject", "The banAuthor parameter can only be used with rejected.")
		return
	}
	for _, id := range strings.Split(ids[0], ",") {
		c, ok := s.byID[id]
		if !ok || s.channelOf[c.VideoID] != channel {
			writeErr(w, http.StatusNotFound, "commentNotFound", "The comment could not be found.")
			return
		}
		c.Status = status
		if ban {
			s.banned[c.AuthorChannelID] = true
		}
		s.actions = append(s.actions, Action{Kind: "setModerationStatus", CommentID: id, Status: status, BanAuthor: ban})
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) reply(w http.ResponseWriter, r *http.Request, channel string) {
	if r.URL.Query().Get("part") != "snippet" {
		writeErr(w, http.StatusBadRequest, "missingRequiredParameter", "part=snippet is required")
		return
	}
	var body struct {
		Snippet struct {
			ParentID     string `json:"parentId"`
			TextOriginal string `json:"textOriginal"`
		} `json:"snippet"`
	}
	data, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err := json.Unmarshal(data, &body); err != nil || body.Snippet.TextOriginal == "" {
		writeErr(w, http.StatusBadRequest, "commentTextRequired", "The comment must contain text.")
		return
	}
	parent, ok := s.byID[body.Snippet.ParentID]
	if !ok || parent.ParentID != "" || s.channelOf[parent.VideoID] != channel {
		writeErr(w, http.StatusNotFound, "parentCommentNotFound", "The parent comment could not be found.")
		return
	}
	s.seq++
	c := &Comment{ID: parent.ID + "." + strconv.Itoa(s.seq), VideoID: parent.VideoID, ParentID: parent.ID, Text: body.Snippet.TextOriginal,
		AuthorName: "@comune", AuthorChannelID: channel, PublishedAt: s.now(), Status: "published"}
	s.comments = append(s.comments, c)
	s.byID[c.ID] = c
	s.actions = append(s.actions, Action{Kind: "reply", CommentID: parent.ID, Text: c.Text, ResultID: c.ID})
	writeJSON(w, render(c))
}

// includedReplies is how many replies commentThreads includes per thread, as the API does.
const includedReplies = 5

func (s *Server) listReplies(w http.ResponseWriter, q map[string][]string, channel string) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	parent, ok := s.byID[get("parentId")]
	if get("part") == "" || get("parentId") == "" {
		writeErr(w, http.StatusBadRequest, "missingRequiredParameter", "No filter selected. Expected one of: id, parentId")
		return
	}
	if !ok || s.channelOf[parent.VideoID] != channel {
		writeErr(w, http.StatusNotFound, "parentCommentNotFound", "The parent comment could not be found.")
		return
	}
	limit := 20
	if v := get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			writeErr(w, http.StatusBadRequest, "invalidMaxResults", "maxResults must be between 1 and 100")
			return
		}
		limit = n
	}
	if s.pageSize > 0 {
		limit = min(limit, s.pageSize)
	}
	offset := 0
	if tok := get("pageToken"); tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		n, err2 := strconv.Atoi(strings.TrimPrefix(string(b), "o:"))
		if err != nil || err2 != nil || n < 0 {
			writeErr(w, http.StatusBadRequest, "invalidPageToken", "The request specifies an invalid page token.")
			return
		}
		offset = n
	}
	var all []*Comment
	for _, c := range s.comments {
		if c.ParentID == parent.ID && c.Status == "published" {
			all = append(all, c)
		}
	}
	end := min(offset+limit, len(all))
	items := []any{}
	for _, c := range all[min(offset, len(all)):end] {
		r := render(c)
		delete(r["snippet"].(map[string]any), "videoId") // replies listed on their own carry no videoId
		items = append(items, r)
	}
	res := map[string]any{"kind": "youtube#commentListResponse", "items": items}
	if end < len(all) {
		res["nextPageToken"] = base64.RawURLEncoding.EncodeToString([]byte("o:" + strconv.Itoa(end)))
	}
	writeJSON(w, res)
}
