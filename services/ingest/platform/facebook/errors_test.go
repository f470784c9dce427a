package facebook

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestParseError(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		want    *GraphError
		wantMsg string
	}{
		{"success", 200, `{"success":true}`, nil, ""},
		{"success mentioning error", 200, `{"data":[{"id":"1","message":"\"error\" in text"}]}`, nil, ""},
		{"expired token", 400,
			`{"error":{"message":"Error validating access token: Session has expired on Monday, 04-May-26 02:00:00 PDT.","type":"OAuthException","code":190,"error_subcode":463,"fbtrace_id":"AbCdEf"}}`,
			&GraphError{HTTPStatus: 400, Code: 190, Subcode: 463, Type: "OAuthException", TraceID: "AbCdEf"}, "Session has expired"},
		{"object missing", 400,
			`{"error":{"message":"Unsupported delete request. Object with ID '1_2' does not exist","type":"GraphMethodException","code":100,"error_subcode":33,"fbtrace_id":"X"}}`,
			&GraphError{HTTPStatus: 400, Code: 100, Subcode: 33, Type: "GraphMethodException", TraceID: "X"}, "Unsupported delete request"},
		{"page rate limit", 400,
			`{"error":{"message":"(#80001) There have been too many calls to this Page account.","type":"OAuthException","is_transient":true,"code":80001,"fbtrace_id":"Y"}}`,
			&GraphError{HTTPStatus: 400, Code: 80001, Type: "OAuthException", TraceID: "Y", IsTransient: true}, "(#80001)"},
		{"code as string", 400, `{"error":{"message":"m","code":"613"}}`, &GraphError{HTTPStatus: 400, Code: 613}, "m"},
		{"legacy rest shape", 400, `{"error_code":613,"error_msg":"Calls to this api have exceeded the rate limit. (613)"}`,
			&GraphError{HTTPStatus: 400, Code: 613}, "exceeded the rate limit"},
		{"error in a 200", 200, `{"error":{"message":"(#2) Service temporarily unavailable","code":2}}`,
			&GraphError{HTTPStatus: 200, Code: 2}, "temporarily"},
		{"html from a proxy", 502, `<html>Bad Gateway</html>`, &GraphError{HTTPStatus: 502}, "unreadable error response: Bad Gateway"},
		{"empty 500", 500, ``, &GraphError{HTTPStatus: 500}, "Internal Server Error"},
		{"json without error", 404, `{"foo":1}`, &GraphError{HTTPStatus: 404}, "without an error object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseError(tt.status, []byte(tt.body))
			if (got == nil) != (tt.want == nil) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			if got == nil {
				return
			}
			msg := got.Message
			got.Message = ""
			if *got != *tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			if !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("message %q, want it to contain %q", msg, tt.wantMsg)
			}
		})
	}
}

func TestErrorClassification(t *testing.T) {
	tests := []struct {
		err                        GraphError
		rate, permanent, transient bool
	}{
		{GraphError{HTTPStatus: 400, Code: 4}, true, false, true},
		{GraphError{HTTPStatus: 400, Code: 17}, true, false, true},
		{GraphError{HTTPStatus: 400, Code: 32}, true, false, true},
		{GraphError{HTTPStatus: 400, Code: 613}, true, false, true},
		{GraphError{HTTPStatus: 400, Code: 80001}, true, false, true},
		{GraphError{HTTPStatus: 400, Code: 80002}, true, false, true},
		{GraphError{HTTPStatus: 429}, true, false, true},
		{GraphError{HTTPStatus: 400, Code: 190, Subcode: 463}, false, true, false},
		{GraphError{HTTPStatus: 400, Code: 102}, false, true, false},
		{GraphError{HTTPStatus: 400, Code: 10}, false, true, false},
		{GraphError{HTTPStatus: 403, Code: 200}, false, true, false},
		{GraphError{HTTPStatus: 400, Code: 299}, false, true, false},
		{GraphError{HTTPStatus: 400, Code: 100, Subcode: 33}, false, true, false},
		{GraphError{HTTPStatus: 400, Code: 10900}, false, true, false},
		{GraphError{HTTPStatus: 500, Code: 1}, false, false, true},
		{GraphError{HTTPStatus: 400, Code: 2}, false, false, true},
		{GraphError{HTTPStatus: 503}, false, false, true},
		{GraphError{HTTPStatus: 400, Code: 368, IsTransient: true}, false, false, true},
		{GraphError{HTTPStatus: 400, Code: 368}, false, false, false},
	}
	for _, tt := range tests {
		e := tt.err
		if e.RateLimited() != tt.rate || e.Permanent() != tt.permanent || e.Transient() != tt.transient {
			t.Errorf("%+v: rate %v permanent %v transient %v, want %v %v %v",
				e, e.RateLimited(), e.Permanent(), e.Transient(), tt.rate, tt.permanent, tt.transient)
		}
	}
}

