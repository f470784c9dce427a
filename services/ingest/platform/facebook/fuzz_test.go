package facebook

import (
	"net/http"
	"testing"
	"time"
	"unicode/utf8"
)

func FuzzParseError(f *testing.F) {
	f.Add(400, []byte(`{"error":{"message":"Error validating access token","type":"OAuthException","code":190,"error_subcode":463,"fbtrace_id":"A"}}`))
	f.Add(400, []byte(`{"error":{"message":"x","code":"80001","is_transient":true}}`))
	f.Add(200, []byte(`{"error":{"code":2}}`))
	f.Add(200, []byte(`{"success":true}`))
	f.Add(502, []byte(`<html>`))
	f.Add(400, []byte(`{"error_code":613,"error_msg":"limit"}`))
	f.Add(400, []byte(`{"error":{"code":1e99,"error_subcode":-1e99,"message":"\xff\xfe"}}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := parseError(status, body)
		if e == nil {
			if status < 200 || status >= 300 {
				t.Fatalf("status %d parsed as success", status)
			}
			return
		}
		if e.HTTPStatus != status {
			t.Errorf("HTTPStatus = %d, want %d", e.HTTPStatus, status)
		}
		if !utf8.ValidString(e.Message) || len(e.Message) > maxMessage+len("…") {
			t.Errorf("message %q is invalid UTF-8 or longer than %d", e.Message, maxMessage)
		}
		if e.Permanent() && e.Transient() {
			t.Errorf("%+v is both permanent and transient", e)
		}
		_ = e.Error()
	})
}

func FuzzParsePage(f *testing.F) {
	f.Add([]byte(`{"data":[{"id":"1_2","message":"m","from":{"id":"3","name":"n"},"created_time":"2026-05-04T09:12:44+0000","parent":{"id":"1_1"},"is_hidden":false}],"paging":{"cursors":{"before":"b","after":"a"},"next":"https://graph.facebook.com/v26.0/1/comments?after=a"}}`))
	f.Add([]byte(`{"data":[],"paging":{"next":"https://graph.facebook.com/v26.0/1/feed?until=1&__paging_token=x"}}`))
	f.Add([]byte(`{"data":[{"id":"1","created_time":"2026-13-04T09:12:44+0000"}]}`))
	f.Add([]byte(`{"data":null,"paging":{"next":"%zz"}}`))
	f.Add([]byte(`{"data":[{"id":"1","created_time":"2026-05-04T09:12:44+0000"}],"paging":{"next":"::"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if p, err := parseCommentsPage(body, "post"); err == nil {
			for _, c := range p.Comments {
				if c.ID == "" || c.PostID != "post" {
					t.Errorf("accepted comment %+v without id or post", c)
				}
			}
		}
		if posts, next, err := parseFeedPage(body); err == nil {
			for _, p := range posts {
				if p.ID == "" {
					t.Errorf("accepted post %+v without id", p)
				}
			}
			for k := range next {
				if k != "until" && k != "__paging_token" && k != "after" {
					t.Errorf("carried paging parameter %q", k)
				}
			}
		}
		_, _ = parseUsage(http.Header{"X-App-Usage": {string(body)}, "X-Business-Use-Case-Usage": {string(body)}}, time.Unix(0, 0))
	})
}

func FuzzParseInstagram(f *testing.F) {
	f.Add([]byte(`{"data":[{"timestamp":"2017-08-31T18:10:30+0000","text":"bello","id":"1787","from":{"id":"5","username":"luigi"},"media":{"id":"M"},"parent_id":"17"}],"paging":{"cursors":{"after":"a"},"next":"https://graph.facebook.com/v26.0/M/comments?after=a"}}`))
	f.Add([]byte(`{"data":[{"id":"M1","caption":"Festa","timestamp":"2026-05-04T09:12:44+0000"}],"paging":{"next":"https://graph.facebook.com/v26.0/I/media?after=x"}}`))
	f.Add([]byte(`{"data":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if p, err := ParseInstagramComments(data, "M"); err == nil {
			for _, c := range p.Comments {
				if c.ID == "" || c.PostID == "" {
					t.Errorf("comment without ids: %+v", c)
				}
			}
		} else if err.Error() == "" {
			t.Error("empty error")
		}
		if media, _, err := parseMediaPage(data); err == nil {
			for _, m := range media {
				if m.ID == "" {
					t.Errorf("media without id: %+v", m)
				}
			}
		}
	})
}
