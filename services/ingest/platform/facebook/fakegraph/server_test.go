package fakegraph_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/piazza-pa/piazza/services/ingest/platform/facebook/fakegraph"
)

const (
	pageID = "104857600000001"
	token  = "EAAPiazzaTestToken"
)

var epoch = time.Date(2026, 5, 4, 9, 12, 44, 0, time.UTC)

// clock is a settable time source for Options.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type fixture struct {
	srv   *fakegraph.Server
	ts    *httptest.Server
	clock *clock
	post  fakegraph.Post
}

func newFixture(t testing.TB, opts fakegraph.Options) *fixture {
	t.Helper()
	clk := &clock{now: epoch.Add(time.Hour)}
	if opts.Tokens == nil {
		opts.Tokens = map[string]string{token: pageID}
	}
	opts.Now = clk.Now
	srv := fakegraph.New(opts)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	p, err := srv.AddPost(pageID, fakegraph.Post{Message: "Chiusura via Roma", CreatedTime: epoch})
	if err != nil {
		t.Fatalf("add post: %v", err)
	}
	return &fixture{srv: srv, ts: ts, clock: clk, post: p}
}

func (f *fixture) addComments(t testing.TB, n int) []fakegraph.Comment {
	t.Helper()
	var out []fakegraph.Comment
	for i := range n {
		c, err := f.srv.AddComment(f.post.ID, fakegraph.Comment{
			Message:     fmt.Sprintf("commento %d", i),
			From:        fakegraph.User{ID: fmt.Sprintf("user%d", i), Name: "Cittadino"},
			CreatedTime: epoch.Add(time.Duration(i) * time.Minute),
		})
		if err != nil {
			t.Fatalf("add comment: %v", err)
		}
		out = append(out, c)
	}
	return out
}

