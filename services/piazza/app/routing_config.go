package app

import (
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/piazza-pa/piazza/pkg/policy"
	"github.com/piazza-pa/piazza/services/routing"
)

// RoutingConfig configures routing's scheduler and its notifications to the offices.
type RoutingConfig struct {
	// TickEvery is how often the scheduler looks for what is due (default 30s).
	TickEvery time.Duration
	// SMTP sends e-mail to the offices; nil records notifications as events only.
	SMTP *routing.SMTPConfig
	// Webhooks receive signed notifications.
	Webhooks []routing.Webhook
	// SLAOverrides set targets per topic or office over the tenants' own.
	SLAOverrides routing.SLAOverrides
	// EscalationEvery is the office time between escalation steps (default 2 working days).
	EscalationEvery policy.Span
	// Now is the scheduler's clock; Common.Now, then time.Now, when nil.
	Now func() time.Time

	// err is a problem found reading the environment, reported by StartRouting.
	err error
}

// RoutingConfigFromEnv reads routing's settings from the environment; a problem is reported
// when the service starts. Secrets come from variables or files, never from the policy files,
// and are never logged.
//
//	PIAZZA_ROUTING_TICK                  scheduler period (default 30s)
//	PIAZZA_SMTP_ADDR                     submission server host:port; unset sends no e-mail
//	PIAZZA_SMTP_FROM                     sender address (default piazza@localhost)
//	PIAZZA_SMTP_USERNAME                 AUTH PLAIN user (STARTTLS is then required)
//	PIAZZA_SMTP_PASSWORD[_FILE]          its password
//	PIAZZA_SMTP_INSECURE                 "true" allows a server without STARTTLS (a mail catcher)
//	PIAZZA_ROUTING_WEBHOOKS              "tenant[/office]=https://...", comma-separated
//	PIAZZA_WEBHOOK_SECRET_<TENANT>[_FILE] each tenant's webhook signing secret (at least 16 bytes)
//	PIAZZA_SLA_OVERRIDES                 YAML file of SLA overrides by topic or office
//	PIAZZA_ESCALATION_EVERY              office time between escalation steps, e.g. 2wd or 8wh
func RoutingConfigFromEnv(getenv func(string) string) RoutingConfig {
	rc, err := routingConfigFromEnv(getenv)
	rc.err = err
	return rc
}

func routingConfigFromEnv(getenv func(string) string) (RoutingConfig, error) {
	rc := RoutingConfig{TickEvery: 30 * time.Second}
	var errs []error
	if v := getenv("PIAZZA_ROUTING_TICK"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("PIAZZA_ROUTING_TICK=%q: want a positive duration such as 30s", v))
		}
		rc.TickEvery = d
	}
	if addr := getenv("PIAZZA_SMTP_ADDR"); addr != "" {
		password, err := SecretValue(getenv, "PIAZZA_SMTP_PASSWORD")
		if err != nil {
			errs = append(errs, err)
		}
		from := getenv("PIAZZA_SMTP_FROM")
		if from == "" {
			from = "piazza@localhost"
		}
		host, _, _ := strings.Cut(addr, ":")
		rc.SMTP = &routing.SMTPConfig{
			Addr: addr, From: from, Username: getenv("PIAZZA_SMTP_USERNAME"), Password: password,
			AllowPlaintext: getenv("PIAZZA_SMTP_INSECURE") == "true",
			TLS:            &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12},
		}
	}
	if v := getenv("PIAZZA_ROUTING_WEBHOOKS"); v != "" {
		for entry := range strings.SplitSeq(v, ",") {
			target, url, ok := strings.Cut(strings.TrimSpace(entry), "=")
			if !ok || target == "" || url == "" {
				errs = append(errs, fmt.Errorf("PIAZZA_ROUTING_WEBHOOKS: entry %q: want tenant[/office]=URL", entry))
				continue
			}
			tenant, office, _ := strings.Cut(target, "/")
			secret, err := SecretValue(getenv, "PIAZZA_WEBHOOK_SECRET_"+strings.ToUpper(strings.ReplaceAll(tenant, "-", "_")))
			if err != nil {
				errs = append(errs, err)
			}
			rc.Webhooks = append(rc.Webhooks, routing.Webhook{Tenant: tenant, Office: office, URL: url, Secret: []byte(secret)})
		}
	}
	if path := getenv("PIAZZA_SLA_OVERRIDES"); path != "" {
		ov, err := routing.LoadSLAOverrides(path)
		if err != nil {
			errs = append(errs, err)
		}
		rc.SLAOverrides = ov
	}
	if v := getenv("PIAZZA_ESCALATION_EVERY"); v != "" {
		sp, err := routing.ParseSpan(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("PIAZZA_ESCALATION_EVERY: %w", err))
		}
		rc.EscalationEvery = sp
	}
	return rc, errors.Join(errs...)
}

// SecretValue reads NAME, or the file NAME_FILE names, trimmed of a final newline. Secrets
// reach a process this way, never from a policy file.
func SecretValue(getenv func(string) string, name string) (string, error) {
	if v := getenv(name); v != "" {
		return v, nil
	}
	path := getenv(name + "_FILE")
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s_FILE: %w", name, err)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// notifiers builds the notification channels the configuration asks for.
func (rc RoutingConfig) notifiers(now func() time.Time) ([]routing.Notifier, error) {
	var out []routing.Notifier
	if rc.SMTP != nil {
		m, err := routing.NewMailer(*rc.SMTP)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	if len(rc.Webhooks) > 0 {
		w, err := routing.NewWebhooks(rc.Webhooks, nil, now)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, nil
}
