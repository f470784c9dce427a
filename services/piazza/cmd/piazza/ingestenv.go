package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"github.com/piazza-pa/piazza/services/piazza/app"
)

// ingestConfig reads the platform settings of ingest from the environment. Tokens and secrets
// come from files (container secrets) or variables, and are never logged.
//
//	FACEBOOK_GRAPH_URL           Graph API origin (default https://graph.facebook.com)
//	FACEBOOK_PAGE_TOKENS_FILE    lines "page_id=token"
//	PIAZZA_META_APP_SECRET[_FILE] the Meta app secret
func ingestConfig(getenv func(string) string) (app.IngestConfig, error) {
	ic := app.IngestConfig{FacebookGraphURL: getenv("FACEBOOK_GRAPH_URL"), FacebookTokens: map[string]string{}}
	secret, err := secretFromEnv(getenv, "PIAZZA_META_APP_SECRET")
	if err != nil {
		return ic, err
	}
	ic.FacebookAppSecret = secret
	if path := getenv("FACEBOOK_PAGE_TOKENS_FILE"); path != "" {
		f, err := os.Open(path)
		if err != nil {
			return ic, fmt.Errorf("open FACEBOOK_PAGE_TOKENS_FILE: %w", err)
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
			page, token, ok := strings.Cut(line, "=")
			if !ok || strings.TrimSpace(page) == "" || strings.TrimSpace(token) == "" {
				return ic, fmt.Errorf("FACEBOOK_PAGE_TOKENS_FILE line %d: want page_id=token", n)
			}
			ic.FacebookTokens[strings.TrimSpace(page)] = strings.TrimSpace(token)
		}
		if err := sc.Err(); err != nil {
			return ic, fmt.Errorf("read FACEBOOK_PAGE_TOKENS_FILE: %w", err)
		}
	}
	return ic, nil
}

// secretFromEnv reads NAME_FILE (a file's trimmed content) or else NAME.
func secretFromEnv(getenv func(string) string, name string) (string, error) {
	if path := getenv(name + "_FILE"); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("read %s_FILE: %w", name, err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	return getenv(name), nil
}
