package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/piazza-pa/piazza/services/piazza/app"
)

// ingestConfig reads the platform settings of ingest from the environment. Tokens and secrets
// come from files (container secrets) or variables, and are never logged.
//
//	FACEBOOK_GRAPH_URL              Graph API origin (default https://graph.facebook.com)
//	FACEBOOK_PAGE_TOKENS_FILE       lines "page_id=token"
//	INSTAGRAM_ACCOUNT_TOKENS_FILE   lines "ig_account_id=token"
//	PIAZZA_META_APP_SECRET[_FILE]   the Meta app secret (appsecret_proof, webhook signatures)
//	PIAZZA_META_VERIFY_TOKEN[_FILE] the webhook subscription's verify token
//	PIAZZA_PUSH_SECRET[_FILE]       signs the generic push endpoint /webhooks/push
//	INGEST_WEBHOOK_ADDR             Meta webhook endpoint, path /webhooks/meta (default :8080;
//	                                "off" serves none)
//	INGEST_POLL_INTERVAL            pause between polls of a page (default 60s; 0 disables)
//	INGEST_POLL_WINDOW              how far back posts are watched (default 168h)
//	INGEST_CALLS_PER_SECOND         each tenant's polling budget (default 2)
//	MASTODON_INSTANCE_URL           the instance of the Mastodon accounts, e.g. https://social.regione.it
//	MASTODON_ACCOUNT_TOKENS_FILE    lines "account_id=token" (account ids as in the tenant files)
//	YOUTUBE_API_URL                 Data API root (default https://youtube.googleapis.com/youtube/v3)
//	YOUTUBE_CHANNEL_TOKENS_FILE     lines "channel_id=oauth_token"
//	YOUTUBE_DAILY_QUOTA             units per tenant per day (default 10000)
//	INGEST_REPLAY_ACTIONS           what becomes of actions on replayed comments (platform
//	                                "replay": loadgen, simulations): "review" (default, a person
//	                                carries them out) or "record" (recorded as done, no call)
func ingestConfig(getenv func(string) string) (app.IngestConfig, error) {
	ic := app.IngestConfig{FacebookGraphURL: getenv("FACEBOOK_GRAPH_URL"), WebhookListen: ":8080", PollInterval: time.Minute}
	secret, err := app.SecretValue(getenv, "PIAZZA_META_APP_SECRET")
	if err != nil {
		return ic, err
	}
	ic.FacebookAppSecret = secret
	if ic.MetaVerifyToken, err = app.SecretValue(getenv, "PIAZZA_META_VERIFY_TOKEN"); err != nil {
		return ic, err
	}
	if ic.PushSecret, err = app.SecretValue(getenv, "PIAZZA_PUSH_SECRET"); err != nil {
		return ic, err
	}
	switch v := getenv("INGEST_WEBHOOK_ADDR"); v {
	case "":
	case "off":
		ic.WebhookListen = ""
	default:
		ic.WebhookListen = v
	}
	for name, dst := range map[string]*time.Duration{"INGEST_POLL_INTERVAL": &ic.PollInterval, "INGEST_POLL_WINDOW": &ic.PollWindow} {
		if v := getenv(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				return ic, fmt.Errorf("%s=%q: want a duration such as 60s", name, v)
			}
			*dst = d
		}
	}
	switch v := getenv("INGEST_REPLAY_ACTIONS"); v {
	case "", "review":
	case "record":
		ic.RecordReplayActions = true
	default:
		return ic, fmt.Errorf("INGEST_REPLAY_ACTIONS=%q: want review or record", v)
	}
	if v := getenv("INGEST_CALLS_PER_SECOND"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 {
			return ic, fmt.Errorf("INGEST_CALLS_PER_SECOND=%q: want a positive number", v)
		}
		ic.CallsPerSecond = f
	}
	if ic.FacebookTokens, err = tokensFile(getenv, "FACEBOOK_PAGE_TOKENS_FILE"); err != nil {
		return ic, err
	}
	if ic.InstagramTokens, err = tokensFile(getenv, "INSTAGRAM_ACCOUNT_TOKENS_FILE"); err != nil {
		return ic, err
	}
	ic.MastodonURL = getenv("MASTODON_INSTANCE_URL")
	if ic.MastodonTokens, err = tokensFile(getenv, "MASTODON_ACCOUNT_TOKENS_FILE"); err != nil {
		return ic, err
	}
	if len(ic.MastodonTokens) > 0 && ic.MastodonURL == "" {
		return ic, fmt.Errorf("MASTODON_ACCOUNT_TOKENS_FILE needs MASTODON_INSTANCE_URL")
	}
	ic.YouTubeURL = getenv("YOUTUBE_API_URL")
	if ic.YouTubeTokens, err = tokensFile(getenv, "YOUTUBE_CHANNEL_TOKENS_FILE"); err != nil {
		return ic, err
	}
	if v := getenv("YOUTUBE_DAILY_QUOTA"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return ic, fmt.Errorf("YOUTUBE_DAILY_QUOTA=%q: want a positive number of units", v)
		}
		ic.YouTubeDailyQuota = n
	}
	return ic, nil
}

// tokensFile reads the file named by the variable name: lines "id=token", blank lines and
// "#" comments skipped. An unset variable gives an empty map.
func tokensFile(getenv func(string) string, name string) (map[string]string, error) {
	tokens := map[string]string{}
	path := getenv(name)
	if path == "" {
		return tokens, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, token, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(id) == "" || strings.TrimSpace(token) == "" {
			return nil, fmt.Errorf("%s line %d: want id=token", name, n)
		}
		tokens[strings.TrimSpace(id)] = strings.TrimSpace(token)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return tokens, nil
}
