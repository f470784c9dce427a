// Package nats_test checks deploy/nats/nats-server.conf against a real, in-process NATS server:
// every service user can do its own work and is refused everything else.
package nats_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// users of the configuration and the environment variable of each password.
var passwordEnv = map[string]string{
	"ingest": "NATS_INGEST_PASSWORD", "sanctions": "NATS_SANCTIONS_PASSWORD",
	"routing": "NATS_ROUTING_PASSWORD", "ops": "NATS_OPS_PASSWORD",
}

// deployment is a server started from the shipped configuration.
type deployment struct {
	url       string
	passwords map[string]string
}

func start(t *testing.T) *deployment {
	t.Helper()
	d := &deployment{passwords: map[string]string{}}
	for user, env := range passwordEnv {
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			t.Fatal(err)
		}
		d.passwords[user] = hex.EncodeToString(b)
		t.Setenv(env, d.passwords[user])
	}
	opts, err := server.ProcessConfigFile("nats-server.conf")
	if err != nil {
		t.Fatalf("nats-server.conf: %v", err)
	}
	opts.Host, opts.Port, opts.HTTPPort = "127.0.0.1", -1, 0
	opts.StoreDir = t.TempDir()
	opts.NoLog, opts.NoSigs = true, true
	ns, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start within 10s")
	}
	d.url = ns.ClientURL()
	return d
}

// client is one user's connection; errs receives the server's asynchronous refusals.
type client struct {
	t    *testing.T
	user string
	nc   *nats.Conn
	js   jetstream.JetStream
	errs chan error
}

func (d *deployment) connect(t *testing.T, user string) *client {
	t.Helper()
	c := &client{t: t, user: user, errs: make(chan error, 64)}
	nc, err := nats.Connect(d.url, nats.UserInfo(user, d.passwords[user]),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { c.errs <- err }))
	if err != nil {
		t.Fatalf("connect as %s: %v", user, err)
	}
	t.Cleanup(nc.Close)
	c.nc = nc
	if c.js, err = jetstream.New(nc); err != nil {
		t.Fatal(err)
	}
	return c
}

// refusal waits for the server's permission violation naming subject.
func (c *client) refusal(what, subject string) {
	c.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case err := <-c.errs:
			if errors.Is(err, nats.ErrPermissionViolation) && strings.Contains(err.Error(), `"`+subject+`"`) {
				return
			}
		case <-deadline:
			c.t.Errorf("%s could %s %s: want a permissions violation", c.user, what, subject)
			return
		}
	}
}

// mustNotPublish publishes on subject and expects the server to refuse it.
func (c *client) mustNotPublish(subject string) {
	c.t.Helper()
	if err := c.nc.Publish(subject, []byte("x")); err != nil {
		c.t.Fatal(err)
	}
	if err := c.nc.Flush(); err != nil {
		c.t.Fatal(err)
	}
	c.refusal("publish on", subject)
}

