package mastodon_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/piazza-pa/piazza/services/ingest/platform/mastodon"
)

func TestHTMLToText(t *testing.T) {
	for in, want := range map[string]string{
		`<p><span class="h-card"><a href="https://x/@comune" class="u-url mention">@<span>comune</span></a></span> la buca in via Roma è ancora lì</p>`: "@comune la buca in via Roma è ancora lì",
		`<p>prima riga<br>seconda<br/>terza</p><p>nuovo paragrafo</p>`:                                                                                  "prima riga\nseconda\nterza\n\nnuovo paragrafo",
		`<p>5 &lt; 6 &amp;&amp; l&#39;acqua &quot;calda&quot;</p>`:                                                                                      `5 < 6 && l'acqua "calda"`,
		`testo senza tag`: "testo senza tag",
		`a < b`:           "a < b",
		`<a href="https://comune.it"><span class="invisible">https://</span><span class="">comune.it</span></a>`: "https://comune.it",
	} {
		if got := mastodon.HTMLToText(in); got != want {
			t.Errorf("HTMLToText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNextMaxID(t *testing.T) {
	link := `<https://social.example.it/api/v1/notifications?max_id=109&types%5B%5D=mention>; rel="next", <https://social.example.it/api/v1/notifications?min_id=120>; rel="prev"`
	if got := mastodon.NextMaxID(link); got != "109" {
		t.Errorf("next = %q, want 109", got)
	}
	for _, none := range []string{"", `<https://x/?min_id=1>; rel="prev"`, `garbage`, `<%zz>; rel="next"`} {
		if got := mastodon.NextMaxID(none); got != "" {
			t.Errorf("NextMaxID(%q) = %q, want none", none, got)
		}
	}
}

func TestParseNotifications(t *testing.T) {
	ns, err := mastodon.ParseNotifications([]byte(`[{"id":"2","type":"favourite"},{"id":"1","type":"mention","status":{"id":"9","content":"<p>ciao</p>","visibility":"direct","created_at":"2026-05-04T09:12:44.000Z","in_reply_to_id":null,"account":{"id":"7","acct":"mario@altro.it"}}}]`))
	if err != nil {
		t.Fatal(err)
	}
	if len(ns) != 1 || ns[0].Status.Text != "ciao" || ns[0].Status.Visibility != "direct" || ns[0].Status.Account.ID != "7" {
		t.Errorf("parsed %+v", ns)
	}
	for _, bad := range []string{`{}`, `[{"type":"mention"}]`, `[{"id":"1","type":"mention","status":{"id":"9","created_at":"ieri","account":{"id":"7"}}}]`,
		`[{"id":"1","type":"mention","status":{"id":"9","created_at":"2026-05-04T09:12:44Z"}}]`} {
		if _, err := mastodon.ParseNotifications([]byte(bad)); err == nil {
			t.Errorf("ParseNotifications(%s) accepted", bad)
		}
	}
}

func FuzzParsers(f *testing.F) {
	f.Add([]byte(`[{"id":"1","type":"mention","status":{"id":"9","content":"<p>a<br>b</p>","created_at":"2026-05-04T09:12:44.000Z","account":{"id":"7","acct":"m"}}}]`))
	f.Add([]byte(`{"error":"The access token is invalid"}`))
	f.Add([]byte(`<https://x/?max_id=5>; rel="next"`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if ns, err := mastodon.ParseNotifications(data); err == nil {
			for _, n := range ns {
				if n.ID == "" || n.Status.ID == "" || n.Status.Account.ID == "" {
					t.Errorf("notification without ids: %+v", n)
				}
			}
		} else if err.Error() == "" {
			t.Error("empty error")
		}
		if e := mastodon.ParseError(422, data); e == nil || e.Error() == "" {
			t.Error("ParseError gave nothing")
		}
		_ = mastodon.HTMLToText(string(data))
		_ = mastodon.NextMaxID(string(data))
	})
}

func TestTokenNeverInErrorsOrStrings(t *testing.T) {
	const token = "masto-SECRET-token"
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, `{"error":"The access token %s is invalid"}`, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	}))
	defer hs.Close()
	cfg := mastodon.Config{BaseURL: hs.URL, AccessToken: token}
	c, err := mastodon.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.Mentions(context.Background(), "", "")
	if err == nil {
		t.Fatal("401 accepted")
	}
	for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%#v", cfg), fmt.Sprint(c), fmt.Sprintf("%#v", c), err.Error()} {
		if strings.Contains(s, token) {
			t.Errorf("token leaked in %q", s)
		}
	}
}
