package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/piazza-pa/piazza/pkg/auth"
	"github.com/piazza-pa/piazza/pkg/bus"
	"github.com/piazza-pa/piazza/pkg/livepolicy"
	"github.com/piazza-pa/piazza/pkg/pseudonym"
	"github.com/piazza-pa/piazza/pkg/telemetry"
	"github.com/piazza-pa/piazza/services/ingest/replay"
	"github.com/piazza-pa/piazza/services/piazza/demo"
)

// UpConfig configures `piazza up`.
type UpConfig struct {
	// DataDir holds JetStream's store, the child Redis and the pseudonym key (./var).
	DataDir string
	// PolicyDir holds the tenants' files.
	PolicyDir string
	// Demo replays the bundled comments through the fake platform.
	Demo bool
	// Once exits when the demo is fully processed, printing the summary.
	Once bool
	// NATSPort is the embedded server's port; -1 picks a free one.
	NATSPort int
	// Addresses of the four services' gRPC servers.
	ClassifierAddr, SanctionsAddr, RoutingAddr, IngestAddr string
	// MetricsAddr serves /metrics and /healthz; empty disables it.
	MetricsAddr string
	// WebhookAddr serves the Meta webhook (/webhooks/meta) and the signed push endpoint
	// (/webhooks/push); empty serves none. The app secret comes from PIAZZA_META_APP_SECRET.
	WebhookAddr string
	// Getenv reads the environment.
	Getenv func(string) string
	// Out receives the final summary; Progress the live progress line and notices.
	Out, Progress io.Writer
	// Telemetry is the process's telemetry.
	Telemetry *telemetry.Providers
	// ProgressEvery is how often the progress line is refreshed.
	ProgressEvery time.Duration
}