// mustNotSubscribe subscribes to subject and expects the server to refuse it.
func (c *client) mustNotSubscribe(subject string) {
	c.t.Helper()
	sub, err := c.nc.SubscribeSync(subject)
	if err != nil {
		c.t.Fatal(err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	if err := c.nc.Flush(); err != nil {
		c.t.Fatal(err)
	}
	c.refusal("subscribe to", subject)
}

// streams are Piazza's streams as pkg/bus declares them (names and subjects).
var streams = []jetstream.StreamConfig{
	{Name: "COMMENTS", Subjects: []string{"piazza.*.comment.>"}},
	{Name: "DECISIONS", Subjects: []string{"piazza.*.decision.>", "piazza.*.action.completed", "piazza.*.action.failed", "piazza.*.user.>"}},
	{Name: "ACTIONS", Subjects: []string{"piazza.*.action.requested"}, Retention: jetstream.WorkQueuePolicy},
	{Name: "REQUESTS", Subjects: []string{"piazza.*.request.>"}},
	{Name: "DEADLETTER", Subjects: []string{"piazza.*.deadletter.>"}},
}

// ensureStreams does what every service does at start.
func (c *client) ensureStreams(ctx context.Context) {
	c.t.Helper()
	for _, cfg := range streams {
		if _, err := c.js.CreateOrUpdateStream(ctx, cfg); err != nil {
			c.t.Fatalf("%s: ensure stream %s: %v", c.user, cfg.Name, err)
		}
	}
}

// publish is a JetStream publish that must be stored.
func (c *client) publish(ctx context.Context, subject string) {
	c.t.Helper()
	if _, err := c.js.Publish(ctx, subject, []byte("x")); err != nil {
		c.t.Errorf("%s publish on %s: %v", c.user, subject, err)
	}
}

// consumeOne creates the user's durable consumer, takes one message and acknowledges it.
func (c *client) consumeOne(ctx context.Context, stream, durable, filter string) {
	c.t.Helper()
	cons, err := c.js.CreateOrUpdateConsumer(ctx, stream, jetstream.ConsumerConfig{Durable: durable, AckPolicy: jetstream.AckExplicitPolicy, FilterSubjects: []string{filter}})
	if err != nil {
		c.t.Fatalf("%s: consumer %s on %s: %v", c.user, durable, stream, err)
	}
	batch, err := cons.Fetch(1, jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		c.t.Fatalf("%s: fetch from %s: %v", c.user, durable, err)
	}
	n := 0
	for m := range batch.Messages() {
		if err := m.DoubleAck(ctx); err != nil {
			c.t.Errorf("%s: ack on %s: %v", c.user, durable, err)
		}
		n++
	}
	if n != 1 {
		c.t.Errorf("%s: fetched %d messages from %s, want 1 (%v)", c.user, n, durable, batch.Error())
	}
}

func TestEachServiceDoesItsOwnWork(t *testing.T) {
	d := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ingest, sanctions, routing := d.connect(t, "ingest"), d.connect(t, "sanctions"), d.connect(t, "routing")
	for _, c := range []*client{ingest, sanctions, routing} {
		c.ensureStreams(ctx)
	}
	ingest.publish(ctx, "piazza.monza.comment.received")
	sanctions.consumeOne(ctx, "COMMENTS", "sanctions", "piazza.*.comment.received")
	sanctions.publish(ctx, "piazza.monza.decision.made")
	sanctions.publish(ctx, "piazza.monza.decision.pardoned")
	sanctions.publish(ctx, "piazza.monza.user.erased")
	sanctions.publish(ctx, "piazza.monza.action.requested")
	sanctions.publish(ctx, "piazza.monza.deadletter.comment.received")
	routing.consumeOne(ctx, "DECISIONS", "routing", "piazza.*.decision.made")
	routing.consumeOne(ctx, "DECISIONS", "routing-erasure", "piazza.*.user.erased")
	routing.publish(ctx, "piazza.monza.request.opened")
	routing.publish(ctx, "piazza.monza.action.requested")
	ingest.consumeOne(ctx, "ACTIONS", "enforcer", "piazza.*.action.requested")
	ingest.publish(ctx, "piazza.monza.action.completed")
	ingest.publish(ctx, "piazza.monza.action.failed")
	sanctions.consumeOne(ctx, "DECISIONS", "sanctions-failures", "piazza.*.action.failed")
	ingest.publish(ctx, "piazza.monza.action.failed")
}

func TestEachServiceIsRefusedTheRest(t *testing.T) {
	d := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d.connect(t, "ops").ensureStreams(ctx)
	refusals := map[string]struct{ publish, subscribe []string }{
		"ingest": {
			publish: []string{
				"piazza.monza.decision.made", "piazza.monza.action.requested", "piazza.monza.request.opened",
				"piazza.monza.user.erased", "other.subject",
				"$JS.API.CONSUMER.CREATE.COMMENTS.sanctions", "$JS.API.CONSUMER.MSG.NEXT.DECISIONS.routing",
				"$JS.API.STREAM.MSG.GET.COMMENTS", "$JS.API.DIRECT.GET.COMMENTS", "$JS.API.STREAM.DELETE.DECISIONS",
				"$JS.API.STREAM.PURGE.DECISIONS", "$JS.API.CONSUMER.DELETE.ACTIONS.enforcer",
			},
			subscribe: []string{"piazza.>", "piazza.monza.comment.received", "$JS.ACK.>"},
		},
		"sanctions": {
			publish: []string{
				"piazza.monza.comment.received", "piazza.monza.action.completed", "piazza.monza.action.failed",
				"piazza.monza.request.opened",
				"$JS.API.CONSUMER.CREATE.ACTIONS.enforcer", "$JS.API.CONSUMER.MSG.NEXT.ACTIONS.enforcer",
				"$JS.API.STREAM.MSG.GET.DECISIONS", "$JS.API.STREAM.DELETE.COMMENTS", "$JS.API.STREAM.PURGE.COMMENTS",
			},
			subscribe: []string{"piazza.*.comment.received", "piazza.>", ">"},
		},
		"routing": {
			publish: []string{
				"piazza.monza.comment.received", "piazza.monza.decision.made", "piazza.monza.action.completed",
				"piazza.monza.user.erased",
				"$JS.API.CONSUMER.CREATE.COMMENTS.sanctions", "$JS.API.CONSUMER.MSG.NEXT.COMMENTS.sanctions",
				"$JS.API.STREAM.MSG.GET.COMMENTS", "$JS.API.STREAM.DELETE.REQUESTS",
			},
			subscribe: []string{"piazza.*.decision.made", "piazza.>"},
		},
	}
	for user, r := range refusals {
		t.Run(user, func(t *testing.T) {
			c := d.connect(t, user)
			for _, s := range r.publish {
				c.mustNotPublish(s)
			}
			for _, s := range r.subscribe {
				c.mustNotSubscribe(s)
			}
		})
	}

	// Nothing refused reached a stream: COMMENTS holds no comment published by another user.
	ops := d.connect(t, "ops")
	for _, name := range []string{"COMMENTS", "DECISIONS", "ACTIONS", "REQUESTS"} {
		s, err := ops.js.Stream(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		info, err := s.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if info.State.Msgs != 0 {
			t.Errorf("stream %s holds %d messages published by users refused them", name, info.State.Msgs)
		}
	}
}

func TestWrongPasswordsAreRefused(t *testing.T) {
	d := start(t)
	for _, opt := range []nats.Option{nats.UserInfo("ingest", "wrong"), nats.UserInfo("classifier", d.passwords["ingest"]), nats.UserInfo("", "")} {
		nc, err := nats.Connect(d.url, opt, nats.MaxReconnects(0))
		if err == nil {
			nc.Close()
			t.Errorf("connected with a wrong credential")
		} else if !errors.Is(err, nats.ErrAuthorization) && !strings.Contains(strings.ToLower(err.Error()), "authorization") {
			t.Errorf("wrong credential: %v, want an authorization error", err)
		}
	}
	// The configuration holds no password: every one comes from the environment.
	conf, err := os.ReadFile("nats-server.conf")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for i, line := range strings.Split(string(conf), "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "password:") {
			continue
		}
		n++
		if v := strings.TrimSpace(strings.TrimPrefix(line, "password:")); !strings.HasPrefix(v, "$NATS_") {
			t.Errorf("nats-server.conf:%d: password %q is not an environment variable", i+1, v)
		}
	}
	if n != len(passwordEnv) {
		t.Errorf("nats-server.conf has %d passwords, want one per user (%d)", n, len(passwordEnv))
	}
}
