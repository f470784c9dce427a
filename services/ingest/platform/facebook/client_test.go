package facebook_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/piazza-pa/piazza/services/ingest/platform/facebook"
	"github.com/piazza-pa/piazza/services/ingest/platform/facebook/fakegraph"
)

const (
	pageID = "104857600000001"
	token  = "EAAPiazzaSecretPageToken"
)

var epoch = time.Date(2026, 5, 4, 9, 12, 44, 0, time.UTC)

type fixture struct {
	srv      *fakegraph.Server
	client   *facebook.Client
	post     fakegraph.Post
	requests atomic.Int64
}

// newFixture starts the fake Graph API with one post and a client for it. The fake's clock is
// pinned an hour after the seeded content so private replies stay within their window.
func newFixture(t testing.TB, opts fakegraph.Options, cfg facebook.Config) *fixture {
	t.Helper()
	f := &fixture{}
	if opts.Tokens == nil {
		opts.Tokens = map[string]string{token: pageID}
	}
	if opts.Now == nil {
		opts.Now = func() time.Time { return epoch.Add(time.Hour) }
	}
	f.srv = fakegraph.New(opts)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.requests.Add(1)
		f.srv.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	cfg.BaseURL = ts.URL
	if cfg.AccessToken == "" {
		cfg.AccessToken = token
	}
	cfg.HTTPClient = ts.Client()
	c, err := facebook.New(cfg)
	if err != nil {
		t.Fatalf("new client: %v", err)
	}
	f.client = c
	f.post, err = f.srv.AddPost(pageID, fakegraph.Post{Message: "Lavori in piazza Garibaldi", CreatedTime: epoch})
	if err != nil {
		t.Fatalf("add post: %v", err)
	}
	return f
}

func (f *fixture) addComment(t testing.TB, c fakegraph.Comment) fakegraph.Comment {
	t.Helper()
	got, err := f.srv.AddComment(f.post.ID, c)
	if err != nil {
		t.Fatalf("add comment: %v", err)
	}
	return got
}

func (f *fixture) addComments(t testing.TB, n int) []fakegraph.Comment {
	t.Helper()
	var out []fakegraph.Comment
	for i := range n {
		out = append(out, f.addComment(t, fakegraph.Comment{
			Message:     fmt.Sprintf("commento %d", i),
			From:        fakegraph.User{ID: fmt.Sprintf("user%d", i), Name: "Cittadino"},
			CreatedTime: epoch.Add(time.Duration(i) * time.Minute),
		}))
	}
	return out
}

// graphError extracts the GraphError from err or fails the test.
func graphError(t testing.TB, err error) *facebook.GraphError {
	t.Helper()
	var gerr *facebook.GraphError
	if !errors.As(err, &gerr) {
		t.Fatalf("error %v (%T) is not a *GraphError", err, err)
	}
	return gerr
}

func TestActions(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		act      func(f *fixture, c fakegraph.Comment) (string, error)
		wantKind fakegraph.ActionKind
		wantText string
		check    func(st fakegraph.Comment) bool
	}{
		{"hide", func(f *fixture, c fakegraph.Comment) (string, error) { return "", f.client.Hide(ctx, c.ID) },
			fakegraph.ActionHide, "", func(st fakegraph.Comment) bool { return st.Hidden }},
		{"unhide", func(f *fixture, c fakegraph.Comment) (string, error) { return "", f.client.Unhide(ctx, c.ID) },
			fakegraph.ActionUnhide, "", func(st fakegraph.Comment) bool { return !st.Hidden }},
		{"delete", func(f *fixture, c fakegraph.Comment) (string, error) { return "", f.client.Delete(ctx, c.ID) },
			fakegraph.ActionDelete, "", func(st fakegraph.Comment) bool { return st.Deleted }},
		{"reply", func(f *fixture, c fakegraph.Comment) (string, error) {
			return f.client.Reply(ctx, c.ID, "Grazie della segnalazione, è stata inoltrata all'Ufficio Tecnico.")
		}, fakegraph.ActionReply, "Grazie della segnalazione, è stata inoltrata all'Ufficio Tecnico.",
			func(st fakegraph.Comment) bool { return len(st.Replies) == 1 }},
		{"private reply", func(f *fixture, c fakegraph.Comment) (string, error) {
			return f.client.PrivateReply(ctx, pageID, c.ID, "Le scriviamo in privato: {\"dati\": \"riservati\"}")
		}, fakegraph.ActionPrivateReply, "Le scriviamo in privato: {\"dati\": \"riservati\"}",
			func(st fakegraph.Comment) bool { return st.PrivateReply != "" }},
		{"block", func(f *fixture, c fakegraph.Comment) (string, error) {
			return "", f.client.Block(ctx, pageID, c.From.ID)
		}, fakegraph.ActionBlock, "", func(fakegraph.Comment) bool { return true }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, fakegraph.Options{}, facebook.Config{})
			c := f.addComment(t, fakegraph.Comment{Message: "Vergogna!", From: fakegraph.User{ID: "42", Name: "Mario"},
				CreatedTime: epoch, Hidden: tt.wantKind == fakegraph.ActionUnhide})
			resultID, err := tt.act(f, c)
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			actions := f.srv.Actions()
			if len(actions) != 1 {
				t.Fatalf("actions = %+v, want one", actions)
			}
			a := actions[0]
			wantObject := c.ID
			if tt.wantKind == fakegraph.ActionBlock {
				wantObject = "42"
			}
			if a.Kind != tt.wantKind || a.ObjectID != wantObject || a.Text != tt.wantText || a.PageID != pageID {
				t.Errorf("action = %+v, want %s on %s with text %q", a, tt.wantKind, wantObject, tt.wantText)
			}
			if a.ResultID != resultID {
				t.Errorf("returned id %q, fake recorded %q", resultID, a.ResultID)
			}
			st, _ := f.srv.Comment(c.ID)
			if !tt.check(st) {
				t.Errorf("comment state after %s: %+v", tt.name, st)
			}
		})
	}
}