func TestErrorString(t *testing.T) {
	e := &GraphError{HTTPStatus: 400, Code: 190, Subcode: 463, Type: "OAuthException", Message: "expired", TraceID: "T1"}
	want := "graph api: expired (http 400, code 190, subcode 463, type OAuthException, fbtrace_id T1)"
	if got := e.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestParseUsage(t *testing.T) {
	now := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header http.Header
		want   Usage
		wantOK bool
	}{
		{"none", http.Header{}, Usage{}, false},
		{"app only", http.Header{"X-App-Usage": {`{"call_count":28,"total_time":25,"total_cputime":31}`}},
			Usage{App: 31, Observed: now}, true},
		{"business use case", http.Header{
			"X-App-Usage":               {`{"call_count":1,"total_time":1,"total_cputime":1}`},
			"X-Business-Use-Case-Usage": {`{"104":[{"type":"pages","call_count":97,"total_cputime":23,"total_time":23,"estimated_time_to_regain_access":0}],"105":[{"type":"pages","call_count":5,"total_cputime":99.5,"total_time":1,"estimated_time_to_regain_access":12}]}`},
		}, Usage{App: 1, Page: 99, RegainAccess: 12 * time.Minute, Observed: now}, true},
		{"legacy page header", http.Header{"X-Page-Usage": {`{"call_count":85,"total_cputime":56,"total_time":60}`}},
			Usage{Page: 85, Observed: now}, true},
		{"malformed ignored", http.Header{"X-App-Usage": {`{call_count:`}, "X-Business-Use-Case-Usage": {`[]`}}, Usage{}, false},
		{"absurd values clamped", http.Header{"X-Business-Use-Case-Usage": {`{"1":[{"call_count":1e300,"estimated_time_to_regain_access":-5}]}`}},
			Usage{Page: 1000, Observed: now}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseUsage(tt.header, now)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("got %+v %v, want %+v %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestParseCommentsPage(t *testing.T) {
	body := `{"data":[{"id":"9_1","message":"ciao","from":{"id":"5","name":"Gino"},"created_time":"2026-05-04T09:12:44+0000","parent":{"id":"9_0"},"is_hidden":true}],
		"paging":{"cursors":{"before":"b","after":"a"},"next":"https://graph.facebook.com/v26.0/9/comments?after=a"}}`
	p, err := parseCommentsPage([]byte(body), "1_9")
	if err != nil {
		t.Fatal(err)
	}
	want := Comment{ID: "9_1", PostID: "1_9", ParentID: "9_0", Message: "ciao", From: User{ID: "5", Name: "Gino"},
		CreatedTime: time.Date(2026, 5, 4, 9, 12, 44, 0, time.UTC), IsHidden: true}
	if len(p.Comments) != 1 || p.Comments[0] != want || p.After != "a" || !p.HasNext {
		t.Errorf("page = %+v, want %+v after a with next", p, want)
	}
	for _, bad := range []string{`{}`, `{"data":[{"id":"1","created_time":"yesterday"}]}`, `{"data":[{"message":"x"}]}`, `[`} {
		if _, err := parseCommentsPage([]byte(bad), "p"); err == nil {
			t.Errorf("parse %s: nil error", bad)
		}
	}
}

func TestParseFeedPage(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		wantNext string
		wantErr  bool
	}{
		{"time paging", `{"data":[{"id":"1_2","created_time":"2026-05-04T09:12:44+0000"}],"paging":{"previous":"x","next":"https://evil.example/v26.0/1/feed?access_token=T&until=1700000000&__paging_token=enc&limit=25"}}`,
			"__paging_token=enc&until=1700000000", false},
		{"cursor paging", `{"data":[],"paging":{"cursors":{"after":"c1"},"next":"https://graph.facebook.com/v26.0/1/posts?after=c1"}}`, "after=c1", false},
		{"last page", `{"data":[{"id":"1_2","created_time":"2026-05-04T09:12:44+0000"}]}`, "", false},
		{"next without paging params", `{"data":[],"paging":{"next":"https://graph.facebook.com/v26.0/1/feed?limit=2"}}`, "", true},
		{"bad time", `{"data":[{"id":"1_2","created_time":"2026-05-04"}]}`, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, next, err := parseFeedPage([]byte(tt.body))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if got := next.Encode(); got != tt.wantNext {
				t.Errorf("next params = %q, want %q", got, tt.wantNext)
			}
		})
	}
}
