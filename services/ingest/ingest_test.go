package ingest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	actionv1 "github.com/piazza-pa/piazza/proto/gen/piazza/action/v1"
	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	"github.com/piazza-pa/piazza/services/ingest"
	"github.com/piazza-pa/piazza/services/ingest/connector"
)

func TestBuildPollsOnlyMappedPagesAndServesBothWebhooks(t *testing.T) {
	tenantFor := func(platform, id string) (string, bool) {
		if platform+"/"+id == "facebook/monza-fb" || platform+"/"+id == "youtube/monza-yt" {
			return "monza", true
		}
		return "", false
	}
	cfg := ingest.Config{
		FacebookTokens:  map[string]string{"monza-fb": "t1", "orphan-fb": "t2"},
		InstagramTokens: map[string]string{"orphan-ig": "t3"},
		YouTubeTokens:   map[string]string{"monza-yt": "t4"},
		MastodonURL:     "https://social.example.it", MastodonTokens: map[string]string{"orphan-masto": "t5"},
		PollInterval: time.Minute,
	}
	conns, err := ingest.Build(cfg, ingest.Deps{Sink: &connector.Sink{}, TenantFor: tenantFor, TenantExists: func(string) bool { return true }})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []commentv1.Platform{commentv1.Platform_PLATFORM_FACEBOOK, commentv1.Platform_PLATFORM_INSTAGRAM, commentv1.Platform_PLATFORM_YOUTUBE, commentv1.Platform_PLATFORM_MASTODON} {
		if conns.Platforms[p] == nil {
			t.Errorf("no enforcer adapter for %s", p)
		}
	}
	var names []string
	for _, p := range conns.Pollers {
		names = append(names, p.Name())
	}
	if len(names) != 2 || !strings.Contains(strings.Join(names, ","), "monza-fb") || !strings.Contains(strings.Join(names, ","), "monza-yt") {
		t.Errorf("pollers %v, want monza-fb and monza-yt only (the others are mapped to no tenant)", names)
	}
	for _, path := range []string{"/webhooks/meta", "/webhooks/push"} {
		rec := httptest.NewRecorder()
		conns.Webhooks.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, strings.NewReader("{}")))
		if rec.Code != http.StatusForbidden {
			t.Errorf("unsigned POST %s: %d, want 403", path, rec.Code)
		}
	}

	cfg.PollInterval = 0
	if conns, err = ingest.Build(cfg, ingest.Deps{Sink: &connector.Sink{}, TenantFor: tenantFor}); err != nil || len(conns.Pollers) != 0 {
		t.Errorf("polling disabled: %d pollers, %v", len(conns.Pollers), err)
	}
	if _, err := ingest.Build(ingest.Config{MastodonTokens: map[string]string{"x": "t"}}, ingest.Deps{TenantFor: tenantFor}); err == nil {
		t.Error("a Mastodon token without an instance URL was accepted")
	}
}

func TestReplayActionsGoToReviewUnlessRecorded(t *testing.T) {
	deps := ingest.Deps{Sink: &connector.Sink{}, TenantFor: func(string, string) (string, bool) { return "", false }}
	conns, err := ingest.Build(ingest.Config{}, deps)
	if err != nil {
		t.Fatal(err)
	}
	if p := conns.Platforms[commentv1.Platform_PLATFORM_REPLAY]; p != nil {
		t.Fatalf("replayed comments have a connector (%T) by default; their actions must go to review", p)
	}
	conns, err = ingest.Build(ingest.Config{RecordReplayActions: true}, deps)
	if err != nil {
		t.Fatal(err)
	}
	p := conns.Platforms[commentv1.Platform_PLATFORM_REPLAY]
	if p == nil {
		t.Fatal("RecordReplayActions: no connector for replayed comments")
	}
	out, err := p.Execute(context.Background(), &actionv1.Action{ActionId: "a1", Kind: actionv1.Kind_KIND_DELETE})
	if err != nil || out.Performed != actionv1.Kind_KIND_DELETE || out.Ref != "replay:a1" {
		t.Errorf("recorded %+v, %v; want a delete with ref replay:a1", out, err)
	}
}
