package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestIngestConfigFromEnv(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	env := map[string]string{
		"FACEBOOK_PAGE_TOKENS_FILE":   write("fb", "# pagine\nmonza-fb = EAAB-monza\n\nbussero-fb=EAAB-bussero\n"),
		"YOUTUBE_CHANNEL_TOKENS_FILE": write("yt", "monza-yt=ya29.token\n"),
		"PIAZZA_META_APP_SECRET_FILE": write("secret", "s3cret\n"),
		"PIAZZA_META_VERIFY_TOKEN":    "verify",
		"INGEST_WEBHOOK_ADDR":         "127.0.0.1:8080",
		"INGEST_POLL_INTERVAL":        "30s",
		"YOUTUBE_DAILY_QUOTA":         "5000",
		"INGEST_CALLS_PER_SECOND":     "0.5",
		"INGEST_REPLAY_ACTIONS":       "record",
	}
	ic, err := ingestConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if ic.FacebookTokens["monza-fb"] != "EAAB-monza" || ic.FacebookTokens["bussero-fb"] != "EAAB-bussero" || len(ic.FacebookTokens) != 2 {
		t.Errorf("facebook tokens %d entries", len(ic.FacebookTokens))
	}
	if ic.YouTubeTokens["monza-yt"] != "ya29.token" || ic.YouTubeDailyQuota != 5000 {
		t.Errorf("youtube: %d tokens, quota %d", len(ic.YouTubeTokens), ic.YouTubeDailyQuota)
	}
	if ic.FacebookAppSecret != "s3cret" || ic.MetaVerifyToken != "verify" || ic.WebhookListen != "127.0.0.1:8080" ||
		ic.PollInterval != 30*time.Second || ic.CallsPerSecond != 0.5 || !ic.RecordReplayActions {
		t.Errorf("settings: webhook %q poll %s calls %v", ic.WebhookListen, ic.PollInterval, ic.CallsPerSecond)
	}

	defaults, err := ingestConfig(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if defaults.WebhookListen != ":8080" || defaults.PollInterval != time.Minute || defaults.RecordReplayActions {
		t.Errorf("defaults: webhook %q poll %s, want :8080 and 1m", defaults.WebhookListen, defaults.PollInterval)
	}

	for name, bad := range map[string]map[string]string{
		"token line without =": {"FACEBOOK_PAGE_TOKENS_FILE": write("bad", "monza-fb\n")},
		"missing tokens file":  {"YOUTUBE_CHANNEL_TOKENS_FILE": filepath.Join(dir, "nope")},
		"bad interval":         {"INGEST_POLL_INTERVAL": "ogni minuto"},
		"bad quota":            {"YOUTUBE_DAILY_QUOTA": "-1"},
		"bad replay actions":   {"INGEST_REPLAY_ACTIONS": "ignore"},
		"missing secret file":  {"PIAZZA_META_APP_SECRET_FILE": filepath.Join(dir, "nope")},
	} {
		_, err := ingestConfig(func(k string) string { return bad[k] })
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if strings.Contains(err.Error(), "EAAB") {
			t.Errorf("%s: error leaks a token: %v", name, err)
		}
	}
}
