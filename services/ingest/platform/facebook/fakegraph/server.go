// Package fakegraph is a local stand-in for the Meta Graph API as used by Facebook Pages: it
// serves the feed and comment edges, the moderation actions (hide, delete, reply, private reply,
// block), token checks, usage headers and rate limits with the real paths, parameters, JSON
// shapes and error bodies, so the Facebook connector can be tested and demonstrated without the
// internet. Tests seed it with pages, posts and comments, inject faults, and inspect every effect
// the client applied.
package fakegraph

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Defaults applied by New to zero-valued Options fields.
const (
	// DefaultVersion is the Graph API version prefix served when Options.Version is empty.
	DefaultVersion = "v26.0"
	// DefaultPageCallLimit is the number of calls a Page token may make per window.
	DefaultPageCallLimit = 4800
	// DefaultAppCallLimit is the number of calls the whole app may make per window.
	DefaultAppCallLimit = 20000
	// DefaultWindow is the length of the usage accounting window.
	DefaultWindow = time.Hour
	// DefaultPrivateReplyLimit is the number of private replies a Page may send per window.
	DefaultPrivateReplyLimit = 750
	// PrivateReplyWindow is how long after a comment's creation a private reply is accepted.
	PrivateReplyWindow = 7 * 24 * time.Hour
)

// Options configures a Server. Zero values take the defaults above.
type Options struct {
	// Version is the path prefix the server answers under, such as "v26.0".
	Version string
	// Tokens maps each valid Page access token to the ID of the Page it acts for.
	Tokens map[string]string
	// AppSecret, when set, makes every call require appsecret_proof, the hex HMAC-SHA256 of the
	// access token keyed with this secret, as with the "require app secret" app setting.
	AppSecret string
	// PageCallLimit is how many calls one Page token may make per Window before code 80001.
	PageCallLimit int
	// AppCallLimit is how many calls the app may make per Window before code 4.
	AppCallLimit int
	// Window is the usage accounting window; counters reset when it elapses.
	Window time.Duration
	// PrivateReplyLimit is how many private replies one Page may send per Window.
	PrivateReplyLimit int
	// Now returns the current time; tests pin it to make windows and expiry deterministic.
	Now func() time.Time
}

// User is the author of a comment as the Graph API returns it in the from field.
type User struct {
	// ID is the app- or page-scoped user ID.
	ID string
	// Name is the display name.
	Name string
}

// Post is a Page post.
type Post struct {
	// ID is the post ID, "<page-id>_<number>"; AddPost generates one when empty.
	ID string
	// Message is the post text.
	Message string
	// CreatedTime is when the post was published; AddPost uses the server clock when zero.
	CreatedTime time.Time
}

// Comment is a comment or reply on a post, together with the moderation state the fake keeps.
type Comment struct {
	// ID is the comment ID, "<post-number>_<number>"; AddComment generates one when empty.
	ID string
	// PostID is the post the comment belongs to; AddComment sets it.
	PostID string
	// ParentID is the comment this one replies to, empty for a top-level comment.
	ParentID string
	// Message is the comment text.
	Message string
	// From is the author.
	From User
	// CreatedTime is when the comment was written; AddComment uses the server clock when zero.
	CreatedTime time.Time
	// Hidden reports whether the comment is hidden from everyone but its author and friends.
	Hidden bool
	// Deleted reports whether the comment was deleted.
	Deleted bool
	// Replies lists the IDs of the replies to this comment in creation order (inspection only).
	Replies []string
	// PrivateReply is the text of the private reply sent to the author, empty if none was
	// (inspection only).
	PrivateReply string
}

// ActionKind names an effect the client applied through the API.
type ActionKind string

// The effects the fake records.
const (
	// ActionHide is POST /{comment-id} with is_hidden=true.
	ActionHide ActionKind = "hide"
	// ActionUnhide is POST /{comment-id} with is_hidden=false.
	ActionUnhide ActionKind = "unhide"
	// ActionDelete is DELETE /{comment-id}.
	ActionDelete ActionKind = "delete"
	// ActionReply is POST /{object-id}/comments, a public reply as the Page.
	ActionReply ActionKind = "reply"
	// ActionPrivateReply is POST /{page-id}/messages to a comment's author.
	ActionPrivateReply ActionKind = "private_reply"
	// ActionBlock is POST /{page-id}/blocked.
	ActionBlock ActionKind = "block"
)

