// Package ingest assembles ingest's platform side from its credentials: the enforcer's adapter
// for each platform, the pollers of the pages and accounts the tenant files map, and the HTTP
// handler of the webhooks. The process wiring (bus, Redis, servers) is the piazza binary's.
package ingest

import (
	"context"
	"fmt"
	"go.opentelemetry.io/otel/attribute"
	"log/slog"
	"net"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/metric"

	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	"github.com/piazza-pa/piazza/services/ingest/connector"
	"github.com/piazza-pa/piazza/services/ingest/enforcer"
	"github.com/piazza-pa/piazza/services/ingest/platform/facebook"
	"github.com/piazza-pa/piazza/services/ingest/platform/mastodon"
	"github.com/piazza-pa/piazza/services/ingest/platform/youtube"
	"github.com/piazza-pa/piazza/services/ingest/webhook"
)

// Config configures the platform side of ingest. Tokens and secrets are never logged.
type Config struct {
	// FacebookGraphURL is the Graph API origin (a fake in the demo and tests).
	FacebookGraphURL string
	// FacebookTokens maps each Page id to its access token; never logged.
	FacebookTokens map[string]string
	// InstagramTokens maps each Instagram business account id to its access token, for the
	// pollers and the actions on Instagram comments; never logged.
	InstagramTokens map[string]string
	// FacebookAppSecret is the Meta app secret: it signs calls with appsecret_proof and verifies
	// the X-Hub-Signature-256 of webhook deliveries.
	FacebookAppSecret string
	// MetaVerifyToken answers the webhook subscription handshake (hub.verify_token).
	MetaVerifyToken string
	// WebhookListen is where the webhook endpoints (/webhooks/meta, /webhooks/push) are served,
	// such as 127.0.0.1:8080; empty serves none. Without FacebookAppSecret every Meta delivery
	// is refused, without PushSecret every push.
	WebhookListen string
	// PushSecret signs the deliveries of the generic push endpoint (path /webhooks/push, JSON
	// Lines in the replay format, header X-Piazza-Signature-256).
	PushSecret string
	// WebhookListener, when set, is used instead of WebhookListen (tests pass a :0 listener to
	// learn the address); it is closed on Stop.
	WebhookListener net.Listener
	// YouTubeURL is the YouTube Data API root (a fake in tests), the production one when empty.
	YouTubeURL string
	// YouTubeTokens maps each channel id to its OAuth token (scope youtube.force-ssl); never
	// logged.
	YouTubeTokens map[string]string
	// YouTubeDailyQuota is each tenant's daily quota in units (each Comune's own Google
	// project); 10000 when zero. A fifth is kept for moderation writes.
	YouTubeDailyQuota int
	// MastodonURL is the Mastodon instance of the accounts in MastodonTokens.
	MastodonURL string
	// MastodonTokens maps each Mastodon account, as the tenant files name it, to its token;
	// never logged.
	MastodonTokens map[string]string
	// PollInterval is the pause between two polls of a page; zero disables polling (the demo
	// and the tests feed comments by replay).
	PollInterval time.Duration
	// PollWindow is how far back posts are watched for new comments; 7 days when zero.
	PollWindow time.Duration
	// CallsPerSecond and CallBurst size each tenant's budget of polling calls; 2 and 20 when
	// zero.
	CallsPerSecond float64
	CallBurst      int
	// HTTPClient calls the platforms.
	HTTPClient *http.Client
	// RecordReplayActions records the actions on replayed comments (platform "replay": load
	// tests, simulations) as done without calling any platform (enforcer.ReplayRecorder).
	// When false they have no connector and go to human review.
	RecordReplayActions bool
}

// Deps are what Build needs from the process.
type Deps struct {
	// Sink publishes comments once.
	Sink *connector.Sink
	// Cursors persists the pollers' cursors.
	Cursors connector.Cursors
	// TenantFor maps a platform ("facebook") and page or account id to a tenant code.
	TenantFor func(platform, id string) (string, bool)
	// TenantExists reports whether a tenant code has a policy.
	TenantExists func(code string) bool
	// Logger receives warnings about unmapped pages and webhook refusals.
	Logger *slog.Logger
	// Deliveries counts webhook deliveries by outcome; may be nil.
	Deliveries metric.Int64Counter
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Meter receives the platforms' rate-limit usage (piazza.ingest.platform_usage); may be nil.
	Meter metric.MeterProvider
}

