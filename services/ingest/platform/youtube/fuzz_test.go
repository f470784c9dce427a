package youtube_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/piazza-pa/piazza/services/ingest/platform/youtube"
)

const threadsPage = `{"kind":"youtube#commentThreadListResponse","nextPageToken":"QURTSl9p","items":[{"id":"UgzX","snippet":{"videoId":"vid1","topLevelComment":{"id":"UgzX","snippet":{"textOriginal":"Quando finiscono i lavori?","textDisplay":"Quando finiscono i lavori?","authorDisplayName":"@mario","authorChannelId":{"value":"UC1"},"publishedAt":"2024-05-24T10:36:55Z"}},"totalReplyCount":1},"replies":{"comments":[{"id":"UgzX.1","snippet":{"parentId":"UgzX","textDisplay":"a giugno","authorDisplayName":"@anna","authorChannelId":{"value":"UC2"},"publishedAt":"2024-05-24T11:00:00Z"}}]}}]}`

func TestParseThreads(t *testing.T) {
	p, err := youtube.ParseThreads([]byte(threadsPage))
	if err != nil {
		t.Fatal(err)
	}
	if p.NextPageToken != "QURTSl9p" || len(p.Threads) != 1 {
		t.Fatalf("page %+v", p)
	}
	th := p.Threads[0]
	if th.Top.Text != "Quando finiscono i lavori?" || th.Top.AuthorChannelID != "UC1" || th.Top.VideoID != "vid1" {
		t.Errorf("top %+v", th.Top)
	}
	if len(th.Replies) != 1 || th.Replies[0].Text != "a giugno" || th.Replies[0].ParentID != "UgzX" || th.Replies[0].VideoID != "vid1" {
		t.Errorf("reply %+v (textDisplay is the fallback of textOriginal)", th.Replies)
	}
	for _, bad := range []string{`{}`, `{"kind":"youtube#commentThreadListResponse"}`, `[]`,
		`{"kind":"youtube#commentThreadListResponse","items":[{"id":"x"}]}`,
		`{"kind":"youtube#commentThreadListResponse","items":[{"id":"x","snippet":{"topLevelComment":{"id":"x","snippet":{"publishedAt":"ieri"}}}}]}`} {
		if _, err := youtube.ParseThreads([]byte(bad)); err == nil {
			t.Errorf("ParseThreads(%s) accepted", bad)
		}
	}
}

func TestParseError(t *testing.T) {
	e := youtube.ParseError(403, []byte(`{"error":{"code":403,"message":"quota","errors":[{"domain":"youtube.quota","reason":"quotaExceeded"}]}}`))
	if !e.QuotaExceeded() || !e.Transient() || e.Permanent() {
		t.Errorf("quotaExceeded read as %+v", e)
	}
	e = youtube.ParseError(401, []byte(`{"error":{"code":401,"message":"Invalid Credentials","errors":[{"reason":"authError"}]}}`))
	if !e.TokenInvalid() || !e.Permanent() {
		t.Errorf("authError read as %+v", e)
	}
	if e := youtube.ParseError(502, []byte(`<html>bad gateway</html>`)); !e.Transient() || e.Message == "" {
		t.Errorf("HTML 502 read as %+v", e)
	}
}

func FuzzParsers(f *testing.F) {
	f.Add([]byte(threadsPage))
	f.Add([]byte(`{"error":{"code":403,"message":"q","errors":[{"reason":"quotaExceeded"}]}}`))
	f.Add([]byte(`{"kind":"youtube#commentThreadListResponse","items":[]}`))
	f.Add([]byte(`{"kind":"youtube#commentListResponse","nextPageToken":"x","items":[{"id":"a.1","snippet":{"parentId":"a","textOriginal":"t","publishedAt":"2024-05-24T10:36:55Z"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if p, err := youtube.ParseThreads(data); err == nil {
			for _, th := range p.Threads {
				if th.ID == "" || th.Top.ID == "" {
					t.Errorf("thread without ids: %+v", th)
				}
			}
		} else if err.Error() == "" {
			t.Error("empty error")
		}
		if cs, _, err := youtube.ParseComments(data); err == nil {
			for _, c := range cs {
				if c.ID == "" {
					t.Errorf("reply without id: %+v", c)
				}
			}
		}
		if e := youtube.ParseError(400, data); e == nil || e.Error() == "" {
			t.Error("ParseError gave nothing")
		}
	})
}

func TestTokenNeverInErrorsOrStrings(t *testing.T) {
	const token = "ya29.SECRET-token"
	cfg := youtube.Config{BaseURL: "http://127.0.0.1:1", AccessToken: token}
	c, err := youtube.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CommentThreads(context.Background(), "UCchan", youtube.StatusPublished, "")
	for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%#v", cfg), fmt.Sprint(c), fmt.Sprintf("%#v", c), fmt.Sprint(err)} {
		if strings.Contains(s, token) {
			t.Errorf("token leaked in %q", s)
		}
	}
}