// Up runs the whole system in one process until ctx ends (or, with Once, until the demo is
// processed), then drains and stops everything.
func Up(ctx context.Context, cfg UpConfig) (err error) {
	log := cfg.Telemetry.Logger
	dataDir := cfg.DataDir
	prefix := "piazza:"
	if cfg.Demo {
		// The demo always starts from a clean slate of its own, apart from real data.
		dataDir = filepath.Join(cfg.DataDir, "demo")
		prefix = "piazza:demo:"
		if err := os.RemoveAll(filepath.Join(dataDir, "nats")); err != nil {
			return fmt.Errorf("clean demo store: %w", err)
		}
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	retention, err := bus.RetentionFromEnv(cfg.Getenv)
	if err != nil {
		return err
	}
	policies, err := livepolicy.Load(cfg.PolicyDir)
	if err != nil {
		return fmt.Errorf("load policies from %s: %w", cfg.PolicyDir, err)
	}
	key, err := pseudonym.LoadKey(cfg.Getenv)
	if err != nil {
		key, err = pseudonym.LoadOrCreateKeyFile(filepath.Join(cfg.DataDir, "pseudonym.key"))
		if err != nil {
			return err
		}
	}
	pseud, err := pseudonym.New(key)
	if err != nil {
		return err
	}

	rc, err := ResolveRedis(ctx, cfg.Getenv, dataDir)
	if err != nil {
		return err
	}
	defer rc.Stop()
	if rc.Source == "local" && !cfg.Demo {
		prefix = "piazza:up:"
	}
	if cfg.Demo {
		if err := deleteKeys(ctx, rc.URL, prefix); err != nil {
			return err
		}
	}

	ns, err := server.NewServer(&server.Options{
		ServerName: "piazza-up", Host: "127.0.0.1", Port: cfg.NATSPort, JetStream: true,
		StoreDir: filepath.Join(dataDir, "nats"), NoSigs: true, NoLog: true,
	})
	if err != nil {
		return fmt.Errorf("embedded NATS: %w", err)
	}
	ns.Start()
	defer func() { ns.Shutdown(); ns.WaitForShutdown() }()
	if !ns.ReadyForConnections(15 * time.Second) {
		return errors.New("embedded NATS did not start within 15s")
	}
	fmt.Fprintf(cfg.Progress, "piazza up: NATS %s (JetStream under %s), Redis %s (%s), %d tenants\n",
		ns.ClientURL(), filepath.Join(dataDir, "nats"), redactURL(rc.URL), rc.Source, len(policies.Current().Tenants()))

	sec, err := upSecurity(ctx, rc.URL, prefix, dataDir, cfg)
	if err != nil {
		return err
	}
	defer sec.close()
	common := Common{
		NATSURL: ns.ClientURL(), RedisURL: rc.URL, KeyPrefix: prefix, Policies: policies, Pseudonyms: pseud,
		Telemetry: cfg.Telemetry, Retention: retention, Security: sec.Security,
	}
	runCtx, cancelRun := context.WithCancel(ctx)
	defer cancelRun()
	go policies.Watch(runCtx, 5*time.Second, log)

	var running []*Service
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
		defer cancel()
		for i := len(running) - 1; i >= 0; i-- {
			if serr := running[i].Stop(sctx); serr != nil {
				log.Warn("stop service", "service", running[i].Name, "err", serr)
			}
		}
	}()
	fake, err := StartFakeFacebook()
	if err != nil {
		return err
	}
	defer func() { _ = fake.Close(context.WithoutCancel(ctx)) }()
	// Every Facebook page of the tenants' files gets a token on the fake before ingest builds
	// its clients.
	for _, t := range policies.Current().Tenants() {
		for _, p := range t.Pages {
			if p.Platform == "facebook" {
				fake.RegisterPage(p.ID, t.Name)
			}
		}
	}

	cls, err := StartClassifier(runCtx, common, cfg.ClassifierAddr)
	if err != nil {
		return fmt.Errorf("start classifier: %w", err)
	}
	running = append(running, cls)
	ic := IngestConfig{FacebookGraphURL: fake.URL, FacebookTokens: fake.Tokens, RecordReplayActions: true}
	webhook := ""
	if cfg.WebhookAddr != "" {
		if ic.FacebookAppSecret, err = SecretValue(cfg.Getenv, "PIAZZA_META_APP_SECRET"); err != nil {
			return err
		}
		if ic.MetaVerifyToken, err = SecretValue(cfg.Getenv, "PIAZZA_META_VERIFY_TOKEN"); err != nil {
			return err
		}
		if ic.WebhookListener, err = net.Listen("tcp", cfg.WebhookAddr); err != nil {
			return fmt.Errorf("listen for webhooks on %s (choose another with --webhook-addr): %w", cfg.WebhookAddr, err)
		}
		webhook = "http://" + ic.WebhookListener.Addr().String() + "/webhooks/meta"
		if ic.FacebookAppSecret == "" {
			webhook += " (PIAZZA_META_APP_SECRET unset: every delivery is refused)"
		}
	}
	ing, err := StartIngest(runCtx, common, cfg.IngestAddr, ic)
	if err != nil {
		return fmt.Errorf("start ingest: %w", err)
	}
	running = append(running, ing)
	rt, err := StartRouting(runCtx, common, cfg.RoutingAddr, RoutingConfigFromEnv(cfg.Getenv))
	if err != nil {
		return fmt.Errorf("start routing: %w", err)
	}
	running = append(running, rt)
	sn, err := StartSanctions(runCtx, common, cfg.SanctionsAddr, cls.Addr)
	if err != nil {
		return fmt.Errorf("start sanctions: %w", err)
	}
	running = append(running, sn)
	if cfg.MetricsAddr != "" {
		stop, err := ServeMetrics(cfg.MetricsAddr, cfg.Telemetry)
		if err != nil {
			return err
		}
		defer stop()
	}
	fmt.Fprintf(cfg.Progress, "piazza up: classifier %s, sanctions %s, routing %s, ingest %s, fake Facebook %s\n",
		cls.Addr, sn.Addr, rt.Addr, ing.Addr, fake.URL)
	if webhook != "" {
		fmt.Fprintf(cfg.Progress, "piazza up: Meta webhook endpoint %s\n", webhook)
	}

	nc, js, err := ConnectNATS(ns.ClientURL(), "piazza-up")
	if err != nil {
		return err
	}
	defer nc.Close()
	tally := NewTally(js)

	published := 0
	if cfg.Demo {
		pub := replay.BusPublisher{Bus: bus.NewPublisher(js, common.busTelemetry())}
		n, skipped, err := fake.ReplayOnto(runCtx, demo.Comments, pub)
		if err != nil {
			return fmt.Errorf("replay demo: %w", err)
		}
		for _, s := range skipped {
			log.Warn("demo line skipped", "line", s.Line, "err", s.Err)
		}
		published = n
		fmt.Fprintf(cfg.Progress, "piazza up: replayed %d demo comments to the fake Facebook pages\n", n)
	}

	every := cfg.ProgressEvery
	if every <= 0 {
		every = 500 * time.Millisecond
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	// On a terminal the progress line redraws in place; in a log it is written when it changes.
	tty, last := isTerminal(cfg.Progress), ""
	for {
		select {
		case <-ctx.Done():
			fmt.Fprintf(cfg.Progress, "\npiazza up: stopping, draining consumers\n")
			return nil
		case <-tick.C:
		}
		s, err := tally.Snapshot(runCtx, false)
		if err != nil {
			if cfg.Once {
				return err
			}
			log.Warn("count progress", "err", err)
			continue
		}
		s.Comments = published
		if line := progressLine(s); line != last {
			if tty {
				fmt.Fprintf(cfg.Progress, "\r%s", line)
			} else {
				fmt.Fprintf(cfg.Progress, "%s\n", line)
			}
			last = line
		}
		if !cfg.Once {
			continue
		}
		done, err := settled(runCtx, js, s, published)
		if err != nil {
			return err
		}
		if done {
			if s, err = tally.Snapshot(runCtx, true); err != nil {
				return err
			}
			s.Comments = published
			if s.DeadLetters, err = deadLetters(runCtx, js); err != nil {
				return err
			}
			if tty {
				fmt.Fprintln(cfg.Progress)
			}
			fmt.Fprintln(cfg.Out, s.String())
			return nil
		}
	}
}

// isTerminal reports whether w is a character device, such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

func progressLine(s Summary) string {
	return fmt.Sprintf("comments %d · decisions %d · actions done %d, failed %d · requests %d",
		s.Comments, s.Decisions, s.done, s.Failed, s.Requests)
}

// redactURL drops the password from a URL before it is printed.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// ServeMetrics serves /metrics and /healthz on addr; the returned func stops it.
func ServeMetrics(addr string, tel *telemetry.Providers) (func(), error) {
	mux := http.NewServeMux()
	mux.Handle("/metrics", tel.MetricsHandler)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen metrics %s: %w", addr, err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}

// upSession is the security of one `piazza up` run and the Redis connection of its token store.
type upSession struct {
	Security
	close func()
}

// AdminTokenFile is where `piazza up` writes the admin token of the session, under its data
// directory; only the user running piazza can read it.
const AdminTokenFile = "admin.token"

// upSecurity turns authentication on for the session: the services call each other with a
// service token, and a regional admin token valid for the session (12 hours at most) is
// written, mode 0600, to <dataDir>/admin.token for the newcomer's gRPC calls.
func upSecurity(ctx context.Context, redisURL, prefix, dataDir string, cfg UpConfig) (upSession, error) {
	rdb, err := ConnectRedis(ctx, redisURL)
	if err != nil {
		return upSession{}, fmt.Errorf("token store: %w", err)
	}
	sec, store, err := LocalSecurity(ctx, rdb, prefix, cfg.Telemetry.Logger)
	if err != nil {
		_ = rdb.Close()
		return upSession{}, err
	}
	tok, info, err := store.Create(ctx, auth.Identity{Tenant: auth.Region, Role: auth.RoleAdmin, Label: "piazza up session"}, 12*time.Hour)
	if err != nil {
		_ = rdb.Close()
		return upSession{}, fmt.Errorf("issue the session's admin token: %w", err)
	}
	path := filepath.Join(dataDir, AdminTokenFile)
	if err := os.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
		_ = rdb.Close()
		return upSession{}, fmt.Errorf("write admin token: %w", err)
	}
	fmt.Fprintf(cfg.Progress, "piazza up: gRPC needs a credential; this session's admin token (until %s) is in %s\n",
		info.ExpiresAt.Local().Format("2006-01-02 15:04"), path)
	return upSession{Security: sec, close: func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_ = store.Revoke(rctx, info.ID)
		_ = os.Remove(path)
		_ = rdb.Close()
	}}, nil
}