// Connectors is what Build assembles.
type Connectors struct {
	// Platforms are the enforcer's adapters, each behind a Throttle.
	Platforms map[commentv1.Platform]enforcer.Platform
	// Pollers read the mapped pages and accounts; empty when polling is disabled.
	Pollers []connector.Poller
	// Webhooks serves /webhooks/meta and /webhooks/push.
	Webhooks http.Handler
}

// builder holds what every platform's construction shares.
type builder struct {
	cfg     Config
	d       Deps
	posts   *connector.PostTexts
	budgets *connector.Budgets
	out     *Connectors
	// usage reports each page's or channel's share of its rate limit or quota, in percent.
	usage []usageSource
}

// usageSource is one page's or channel's rate-limit usage.
type usageSource struct {
	platform, id string
	percent      func() int
}

// pollTenant returns the tenant of a page to poll, false when polling is off or no tenant maps
// the page (logged).
func (b *builder) pollTenant(platform, id string) (string, bool) {
	if b.cfg.PollInterval <= 0 {
		return "", false
	}
	tenant, ok := b.d.TenantFor(platform, id)
	if !ok {
		b.d.Logger.Warn("page has a token but no tenant maps it; not polled", "platform", platform, "page", id)
	}
	return tenant, ok
}

// Build creates the clients, adapters and pollers for the configured credentials.
func Build(cfg Config, d Deps) (*Connectors, error) {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	b := &builder{cfg: cfg, d: d, posts: &connector.PostTexts{},
		budgets: &connector.Budgets{PerSecond: cfg.CallsPerSecond, Burst: cfg.CallBurst},
		out:     &Connectors{Platforms: map[commentv1.Platform]enforcer.Platform{}}}
	if b.budgets.PerSecond <= 0 {
		b.budgets.PerSecond = 2
	}
	if b.budgets.Burst <= 0 {
		b.budgets.Burst = 20
	}
	if cfg.RecordReplayActions {
		b.out.Platforms[commentv1.Platform_PLATFORM_REPLAY] = enforcer.ReplayRecorder{}
	}
	fbPages, err := b.facebook()
	if err != nil {
		return nil, err
	}
	if err := b.instagram(); err != nil {
		return nil, err
	}
	if err := b.youtube(); err != nil {
		return nil, err
	}
	if err := b.mastodon(); err != nil {
		return nil, err
	}
	b.out.Webhooks = b.webhooks(fbPages)
	if d.Meter != nil {
		if err := b.observeUsage(d.Meter); err != nil {
			return nil, err
		}
	}
	return b.out, nil
}

// observeUsage exports piazza.ingest.platform_usage{platform, page}: the highest share of a
// rate limit or daily quota the platform reports for the page, so a dashboard shows the
// headroom left before the platform throttles.
func (b *builder) observeUsage(mp metric.MeterProvider) error {
	g, err := mp.Meter("github.com/piazza-pa/piazza/services/ingest").Int64ObservableGauge("piazza.ingest.platform_usage",
		metric.WithUnit("%"), metric.WithDescription("Share of the platform's rate limit or daily quota used, by platform and page, in percent"))
	if err != nil {
		return fmt.Errorf("ingest metrics: %w", err)
	}
	sources := b.usage
	_, err = mp.Meter("github.com/piazza-pa/piazza/services/ingest").RegisterCallback(func(_ context.Context, o metric.Observer) error {
		highest := map[[2]string]int{}
		for _, s := range sources {
			k := [2]string{s.platform, s.id}
			highest[k] = max(highest[k], s.percent())
		}
		for k, v := range highest {
			o.ObserveInt64(g, int64(v), metric.WithAttributes(attribute.String("platform", k[0]), attribute.String("page", k[1])))
		}
		return nil
	}, g)
	if err != nil {
		return fmt.Errorf("ingest metrics: %w", err)
	}
	return nil
}