func TestBlockRecordsUser(t *testing.T) {
	f := newFixture(t, fakegraph.Options{}, facebook.Config{})
	if err := f.client.Block(context.Background(), pageID, "5550001"); err != nil {
		t.Fatal(err)
	}
	if got := f.srv.Blocked(pageID); len(got) != 1 || got[0] != "5550001" {
		t.Errorf("blocked = %v, want [5550001]", got)
	}
}

func TestCommentsPaginateToTheEnd(t *testing.T) {
	f := newFixture(t, fakegraph.Options{}, facebook.Config{PageSize: 3})
	ctx := context.Background()
	top := f.addComments(t, 5)
	reply := f.addComment(t, fakegraph.Comment{ParentID: top[1].ID, Message: "risposta",
		From: fakegraph.User{ID: "77", Name: "Lucia"}, CreatedTime: epoch.Add(10 * time.Minute)})
	// A deleted comment leaves a hole in the paging but not in the result.
	if err := f.client.Delete(ctx, top[3].ID); err != nil {
		t.Fatal(err)
	}
	before := f.requests.Load()

	var got []facebook.Comment
	after := ""
	pages := 0
	for {
		p, err := f.client.Comments(ctx, f.post.ID, after)
		if err != nil {
			t.Fatalf("page %d: %v", pages, err)
		}
		pages++
		got = append(got, p.Comments...)
		after = p.After
		if !p.HasNext {
			break
		}
	}
	wantIDs := []string{top[0].ID, top[1].ID, top[2].ID, top[4].ID, reply.ID}
	var gotIDs []string
	for _, c := range got {
		gotIDs = append(gotIDs, c.ID)
	}
	if strings.Join(gotIDs, ",") != strings.Join(wantIDs, ",") {
		t.Fatalf("ids = %v, want %v", gotIDs, wantIDs)
	}
	if pages != 2 || f.requests.Load()-before != 2 {
		t.Errorf("pages = %d requests = %d, want 2 and 2", pages, f.requests.Load()-before)
	}
	r := got[4]
	if r.ParentID != top[1].ID || r.PostID != f.post.ID || r.From != (facebook.User{ID: "77", Name: "Lucia"}) ||
		!r.CreatedTime.Equal(epoch.Add(10*time.Minute)) || r.Message != "risposta" || r.PermalinkURL == "" {
		t.Errorf("reply = %+v, want parent %s, author Lucia, created %s", r, top[1].ID, epoch.Add(10*time.Minute))
	}

	// The last page's cursor resumes after the newest comment seen.
	fresh := f.addComment(t, fakegraph.Comment{Message: "nuovo", CreatedTime: epoch.Add(20 * time.Minute)})
	p, err := f.client.Comments(ctx, f.post.ID, after)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Comments) != 1 || p.Comments[0].ID != fresh.ID || p.HasNext {
		t.Errorf("resumed page = %+v, want only %s", p, fresh.ID)
	}
	// An empty page keeps the caller's cursor.
	empty, err := f.client.Comments(ctx, f.post.ID, p.After)
	if err != nil {
		t.Fatal(err)
	}
	if len(empty.Comments) != 0 || empty.After != p.After {
		t.Errorf("empty page = %+v, want no comments and cursor %q", empty, p.After)
	}
}

