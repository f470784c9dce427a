package webhook_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	"github.com/piazza-pa/piazza/services/ingest/platform/facebook"
	"github.com/piazza-pa/piazza/services/ingest/webhook"
)

func TestPushTakesSignedJSONLinesAndReportsBadLines(t *testing.T) {
	sinkFix := setupSink(t)
	h := &webhook.Push{Secret: "push-secret", Sink: sinkFix.sink, Logger: slog.New(slog.DiscardHandler), TenantExists: func(c string) bool { return c == "monza" }}
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	body := strings.Join([]string{
		`{"id":"form-1","tenant":"monza","text":"La fontana di piazza Roma perde acqua","author":{"name":"Carla"}}`,
		`{"id":"form-2","tenant":"bergamo","text":"altro comune"}`,
		`{"id":"form-3","tenant":"monza"}`,
		`non è json`,
	}, "\n")
	send := func(sig string) (int, webhook.PushResult) {
		req, _ := http.NewRequest(http.MethodPost, hs.URL+webhook.PushPath, strings.NewReader(body))
		if sig != "" {
			req.Header.Set(webhook.PushSignatureHeader, sig)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var res webhook.PushResult
		_ = json.NewDecoder(resp.Body).Decode(&res)
		return resp.StatusCode, res
	}
	if code, _ := send(facebook.SignBody("wrong", []byte(body))); code != http.StatusForbidden {
		t.Errorf("wrong signature: %d, want 403", code)
	}
	if n := len(sinkFix.stream(t)); n != 0 {
		t.Fatalf("refused push published %d", n)
	}
	sig := facebook.SignBody("push-secret", []byte(body))
	code, res := send(sig)
	if code != http.StatusUnprocessableEntity || res.Accepted != 1 || len(res.Rejected) != 3 {
		t.Errorf("push: %d %+v, want 422 with 1 accepted and lines 2, 3, 4 rejected", code, res)
	}
	code, res = send(sig)
	if res.Accepted != 0 || res.Duplicates != 1 {
		t.Errorf("repeated push: %d %+v, want the comment counted as a duplicate", code, res)
	}
	got := sinkFix.stream(t)
	if len(got) != 1 || got[0].GetPlatform() != commentv1.Platform_PLATFORM_WEBHOOK || got[0].GetTenant() != "monza" {
		t.Errorf("published %v", got)
	}
}