// Action is one effect applied by a successful write call.
type Action struct {
	// Kind is what was done.
	Kind ActionKind
	// PageID is the Page whose token made the call.
	PageID string
	// ObjectID is the comment acted on, or the blocked user for ActionBlock.
	ObjectID string
	// Text is the reply or private reply text, empty for other kinds.
	Text string
	// ResultID is the new reply's comment ID or the private reply's message ID.
	ResultID string
	// At is the server time of the call.
	At time.Time
}

// Server is the fake Graph API. It is an http.Handler and safe for concurrent use.
type Server struct {
	opts Options

	mu       sync.Mutex
	tokens   map[string]*tokenState
	pages    map[string]*page
	posts    map[string]*post
	comments map[string]*comment
	actions  []Action
	seq      int64
	traces   int64

	windowStart time.Time
	appCalls    int
	pageCalls   map[string]int

	faultLeft   int
	faultStatus int
	faultCode   int
}

type tokenState struct {
	pageID    string
	expiredAt time.Time // zero while valid
}

type page struct {
	id             string
	name           string
	posts          []*post
	blocked        []string
	privateReplies []time.Time
}

type post struct {
	Post
	pageID   string
	seq      int64
	comments []*comment // every comment and reply, in insertion order
}

type comment struct {
	Comment
	pageID string
	seq    int64
}

// New returns a Server configured by opts.
func New(opts Options) *Server {
	if opts.Version == "" {
		opts.Version = DefaultVersion
	}
	if opts.PageCallLimit <= 0 {
		opts.PageCallLimit = DefaultPageCallLimit
	}
	if opts.AppCallLimit <= 0 {
		opts.AppCallLimit = DefaultAppCallLimit
	}
	if opts.Window <= 0 {
		opts.Window = DefaultWindow
	}
	if opts.PrivateReplyLimit <= 0 {
		opts.PrivateReplyLimit = DefaultPrivateReplyLimit
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{
		opts:      opts,
		tokens:    make(map[string]*tokenState),
		pages:     make(map[string]*page),
		posts:     make(map[string]*post),
		comments:  make(map[string]*comment),
		pageCalls: make(map[string]int),
	}
	for tok, pageID := range opts.Tokens {
		s.tokens[tok] = &tokenState{pageID: pageID}
		s.ensurePage(pageID)
	}
	return s
}

// Version returns the version prefix the server answers under.
func (s *Server) Version() string { return s.opts.Version }

// AddPage registers a Page with a display name, used as the author of the Page's replies.
func (s *Server) AddPage(pageID, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ensurePage(pageID).name = name
}

// AddToken makes token a valid access token for pageID.
func (s *Server) AddToken(token, pageID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[token] = &tokenState{pageID: pageID}
	s.ensurePage(pageID)
}

// ExpireToken expires every token currently valid, as when a Page admin changes password or a
// long-lived token reaches its end; later calls with them get code 190, subcode 463.
func (s *Server) ExpireToken() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	for _, t := range s.tokens {
		if t.expiredAt.IsZero() {
			t.expiredAt = now
		}
	}
}

// FailNext makes the next n calls fail with HTTP status and Graph error code, whatever they ask:
// 500 with code 1 or 2 for outages, 400 with 4, 17, 32, 613 or 80001 for rate limits, 400 with
// 190 for a revoked token. Code 0 produces a non-JSON body, as a proxy in front of the API would.
// Failed calls still count towards usage.
func (s *Server) FailNext(n, status, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faultLeft, s.faultStatus, s.faultCode = n, status, code
}

// ResetUsage zeroes the call counters, as when the accounting window rolls over.
func (s *Server) ResetUsage() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resetUsage(s.opts.Now())
}

// CallCount returns how many calls the Page's tokens made in the current window.
func (s *Server) CallCount(pageID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pageCalls[pageID]
}