func (b *builder) graph(token string, hc *http.Client) (*facebook.Client, error) {
	return facebook.New(facebook.Config{BaseURL: b.cfg.FacebookGraphURL, AccessToken: token, AppSecret: b.cfg.FacebookAppSecret, HTTPClient: hc})
}

func (b *builder) facebook() (map[string]*facebook.Client, error) {
	pages := map[string]*facebook.Client{}
	for page, token := range b.cfg.FacebookTokens {
		fb, err := b.graph(token, b.cfg.HTTPClient)
		if err != nil {
			return nil, fmt.Errorf("facebook page %s: %w", page, err)
		}
		pages[page] = fb
		b.usage = append(b.usage, usageSource{"facebook", page, func() int { return fb.Usage().Percent() }})
		tenant, ok := b.pollTenant("facebook", page)
		if !ok {
			continue
		}
		// The poller's client spends the tenant's budget; the enforcer's does not wait on it.
		pc, err := b.graph(token, b.budgets.HTTPClient(tenant, b.cfg.HTTPClient))
		if err != nil {
			return nil, fmt.Errorf("facebook page %s: %w", page, err)
		}
		b.usage = append(b.usage, usageSource{"facebook", page, func() int { return pc.Usage().Percent() }})
		b.out.Pollers = append(b.out.Pollers, &connector.FacebookPage{Client: pc, PageID: page, Tenant: tenant, Cursors: b.d.Cursors,
			Sink: b.d.Sink, Posts: b.posts, Window: b.cfg.PollWindow, Now: b.d.Now})
	}
	if len(pages) > 0 {
		b.out.Platforms[commentv1.Platform_PLATFORM_FACEBOOK] = &enforcer.Throttle{Platform: enforcer.Facebook{Pages: pages}, Wait: enforcer.FacebookWait, Now: b.d.Now}
	}
	return pages, nil
}

func (b *builder) instagram() error {
	accounts := map[string]*facebook.Client{}
	for account, token := range b.cfg.InstagramTokens {
		igc, err := b.graph(token, b.cfg.HTTPClient)
		if err != nil {
			return fmt.Errorf("instagram account %s: %w", account, err)
		}
		accounts[account] = igc
		tenant, ok := b.pollTenant("instagram", account)
		if !ok {
			continue
		}
		pc, err := b.graph(token, b.budgets.HTTPClient(tenant, b.cfg.HTTPClient))
		if err != nil {
			return fmt.Errorf("instagram account %s: %w", account, err)
		}
		b.out.Pollers = append(b.out.Pollers, &connector.InstagramAccount{Client: pc, AccountID: account, Tenant: tenant,
			Cursors: b.d.Cursors, Sink: b.d.Sink, Posts: b.posts, Window: b.cfg.PollWindow, Now: b.d.Now})
	}
	if len(accounts) > 0 {
		b.out.Platforms[commentv1.Platform_PLATFORM_INSTAGRAM] = &enforcer.Throttle{Platform: enforcer.Instagram{Accounts: accounts}, Wait: enforcer.FacebookWait, Now: b.d.Now}
	}
	return nil
}