func TestAllCommentsAcrossEmptyPages(t *testing.T) {
	f := newFixture(t, fakegraph.Options{}, facebook.Config{PageSize: 2})
	ctx := context.Background()
	cs := f.addComments(t, 6)
	for _, c := range cs[2:4] {
		if err := f.client.Delete(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for c, err := range f.client.AllComments(ctx, f.post.ID, epoch.Add(time.Minute)) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, c.Message)
	}
	if want := "commento 1,commento 4,commento 5"; strings.Join(got, ",") != want {
		t.Errorf("messages = %v, want %s", got, want)
	}
}

func TestFeed(t *testing.T) {
	f := newFixture(t, fakegraph.Options{}, facebook.Config{PageSize: 2})
	for i := 1; i <= 5; i++ {
		if _, err := f.srv.AddPost(pageID, fakegraph.Post{Message: fmt.Sprint("post ", i), CreatedTime: epoch.Add(time.Duration(i) * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name  string
		since time.Time
		want  string
	}{
		{"all", time.Time{}, "post 5,post 4,post 3,post 2,post 1,Lavori in piazza Garibaldi"},
		{"since", epoch.Add(3 * time.Hour), "post 5,post 4,post 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for p, err := range f.client.Feed(context.Background(), pageID, tt.since) {
				if err != nil {
					t.Fatal(err)
				}
				if p.CreatedTime.IsZero() || p.ID == "" {
					t.Errorf("post %+v lacks id or time", p)
				}
				got = append(got, p.Message)
			}
			if strings.Join(got, ",") != tt.want {
				t.Errorf("feed = %v, want %s", got, tt.want)
			}
		})
	}
}

func TestReadComment(t *testing.T) {
	f := newFixture(t, fakegraph.Options{}, facebook.Config{})
	ctx := context.Background()
	c := f.addComment(t, fakegraph.Comment{Message: "buche in via Dante", From: fakegraph.User{ID: "8", Name: "Anna"},
		CreatedTime: epoch, Hidden: true})
	got, err := f.client.Comment(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != c.ID || got.Message != c.Message || !got.IsHidden || got.From.ID != "8" || !got.CreatedTime.Equal(epoch) {
		t.Errorf("comment = %+v, want %+v", got, c)
	}
	if err := f.client.Delete(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	_, err = f.client.Comment(ctx, c.ID)
	if gerr := graphError(t, err); !gerr.ObjectMissing() {
		t.Errorf("read after delete: %v, want object missing", err)
	}
}

func TestDuplicateDeleteIsObjectMissing(t *testing.T) {
	f := newFixture(t, fakegraph.Options{}, facebook.Config{})
	ctx := context.Background()
	c := f.addComments(t, 1)[0]
	if err := f.client.Delete(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	err := f.client.Delete(ctx, c.ID)
	gerr := graphError(t, err)
	if !gerr.ObjectMissing() || !gerr.Permanent() || gerr.Transient() || gerr.Code != 100 || gerr.Subcode != 33 {
		t.Errorf("second delete: %+v, want code 100/33 permanent", gerr)
	}
	if !strings.Contains(gerr.Message, "Unsupported delete request. Object with ID '"+c.ID+"' does not exist") {
		t.Errorf("message = %q", gerr.Message)
	}
	if n := len(f.srv.Actions()); n != 1 {
		t.Errorf("actions = %d, want 1", n)
	}
}

func TestSecondPrivateReplyRefused(t *testing.T) {
	f := newFixture(t, fakegraph.Options{}, facebook.Config{})
	ctx := context.Background()
	c := f.addComments(t, 1)[0]
	if _, err := f.client.PrivateReply(ctx, pageID, c.ID, "primo"); err != nil {
		t.Fatal(err)
	}
	_, err := f.client.PrivateReply(ctx, pageID, c.ID, "secondo")
	gerr := graphError(t, err)
	if !gerr.AlreadyReplied() || !gerr.Permanent() || gerr.Transient() || gerr.Code != 10900 {
		t.Errorf("second private reply: %+v, want code 10900 permanent", gerr)
	}
	if st, _ := f.srv.Comment(c.ID); st.PrivateReply != "primo" {
		t.Errorf("private reply kept = %q, want primo", st.PrivateReply)
	}
}

func TestTokenExpiryIsPermanent(t *testing.T) {
	f := newFixture(t, fakegraph.Options{}, facebook.Config{})
	ctx := context.Background()
	c := f.addComments(t, 1)[0]
	f.srv.ExpireToken()
	err := f.client.Hide(ctx, c.ID)
	gerr := graphError(t, err)
	if !gerr.Permanent() || !gerr.TokenInvalid() || gerr.Transient() || gerr.Code != 190 || gerr.Subcode != 463 ||
		gerr.Type != "OAuthException" || gerr.TraceID == "" {
		t.Errorf("expired token: %+v, want permanent 190/463 with a trace id", gerr)
	}
	if gerr.HTTPStatus != http.StatusUnauthorized {
		t.Errorf("status = %d, want 401 for a bearer token", gerr.HTTPStatus)
	}
	if !facebook.IsPermanent(err) || facebook.IsTransient(err) {
		t.Errorf("IsPermanent/IsTransient = %v/%v, want true/false", facebook.IsPermanent(err), facebook.IsTransient(err))
	}
	if strings.Contains(err.Error(), token) {
		t.Errorf("error %q contains the token", err)
	}
}

func TestAppSecretProof(t *testing.T) {
	tests := []struct {
		name, secret  string
		wantPermanent bool
	}{
		{"matching secret", "app-secret", false},
		{"wrong secret", "not-the-secret", true},
		{"no secret", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, fakegraph.Options{AppSecret: "app-secret"}, facebook.Config{AppSecret: tt.secret})
			c := f.addComments(t, 1)[0]
			err := f.client.Hide(context.Background(), c.ID)
			if (err != nil) != tt.wantPermanent || (err != nil && !facebook.IsPermanent(err)) {
				t.Errorf("hide: %v, want permanent failure %v", err, tt.wantPermanent)
			}
		})
	}
}

func TestPageRateLimit(t *testing.T) {
	f := newFixture(t, fakegraph.Options{PageCallLimit: 3}, facebook.Config{})
	ctx := context.Background()
	c := f.addComments(t, 1)[0]
	var err error
	for range 4 {
		if err = f.client.Hide(ctx, c.ID); err != nil {
			break
		}
	}
	gerr := graphError(t, err)
	if !gerr.RateLimited() || !gerr.Transient() || gerr.Permanent() || gerr.Code != 80001 || !gerr.IsTransient {
		t.Errorf("over the page limit: %+v, want rate-limited transient 80001", gerr)
	}
	if gerr.RetryAfter != time.Hour {
		t.Errorf("retry after = %s, want 1h", gerr.RetryAfter)
	}
	if u := f.client.Usage(); u.Page < 100 || u.Percent() < 100 {
		t.Errorf("usage = %+v, want page usage at or past 100%%", u)
	}
	if n := len(f.srv.Actions()); n != 3 {
		t.Errorf("actions = %d, want 3 before throttling", n)
	}
}

func TestAppRateLimit(t *testing.T) {
	f := newFixture(t, fakegraph.Options{AppCallLimit: 1}, facebook.Config{})
	c := f.addComments(t, 1)[0]
	ctx := context.Background()
	if err := f.client.Hide(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	gerr := graphError(t, f.client.Hide(ctx, c.ID))
	if gerr.Code != 4 || !gerr.RateLimited() || !gerr.Transient() {
		t.Errorf("over the app limit: %+v, want code 4 rate-limited", gerr)
	}
}

func TestInjectedFailures(t *testing.T) {
	tests := []struct {
		name                            string
		status, code                    int
		wantTransient, wantPerm, wantRL bool
	}{
		{"500 unknown", 500, 1, true, false, false},
		{"503 unexpected", 503, 2, true, false, false},
		{"502 html from a proxy", 502, 0, true, false, false},
		{"400 temporary code 2", 400, 2, true, false, false},
		{"app limit", 400, 4, true, false, true},
		{"user limit", 400, 17, true, false, true},
		{"page limit user token", 400, 32, true, false, true},
		{"api limit", 400, 613, true, false, true},
		{"page limit", 400, 80001, true, false, true},
		{"revoked token", 400, 190, false, true, false},
		{"permission", 403, 200, false, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, fakegraph.Options{}, facebook.Config{})
			c := f.addComments(t, 1)[0]
			f.srv.FailNext(1, tt.status, tt.code)
			err := f.client.Hide(context.Background(), c.ID)
			gerr := graphError(t, err)
			if gerr.HTTPStatus != tt.status || gerr.Code != tt.code || gerr.Transient() != tt.wantTransient ||
				gerr.Permanent() != tt.wantPerm || gerr.RateLimited() != tt.wantRL {
				t.Errorf("got %+v (transient %v permanent %v rate-limited %v), want status %d code %d (%v %v %v)",
					gerr, gerr.Transient(), gerr.Permanent(), gerr.RateLimited(), tt.status, tt.code, tt.wantTransient, tt.wantPerm, tt.wantRL)
			}
			if facebook.IsTransient(err) != tt.wantTransient {
				t.Errorf("IsTransient = %v, want %v", facebook.IsTransient(err), tt.wantTransient)
			}
			// The fault was consumed: the retry succeeds.
			if err := f.client.Hide(context.Background(), c.ID); err != nil {
				t.Errorf("retry: %v", err)
			}
		})
	}
}

func TestUsageFromHeaders(t *testing.T) {
	f := newFixture(t, fakegraph.Options{PageCallLimit: 10, AppCallLimit: 20}, facebook.Config{})
	if u := f.client.Usage(); !u.Observed.IsZero() || u.Percent() != 0 {
		t.Errorf("usage before any call = %+v, want zero", u)
	}
	c := f.addComments(t, 1)[0]
	for range 3 {
		if err := f.client.Hide(context.Background(), c.ID); err != nil {
			t.Fatal(err)
		}
	}
	u := f.client.Usage()
	if u.Page != 30 || u.App != 15 || u.Percent() != 30 || u.RegainAccess != 0 || u.Observed.IsZero() {
		t.Errorf("usage = %+v, want page 30 app 15", u)
	}
}

func TestTokenNeverInErrors(t *testing.T) {
	// A server that echoes the token back in its error message.
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":{"message":"bad token %s","type":"OAuthException","code":190}}`,
			strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	}))
	defer echo.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()

	for _, base := range []string{echo.URL, closedURL} {
		c, err := facebook.New(facebook.Config{BaseURL: base, AccessToken: token, AppSecret: "app-secret"})
		if err != nil {
			t.Fatal(err)
		}
		err = c.Hide(context.Background(), "1_2")
		if err == nil || strings.Contains(err.Error(), token) {
			t.Errorf("error %v leaks the token or is nil", err)
		}
		if s := fmt.Sprintf("%v %+v %#v", c, c, c); strings.Contains(s, token) {
			t.Errorf("client formats as %q, leaking the token", s)
		}
	}
	cfg := facebook.Config{AccessToken: token, AppSecret: "app-secret"}
	if s := fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, cfg); strings.Contains(s, token) || strings.Contains(s, "app-secret") {
		t.Errorf("config formats as %q, leaking secrets", s)
	}
}