type result struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// do sends a request; params go in the query for GET and DELETE and in a form body for POST.
func (f *fixture) do(t testing.TB, method, path string, params url.Values, header http.Header) result {
	t.Helper()
	target := f.ts.URL + path
	var body io.Reader
	if method == http.MethodPost {
		body = strings.NewReader(params.Encode())
	} else if len(params) > 0 {
		target += "?" + params.Encode()
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	return send(t, req)
}

func send(t testing.TB, req *http.Request) result {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	r := result{status: resp.StatusCode, header: resp.Header, raw: string(data)}
	_ = json.Unmarshal(data, &r.body)
	return r
}

func withToken(v url.Values) url.Values {
	if v == nil {
		v = url.Values{}
	}
	v.Set("access_token", token)
	return v
}

func errCode(r result) (code, subcode int, msg string) {
	e, _ := r.body["error"].(map[string]any)
	c, _ := e["code"].(float64)
	s, _ := e["error_subcode"].(float64)
	m, _ := e["message"].(string)
	return int(c), int(s), m
}

func dataIDs(r result) []string {
	var ids []string
	data, _ := r.body["data"].([]any)
	for _, d := range data {
		m, _ := d.(map[string]any)
		id, _ := m["id"].(string)
		ids = append(ids, id)
	}
	return ids
}

func TestCommentsCursorPaging(t *testing.T) {
	f := newFixture(t, fakegraph.Options{})
	comments := f.addComments(t, 5)
	var got []string
	next := f.ts.URL + "/v26.0/" + f.post.ID + "/comments?" + withToken(url.Values{
		"filter": {"stream"}, "order": {"chronological"}, "limit": {"2"},
		"fields": {"id,message,from{id,name},created_time,parent,is_hidden,permalink_url"},
	}).Encode()
	pages := 0
	for next != "" {
		req, _ := http.NewRequest(http.MethodGet, next, nil)
		r := send(t, req)
		if r.status != http.StatusOK {
			t.Fatalf("page %d: status %d body %s", pages, r.status, r.raw)
		}
		pages++
		got = append(got, dataIDs(r)...)
		paging, _ := r.body["paging"].(map[string]any)
		cursors, _ := paging["cursors"].(map[string]any)
		if cursors["before"] == nil || cursors["after"] == nil {
			t.Errorf("page %d: cursors = %v, want before and after", pages, cursors)
		}
		next, _ = paging["next"].(string)
		if next != "" && !strings.Contains(next, "access_token="+token) {
			t.Errorf("next link %q does not repeat the access_token parameter", next)
		}
	}
	var want []string
	for _, c := range comments {
		want = append(want, c.ID)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") || pages != 3 {
		t.Errorf("got %v in %d pages, want %v in 3", got, pages, want)
	}
}

func TestCommentFieldsShape(t *testing.T) {
	f := newFixture(t, fakegraph.Options{})
	top := f.addComments(t, 1)[0]
	reply, err := f.srv.AddComment(f.post.ID, fakegraph.Comment{ParentID: top.ID, Message: "risposta",
		From: fakegraph.User{ID: "u9", Name: "Altro"}, CreatedTime: epoch.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	r := f.do(t, http.MethodGet, "/v26.0/"+reply.ID, withToken(url.Values{
		"fields": {"id,message,from{id,name},created_time,parent{id},is_hidden,permalink_url"},
	}), nil)
	want := map[string]any{
		"id": reply.ID, "message": "risposta", "created_time": "2026-05-04T10:12:44+0000",
		"from": map[string]any{"id": "u9", "name": "Altro"}, "parent": map[string]any{"id": top.ID},
		"is_hidden": false,
	}
	for k, v := range want {
		gotJSON, _ := json.Marshal(r.body[k])
		wantJSON, _ := json.Marshal(v)
		if string(gotJSON) != string(wantJSON) {
			t.Errorf("field %s = %s, want %s", k, gotJSON, wantJSON)
		}
	}
	if link, _ := r.body["permalink_url"].(string); !strings.HasPrefix(link, "https://www.facebook.com/") {
		t.Errorf("permalink_url = %q, want a facebook.com link", link)
	}

	bad := f.do(t, http.MethodGet, "/v26.0/"+reply.ID, withToken(url.Values{"fields": {"id,likes_of_mayor"}}), nil)
	if code, _, msg := errCode(bad); code != 100 || !strings.Contains(msg, "nonexisting field (likes_of_mayor)") {
		t.Errorf("unknown field: code %d message %q, want 100 nonexisting field", code, msg)
	}
}

func TestDeletedCommentsLeaveEmptyPageWithNext(t *testing.T) {
	f := newFixture(t, fakegraph.Options{})
	comments := f.addComments(t, 5)
	for _, c := range comments[2:4] {
		if r := f.do(t, http.MethodDelete, "/v26.0/"+c.ID, withToken(nil), nil); r.status != http.StatusOK {
			t.Fatalf("delete: %d %s", r.status, r.raw)
		}
	}
	first := f.do(t, http.MethodGet, "/v26.0/"+f.post.ID+"/comments", withToken(url.Values{"limit": {"2"}}), nil)
	paging := first.body["paging"].(map[string]any)
	after := paging["cursors"].(map[string]any)["after"].(string)
	second := f.do(t, http.MethodGet, "/v26.0/"+f.post.ID+"/comments", withToken(url.Values{"limit": {"2"}, "after": {after}}), nil)
	if ids := dataIDs(second); len(ids) != 0 {
		t.Errorf("second page ids = %v, want none", ids)
	}
	if p, _ := second.body["paging"].(map[string]any); p["next"] == nil {
		t.Errorf("second page paging = %v, want a next link", p)
	}
}

func TestFeedPagesByTime(t *testing.T) {
	f := newFixture(t, fakegraph.Options{})
	for i := 1; i <= 4; i++ {
		if _, err := f.srv.AddPost(pageID, fakegraph.Post{Message: fmt.Sprint(i), CreatedTime: epoch.Add(time.Duration(i) * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	next := f.ts.URL + "/v26.0/" + pageID + "/feed?" + withToken(url.Values{"limit": {"2"}}).Encode()
	for next != "" {
		req, _ := http.NewRequest(http.MethodGet, next, nil)
		r := send(t, req)
		data, _ := r.body["data"].([]any)
		for _, d := range data {
			msg, _ := d.(map[string]any)["message"].(string)
			got = append(got, msg)
		}
		paging, _ := r.body["paging"].(map[string]any)
		if paging["cursors"] != nil {
			t.Errorf("feed paging has cursors: %v", paging)
		}
		next, _ = paging["next"].(string)
		if next != "" && (!strings.Contains(next, "until=") || !strings.Contains(next, "__paging_token=")) {
			t.Errorf("next = %q, want until and __paging_token", next)
		}
	}
	if strings.Join(got, ",") != "4,3,2,1,Chiusura via Roma" {
		t.Errorf("feed order = %v, want newest first", got)
	}
}

func TestTokenErrors(t *testing.T) {
	f := newFixture(t, fakegraph.Options{Tokens: map[string]string{token: pageID, "old": pageID}})
	f.srv.ExpireToken()
	f.srv.AddToken(token, pageID)
	tests := []struct {
		name                 string
		params               url.Values
		header               http.Header
		wantStatus, wantCode int
		wantSub              int
		wantMsg              string
	}{
		{"missing", nil, nil, 400, 104, 0, "access token is required"},
		{"unknown", url.Values{"access_token": {"nope"}}, nil, 400, 190, 0, "Invalid OAuth access token"},
		{"expired", url.Values{"access_token": {"old"}}, nil, 400, 190, 463, "Error validating access token: Session has expired"},
		{"expired bearer", nil, http.Header{"Authorization": {"Bearer old"}}, 401, 190, 463, "Session has expired"},
		{"valid bearer", nil, http.Header{"Authorization": {"Bearer " + token}}, 200, 0, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do(t, http.MethodGet, "/v26.0/"+f.post.ID, tt.params, tt.header)
			code, sub, msg := errCode(r)
			if r.status != tt.wantStatus || code != tt.wantCode || sub != tt.wantSub || !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("got %d code %d/%d %q, want %d code %d/%d containing %q",
					r.status, code, sub, msg, tt.wantStatus, tt.wantCode, tt.wantSub, tt.wantMsg)
			}
			if e, _ := r.body["error"].(map[string]any); e != nil && (e["type"] != "OAuthException" || e["fbtrace_id"] == "") {
				t.Errorf("error body %v lacks type or fbtrace_id", e)
			}
		})
	}
}

func TestAppSecretProof(t *testing.T) {
	f := newFixture(t, fakegraph.Options{AppSecret: "s3cret"})
	proofWith := func(secret string) string {
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte(token))
		return hex.EncodeToString(m.Sum(nil))
	}
	tests := []struct {
		name     string
		proof    string
		wantCode int
	}{
		{"missing", "", 100},
		{"wrong", strings.Repeat("0", 64), 100},
		{"other secret", proofWith("other"), 100},
		{"right", proofWith("s3cret"), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := withToken(nil)
			if tt.proof != "" {
				v.Set("appsecret_proof", tt.proof)
			}
			r := f.do(t, http.MethodGet, "/v26.0/"+f.post.ID, v, nil)
			if code, _, _ := errCode(r); code != tt.wantCode {
				t.Errorf("code = %d, want %d", code, tt.wantCode)
			}
		})
	}
}

func TestUsageHeadersAndPageLimit(t *testing.T) {
	f := newFixture(t, fakegraph.Options{PageCallLimit: 4, AppCallLimit: 100})
	wantPct := []int{25, 50, 75, 100}
	for i, want := range wantPct {
		r := f.do(t, http.MethodGet, "/v26.0/"+f.post.ID, withToken(nil), nil)
		if r.status != http.StatusOK {
			t.Fatalf("call %d: status %d %s", i+1, r.status, r.raw)
		}
		var buc map[string][]map[string]any
		if err := json.Unmarshal([]byte(r.header.Get("X-Business-Use-Case-Usage")), &buc); err != nil {
			t.Fatalf("X-Business-Use-Case-Usage %q: %v", r.header.Get("X-Business-Use-Case-Usage"), err)
		}
		if got := buc[pageID][0]["call_count"]; got != float64(want) || buc[pageID][0]["type"] != "pages" {
			t.Errorf("call %d: page usage %v, want call_count %d type pages", i+1, buc[pageID], want)
		}
		var app map[string]int
		if err := json.Unmarshal([]byte(r.header.Get("X-App-Usage")), &app); err != nil || app["call_count"] != i+1 {
			t.Errorf("call %d: X-App-Usage %q, want call_count %d", i+1, r.header.Get("X-App-Usage"), i+1)
		}
	}
	r := f.do(t, http.MethodGet, "/v26.0/"+f.post.ID, withToken(nil), nil)
	if code, _, _ := errCode(r); r.status != 400 || code != 80001 {
		t.Fatalf("over limit: status %d code %d, want 400 80001", r.status, code)
	}
	if !strings.Contains(r.header.Get("X-Business-Use-Case-Usage"), `"estimated_time_to_regain_access":60`) {
		t.Errorf("throttled usage header %q, want 60 minutes to regain access", r.header.Get("X-Business-Use-Case-Usage"))
	}
	f.clock.Advance(time.Hour)
	if r := f.do(t, http.MethodGet, "/v26.0/"+f.post.ID, withToken(nil), nil); r.status != http.StatusOK {
		t.Errorf("after the window: status %d, want 200", r.status)
	}
}

func TestAppLimit(t *testing.T) {
	f := newFixture(t, fakegraph.Options{AppCallLimit: 1})
	f.do(t, http.MethodGet, "/v26.0/"+f.post.ID, withToken(nil), nil)
	r := f.do(t, http.MethodGet, "/v26.0/"+f.post.ID, withToken(nil), nil)
	if code, _, _ := errCode(r); code != 4 {
		t.Errorf("code = %d, want 4", code)
	}
}

func TestFailNext(t *testing.T) {
	f := newFixture(t, fakegraph.Options{})
	f.srv.FailNext(2, http.StatusServiceUnavailable, 2)
	for i := range 2 {
		r := f.do(t, http.MethodGet, "/v26.0/"+f.post.ID, withToken(nil), nil)
		if code, _, _ := errCode(r); r.status != 503 || code != 2 || r.body["error"].(map[string]any)["is_transient"] != true {
			t.Errorf("call %d: status %d body %s, want 503 code 2 transient", i, r.status, r.raw)
		}
	}
	if r := f.do(t, http.MethodGet, "/v26.0/"+f.post.ID, withToken(nil), nil); r.status != http.StatusOK {
		t.Errorf("after faults: status %d, want 200", r.status)
	}
	f.srv.FailNext(1, http.StatusBadGateway, 0)
	r := f.do(t, http.MethodGet, "/v26.0/"+f.post.ID, withToken(nil), nil)
	if r.status != http.StatusBadGateway || r.body != nil || r.header.Get("X-App-Usage") == "" {
		t.Errorf("code 0 fault: status %d body %q, want 502 with a non-JSON body and usage headers", r.status, r.raw)
	}
}

func TestWritesAndActions(t *testing.T) {
	f := newFixture(t, fakegraph.Options{})
	cs := f.addComments(t, 3)
	// Writes accept a JSON body too.
	req, _ := http.NewRequest(http.MethodPost, f.ts.URL+"/v26.0/"+pageID+"/messages",
		strings.NewReader(`{"recipient":{"comment_id":"`+cs[1].ID+`"},"message":{"text":"Le scriviamo in privato"}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	pr := send(t, req)
	if mid, _ := pr.body["message_id"].(string); !strings.HasPrefix(mid, "m_") || pr.body["recipient_id"] == "" {
		t.Fatalf("private reply body %s, want recipient_id and m_ message_id", pr.raw)
	}
	steps := []struct {
		method, path string
		params       url.Values
		wantBody     string
	}{
		{http.MethodPost, "/v26.0/" + cs[0].ID, url.Values{"is_hidden": {"true"}}, `{"success":true}`},
		{http.MethodPost, "/v26.0/" + cs[2].ID, url.Values{"method": {"delete"}}, `{"success":true}`},
		{http.MethodPost, "/v26.0/" + pageID + "/blocked", url.Values{"user": {"user0"}}, `{"user0":true}`},
	}
	for _, s := range steps {
		if r := f.do(t, s.method, s.path, withToken(s.params), nil); r.raw != s.wantBody {
			t.Errorf("%s %s: got %s, want %s", s.method, s.path, r.raw, s.wantBody)
		}
	}
	reply := f.do(t, http.MethodPost, "/v26.0/"+cs[0].ID+"/comments", withToken(url.Values{"message": {"Grazie"}}), nil)
	replyID, _ := reply.body["id"].(string)
	// A reply to a reply joins the top-level thread.
	nested := f.do(t, http.MethodPost, "/v26.0/"+replyID+"/comments", withToken(url.Values{"message": {"Ancora"}}), nil)
	nestedID, _ := nested.body["id"].(string)
	if c, _ := f.srv.Comment(nestedID); c.ParentID != cs[0].ID || c.From.ID != pageID {
		t.Errorf("nested reply parent %q author %q, want %q by the page", c.ParentID, c.From.ID, cs[0].ID)
	}

	var kinds []string
	for _, a := range f.srv.Actions() {
		kinds = append(kinds, string(a.Kind)+":"+a.ObjectID)
	}
	want := []string{"private_reply:" + cs[1].ID, "hide:" + cs[0].ID, "delete:" + cs[2].ID, "block:user0",
		"reply:" + cs[0].ID, "reply:" + replyID}
	if strings.Join(kinds, ",") != strings.Join(want, ",") {
		t.Errorf("actions = %v, want %v", kinds, want)
	}
	if c, _ := f.srv.Comment(cs[0].ID); !c.Hidden || len(c.Replies) != 2 {
		t.Errorf("comment state hidden=%v replies=%v, want hidden with 2 replies", c.Hidden, c.Replies)
	}
	if got := f.srv.Blocked(pageID); len(got) != 1 || got[0] != "user0" {
		t.Errorf("blocked = %v, want [user0]", got)
	}
}

func TestWriteErrors(t *testing.T) {
	f := newFixture(t, fakegraph.Options{Tokens: map[string]string{token: pageID, "other": "999"}, PrivateReplyLimit: 1})
	cs := f.addComments(t, 3)
	old, err := f.srv.AddComment(f.post.ID, fakegraph.Comment{Message: "vecchio", CreatedTime: epoch.Add(-8 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	f.do(t, http.MethodDelete, "/v26.0/"+cs[2].ID, withToken(nil), nil)
	f.do(t, http.MethodPost, "/v26.0/"+pageID+"/messages", withToken(url.Values{
		"recipient": {`{"comment_id":"` + cs[0].ID + `"}`}, "message": {`{"text":"ciao"}`}}), nil)
	pm := func(id string) url.Values {
		return url.Values{"recipient": {`{"comment_id":"` + id + `"}`}, "message": {`{"text":"ciao"}`}}
	}
	tests := []struct {
		name             string
		method, path     string
		params           url.Values
		wantCode, wantSb int
		wantMsg          string
	}{
		{"delete twice", http.MethodDelete, "/v26.0/" + cs[2].ID, nil, 100, 33, "Unsupported delete request. Object with ID '" + cs[2].ID + "' does not exist"},
		{"hide deleted", http.MethodPost, "/v26.0/" + cs[2].ID, url.Values{"is_hidden": {"true"}}, 100, 33, "Unsupported post request"},
		{"bad is_hidden", http.MethodPost, "/v26.0/" + cs[1].ID, url.Values{"is_hidden": {"maybe"}}, 100, 0, "is_hidden"},
		{"second private reply", http.MethodPost, "/v26.0/" + pageID + "/messages", pm(cs[0].ID), 10900, 0, "Activity already replied to"},
		{"private reply too late", http.MethodPost, "/v26.0/" + pageID + "/messages", pm(old.ID), 10, 2018278, "outside of allowed window"},
		{"private reply rate", http.MethodPost, "/v26.0/" + pageID + "/messages", pm(cs[1].ID), 613, 0, "rate limit"},
		{"empty reply", http.MethodPost, "/v26.0/" + cs[1].ID + "/comments", url.Values{"message": {" "}}, 100, 0, "Missing message"},
		{"other page", http.MethodPost, "/v26.0/" + cs[1].ID, url.Values{"is_hidden": {"true"}, "access_token": {"other"}}, 200, 0, "Permissions error"},
		{"unknown edge", http.MethodGet, "/v26.0/" + pageID + "/insights", nil, 2500, 0, "Unknown path components"},
		{"wrong version", http.MethodGet, "/v2.0/" + pageID, nil, 2500, 0, "Unknown path components"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			params := withToken(nil)
			for k, v := range tt.params {
				params[k] = v
			}
			r := f.do(t, tt.method, tt.path, params, nil)
			code, sub, msg := errCode(r)
			if r.status < 400 || code != tt.wantCode || sub != tt.wantSb || !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("got %d code %d/%d %q, want code %d/%d containing %q", r.status, code, sub, msg, tt.wantCode, tt.wantSb, tt.wantMsg)
			}
		})
	}
	if n := len(f.srv.Actions()); n != 2 {
		t.Errorf("actions after failures = %d, want 2 (one delete, one private reply)", n)
	}
}

func TestConcurrentUse(t *testing.T) {
	f := newFixture(t, fakegraph.Options{})
	cs := f.addComments(t, 20)
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Go(func() {
			f.do(t, http.MethodPost, "/v26.0/"+c.ID, withToken(url.Values{"is_hidden": {"true"}}), nil)
			f.do(t, http.MethodGet, "/v26.0/"+f.post.ID+"/comments", withToken(nil), nil)
		})
	}
	wg.Wait()
	if got := f.srv.CallCount(pageID); got != 40 {
		t.Errorf("call count = %d, want 40", got)
	}
	for _, c := range cs {
		if st, _ := f.srv.Comment(c.ID); !st.Hidden {
			t.Errorf("comment %s not hidden", c.ID)
		}
	}
}