// AddPost stores p on the Page and returns it with its ID and time filled in. It fails if a post
// with the same ID exists.
func (s *Server) AddPost(pageID string, p Post) (Post, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pg := s.ensurePage(pageID)
	s.seq++
	if p.ID == "" {
		p.ID = fmt.Sprintf("%s_%d", pageID, numericID(s.seq))
	}
	if _, dup := s.posts[p.ID]; dup {
		return Post{}, fmt.Errorf("add post %s: already exists", p.ID)
	}
	if p.CreatedTime.IsZero() {
		p.CreatedTime = s.opts.Now()
	}
	p.CreatedTime = p.CreatedTime.UTC().Truncate(time.Second)
	st := &post{Post: p, pageID: pageID, seq: s.seq}
	s.posts[p.ID] = st
	pg.posts = append(pg.posts, st)
	return p, nil
}

// AddComment stores c on the post and returns it with its ID, post and time filled in. A reply
// names its parent in ParentID, which must be a comment on the same post. Hidden and Deleted are
// kept; Replies and PrivateReply are ignored.
func (s *Server) AddComment(postID string, c Comment) (Comment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.posts[postID]
	if !ok {
		return Comment{}, fmt.Errorf("add comment to %s: no such post", postID)
	}
	if c.ParentID != "" {
		parent, ok := s.comments[c.ParentID]
		if !ok || parent.PostID != postID {
			return Comment{}, fmt.Errorf("add comment to %s: parent %s is not on the post", postID, c.ParentID)
		}
	}
	if c.ID != "" {
		if _, dup := s.comments[c.ID]; dup {
			return Comment{}, fmt.Errorf("add comment %s: already exists", c.ID)
		}
	}
	if c.CreatedTime.IsZero() {
		c.CreatedTime = s.opts.Now()
	}
	c.Replies, c.PrivateReply = nil, ""
	st := s.insertComment(p, c)
	return st.snapshot(), nil
}

// Comment returns the state of a comment, including deleted ones.
func (s *Server) Comment(id string) (Comment, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.comments[id]
	if !ok {
		return Comment{}, false
	}
	return c.snapshot(), true
}

// Actions returns every effect applied so far, in order.
func (s *Server) Actions() []Action {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.actions)
}

// Blocked returns the users the Page blocked, in order.
func (s *Server) Blocked(pageID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if pg, ok := s.pages[pageID]; ok {
		return slices.Clone(pg.blocked)
	}
	return nil
}

func (c *comment) snapshot() Comment {
	out := c.Comment
	out.Replies = slices.Clone(c.Replies)
	return out
}

// insertComment stores c on p; the caller holds s.mu.
func (s *Server) insertComment(p *post, c Comment) *comment {
	s.seq++
	if c.ID == "" {
		c.ID = fmt.Sprintf("%s_%d", localPart(p.ID), numericID(s.seq))
	}
	c.PostID = p.ID
	c.CreatedTime = c.CreatedTime.UTC().Truncate(time.Second)
	st := &comment{Comment: c, pageID: p.pageID, seq: s.seq}
	s.comments[c.ID] = st
	p.comments = append(p.comments, st)
	if c.ParentID != "" {
		parent := s.comments[c.ParentID]
		parent.Replies = append(parent.Replies, c.ID)
	}
	return st
}

func (s *Server) ensurePage(id string) *page {
	pg, ok := s.pages[id]
	if !ok {
		pg = &page{id: id, name: "Page " + id}
		s.pages[id] = pg
	}
	return pg
}

func (s *Server) record(a Action) {
	s.actions = append(s.actions, a)
}

// numericID turns a sequence number into a Graph-looking numeric ID.
func numericID(seq int64) int64 { return 100000000000000 + seq }

// localPart returns the part of a "<owner>_<number>" ID after the owner.
func localPart(id string) string {
	if _, after, ok := strings.Cut(id, "_"); ok {
		return after
	}
	return id
}

// appSecretProof is the value the Graph API expects in appsecret_proof.
func appSecretProof(token, secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(token))
	return hex.EncodeToString(m.Sum(nil))
}

// ServeHTTP answers one Graph API call.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	resp := s.handle(r)
	for k, vs := range resp.header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	resp.write(w)
}