func TestTransportErrorsAreTransient(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	c, err := facebook.New(facebook.Config{BaseURL: closedURL, AccessToken: token})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Hide(context.Background(), "1_2")
	if !facebook.IsTransient(err) {
		t.Errorf("connection refused: IsTransient(%v) = false, want true", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Hide(ctx, "1_2"); err == nil || facebook.IsTransient(err) {
		t.Errorf("cancelled: IsTransient(%v) = true, want false", err)
	}
}

func TestInvalidInput(t *testing.T) {
	f := newFixture(t, fakegraph.Options{}, facebook.Config{})
	ctx := context.Background()
	calls := []struct {
		name string
		call func() error
	}{
		{"hide path traversal", func() error { return f.client.Hide(ctx, "../me") }},
		{"delete empty", func() error { return f.client.Delete(ctx, "") }},
		{"reply empty text", func() error { _, err := f.client.Reply(ctx, "1_2", "  "); return err }},
		{"private reply query", func() error { _, err := f.client.PrivateReply(ctx, "1?x=y", "1_2", "ciao"); return err }},
		{"block empty user", func() error { return f.client.Block(ctx, pageID, "") }},
	}
	for _, tt := range calls {
		if err := tt.call(); err == nil {
			t.Errorf("%s: nil error", tt.name)
		}
	}
	if n := f.requests.Load(); n != 0 {
		t.Errorf("requests sent = %d, want 0", n)
	}
	if _, err := facebook.New(facebook.Config{}); err == nil {
		t.Error("New without a token: nil error")
	}
	if _, err := facebook.New(facebook.Config{AccessToken: "x", BaseURL: "graph.facebook.com"}); err == nil {
		t.Error("New with a relative base URL: nil error")
	}
}

func TestConcurrentCalls(t *testing.T) {
	f := newFixture(t, fakegraph.Options{}, facebook.Config{})
	cs := f.addComments(t, 16)
	ctx := context.Background()
	errs := make(chan error, 2*len(cs))
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Go(func() {
			errs <- f.client.Hide(ctx, c.ID)
			_, err := f.client.Reply(ctx, c.ID, "Grazie")
			errs <- err
			_ = f.client.Usage()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := len(f.srv.Actions()); n != 2*len(cs) {
		t.Errorf("actions = %d, want %d", n, 2*len(cs))
	}
}
