package enforcer_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	actionv1 "github.com/piazza-pa/piazza/proto/gen/piazza/action/v1"
	"github.com/piazza-pa/piazza/services/ingest/enforcer"
	"github.com/piazza-pa/piazza/services/ingest/platform/facebook"
	"github.com/piazza-pa/piazza/services/ingest/platform/facebook/fakegraph"
)

func TestThrottleHoldsCallsWhileThePlatformAsksToWait(t *testing.T) {
	fake := fakegraph.New(fakegraph.Options{})
	fake.AddToken("tok", "monza-fb")
	fake.AddToken("tok2", "bussero-fb")
	post, err := fake.AddPost("monza-fb", fakegraph.Post{Message: "avviso"})
	if err != nil {
		t.Fatal(err)
	}
	cm, err := fake.AddComment(post.ID, fakegraph.Comment{Message: "x", From: fakegraph.User{ID: "7", Name: "M"}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(fake)
	t.Cleanup(hs.Close)
	client := func(tok string) *facebook.Client {
		c, err := facebook.New(facebook.Config{BaseURL: hs.URL, AccessToken: tok, HTTPClient: hs.Client()})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	now := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
	th := &enforcer.Throttle{
		Platform: enforcer.Facebook{Pages: map[string]*facebook.Client{"monza-fb": client("tok"), "bussero-fb": client("tok2")}},
		Wait:     enforcer.FacebookWait, Now: func() time.Time { return now },
	}
	hide := &actionv1.Action{ActionId: "h", Tenant: "monza", Kind: actionv1.Kind_KIND_HIDE, PageId: "monza-fb", CommentId: cm.ID}
	fake.FailNext(1, http.StatusBadRequest, 80001)
	if _, err := th.Execute(context.Background(), hide); !facebook.IsTransient(err) {
		t.Fatalf("80001: %v, want a transient rate-limit error", err)
	}
	calls := len(fake.Actions())
	var te enforcer.ThrottledError
	if _, err := th.Execute(context.Background(), hide); !errors.As(err, &te) {
		t.Fatalf("during the pause: %v, want ThrottledError", err)
	}
	if len(fake.Actions()) != calls || fake.CallCount("monza-fb") != 1 {
		t.Errorf("a call reached the platform during the pause (%d calls)", fake.CallCount("monza-fb"))
	}
	// Another page is not held back by monza's limit.
	blk := &actionv1.Action{ActionId: "b", Tenant: "bussero", Kind: actionv1.Kind_KIND_BLOCK, PageId: "bussero-fb", AuthorId: "7"}
	if _, err := th.Execute(context.Background(), blk); err != nil {
		t.Errorf("other page: %v", err)
	}
	now = now.Add(31 * time.Second)
	if _, err := th.Execute(context.Background(), hide); err != nil {
		t.Fatalf("after the pause: %v", err)
	}
	if c, _ := fake.Comment(cm.ID); !c.Hidden {
		t.Error("comment not hidden after the pause")
	}
}