func (b *builder) youtube() error {
	channels := map[string]*youtube.Client{}
	quotas := map[string]*youtube.Quota{}
	daily := b.cfg.YouTubeDailyQuota
	if daily <= 0 {
		daily = youtube.DefaultDailyQuota
	}
	for channel, token := range b.cfg.YouTubeTokens {
		// One quota per tenant (its own Google project), shared by its channels' polls and writes.
		quotaKey := "channel:" + channel
		if tenant, ok := b.d.TenantFor("youtube", channel); ok {
			quotaKey = tenant
		}
		if quotas[quotaKey] == nil {
			quotas[quotaKey] = youtube.NewQuota(daily)
		}
		yt, err := youtube.New(youtube.Config{BaseURL: b.cfg.YouTubeURL, AccessToken: token, HTTPClient: b.cfg.HTTPClient, Quota: quotas[quotaKey]})
		if err != nil {
			return fmt.Errorf("youtube channel %s: %w", channel, err)
		}
		channels[channel] = yt
		quota := quotas[quotaKey]
		b.usage = append(b.usage, usageSource{"youtube", channel, quota.UsedPercent})
		tenant, ok := b.pollTenant("youtube", channel)
		if !ok {
			continue
		}
		pc, err := youtube.New(youtube.Config{BaseURL: b.cfg.YouTubeURL, AccessToken: token, HTTPClient: b.budgets.HTTPClient(tenant, b.cfg.HTTPClient),
			Quota: quotas[quotaKey], KeepForWrites: daily / 5})
		if err != nil {
			return fmt.Errorf("youtube channel %s: %w", channel, err)
		}
		b.out.Pollers = append(b.out.Pollers, &connector.YouTubeChannel{Client: pc, ChannelID: channel, Tenant: tenant,
			Cursors: b.d.Cursors, Sink: b.d.Sink, Posts: b.posts})
	}
	if len(channels) > 0 {
		b.out.Platforms[commentv1.Platform_PLATFORM_YOUTUBE] = &enforcer.Throttle{Platform: enforcer.YouTube{Channels: channels}, Wait: enforcer.YouTubeWait, Now: b.d.Now}
	}
	return nil
}

func (b *builder) mastodon() error {
	accounts := map[string]*mastodon.Client{}
	for account, token := range b.cfg.MastodonTokens {
		mc, err := mastodon.New(mastodon.Config{BaseURL: b.cfg.MastodonURL, AccessToken: token, HTTPClient: b.cfg.HTTPClient, Now: b.d.Now})
		if err != nil {
			return fmt.Errorf("mastodon account %s: %w", account, err)
		}
		accounts[account] = mc
		tenant, ok := b.pollTenant("mastodon", account)
		if !ok {
			continue
		}
		pc, err := mastodon.New(mastodon.Config{BaseURL: b.cfg.MastodonURL, AccessToken: token, HTTPClient: b.budgets.HTTPClient(tenant, b.cfg.HTTPClient), Now: b.d.Now})
		if err != nil {
			return fmt.Errorf("mastodon account %s: %w", account, err)
		}
		b.out.Pollers = append(b.out.Pollers, &connector.MastodonAccount{Client: pc, AccountID: account, Tenant: tenant,
			Cursors: b.d.Cursors, Sink: b.d.Sink, Posts: b.posts})
	}
	if len(accounts) > 0 {
		b.out.Platforms[commentv1.Platform_PLATFORM_MASTODON] = &enforcer.Throttle{Platform: enforcer.Mastodon{Accounts: accounts}, Wait: enforcer.MastodonWait, Now: b.d.Now}
	}
	return nil
}

func (b *builder) webhooks(fbPages map[string]*facebook.Client) http.Handler {
	log := b.d.Logger
	mux := http.NewServeMux()
	mux.Handle(webhook.Path, &webhook.Meta{
		AppSecret: b.cfg.FacebookAppSecret, VerifyToken: b.cfg.MetaVerifyToken, Sink: b.d.Sink, Logger: log, Deliveries: b.d.Deliveries,
		TenantFor: b.d.TenantFor,
		PostText: func(ctx context.Context, cm *commentv1.Comment) string {
			if cm.GetPlatform() == commentv1.Platform_PLATFORM_INSTAGRAM {
				// The caption, when the poller has read the media.
				text, _ := b.posts.Lookup(connector.PostKey("instagram", cm.GetPostId()))
				return text
			}
			fb, ok := fbPages[cm.GetPageId()]
			if !ok {
				return ""
			}
			text, err := b.posts.Get(ctx, connector.PostKey("facebook", cm.GetPostId()), func(ctx context.Context) (string, error) {
				p, err := fb.Post(ctx, cm.GetPostId())
				return p.Message, err
			})
			if err != nil {
				log.WarnContext(ctx, "post text unavailable for a webhook comment", "page", cm.GetPageId(), "err", err)
			}
			return text
		},
	})
	mux.Handle(webhook.PushPath, &webhook.Push{Secret: b.cfg.PushSecret, Sink: b.d.Sink, Logger: log, TenantExists: b.d.TenantExists})
	return mux
}
