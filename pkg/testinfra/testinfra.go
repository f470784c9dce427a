// Package testinfra starts the real servers Piazza's tests talk to: an in-process NATS server
// with JetStream on a temporary store, and a private redis-server on a free port. Tests never
// use the machine's shared services, so they can run in parallel and leave nothing behind.
package testinfra

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"

	"github.com/piazza-pa/piazza/pkg/bus"
)

// NATS is an in-process NATS server with JetStream enabled.
type NATS struct {
	// Server is the running server.
	Server *server.Server
	// URL is the client URL, e.g. nats://127.0.0.1:41234.
	URL string
	// StoreDir is where JetStream keeps its data; it survives Restart.
	StoreDir string

	tb   testing.TB
	opts server.Options
}

// StartNATS starts an in-process NATS server on a free loopback port with JetStream storing under
// a temporary directory, and shuts it down when the test ends.
func StartNATS(tb testing.TB) *NATS {
	tb.Helper()
	n := &NATS{tb: tb, StoreDir: tb.TempDir()}
	n.opts = server.Options{
		Host:      "127.0.0.1",
		Port:      -1,
		JetStream: true,
		StoreDir:  n.StoreDir,
		NoLog:     true,
		NoSigs:    true,
		// Keep JetStream's memory and disk use small and predictable in tests.
		JetStreamMaxMemory: 256 << 20,
		JetStreamMaxStore:  1 << 30,
	}
	n.start()
	tb.Cleanup(func() { n.Server.Shutdown(); n.Server.WaitForShutdown() })
	return n
}

func (n *NATS) start() {
	n.tb.Helper()
	opts := n.opts
	srv, err := server.NewServer(&opts)
	if err != nil {
		n.tb.Fatalf("start NATS server: %v", err)
	}
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		n.tb.Fatalf("NATS server not ready for connections within 10s")
	}
	n.Server = srv
	n.URL = srv.ClientURL()
	// Restarts must come back on the same port so that clients reconnect.
	if n.opts.Port == -1 {
		n.opts.Port = srv.Addr().(*net.TCPAddr).Port
	}
}

// JetStream connects a client to the server, creates Piazza's streams, and closes the
// connection when the test ends.
func (n *NATS) JetStream(tb testing.TB) jetstream.JetStream {
	tb.Helper()
	nc, err := nats.Connect(n.URL, nats.MaxReconnects(-1))
	if err != nil {
		tb.Fatalf("connect to NATS: %v", err)
	}
	tb.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatalf("jetstream: %v", err)
	}
	if err := bus.EnsureStreams(context.Background(), js, bus.DefaultRetention()); err != nil {
		tb.Fatalf("create streams: %v", err)
	}
	return js
}

// StreamMessages returns every message a stream holds, oldest first. Sequences deleted from
// the stream (a work queue's acknowledged messages) are passed over; any other error is
// returned.
func StreamMessages(ctx context.Context, js jetstream.JetStream, stream string) ([]*jetstream.RawStreamMsg, error) {
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", stream, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", stream, err)
	}
	var out []*jetstream.RawStreamMsg
	for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("stream %s message %d: %w", stream, seq, err)
		}
		out = append(out, m)
	}
	return out, nil
}

// Restart shuts the server down and starts it again on the same port and store, as an operator's
// restart would; connected clients reconnect by themselves.
func (n *NATS) Restart() {
	n.tb.Helper()
	n.Server.Shutdown()
	n.Server.WaitForShutdown()
	n.start()
}

// Redis is a Redis server reserved for one test (or the one named by REDIS_URL).
type Redis struct {
	// URL is the redis:// URL to connect to.
	URL string
	// Addr is host:port.
	Addr string
	// Client is a ready client, closed when the test ends.
	Client *redis.Client
	// Dir holds the server's data (append-only file); empty when REDIS_URL was used.
	Dir string

	tb   testing.TB
	mu   sync.Mutex
	cmd  *exec.Cmd
	port int
}

// StartRedis gives the test a Redis: the server named by REDIS_URL when that is set, otherwise a
// private redis-server (append-only file on, nothing else persisted) on a free loopback port with
// its data in a temporary directory. When neither is possible the test fails with an install hint.
func StartRedis(tb testing.TB) *Redis {
	tb.Helper()
	if url := os.Getenv("REDIS_URL"); url != "" {
		opts, err := redis.ParseURL(url)
		if err != nil {
			tb.Fatalf("REDIS_URL %q: %v", url, err)
		}
		r := &Redis{URL: url, Addr: opts.Addr, tb: tb}
		r.connect()
		return r
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		tb.Fatalf("redis-server not found in PATH: install it (apt-get install -y redis-server) or set REDIS_URL to a server the tests may use")
	}
	r := &Redis{tb: tb, Dir: tb.TempDir(), port: freePort(tb)}
	r.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(r.port))
	r.URL = "redis://" + r.Addr + "/0"
	r.startServer(bin)
	r.connect()
	tb.Cleanup(r.stopServer)
	return r
}

func (r *Redis) connect() {
	r.tb.Helper()
	opts, err := redis.ParseURL(r.URL)
	if err != nil {
		r.tb.Fatalf("parse redis URL: %v", err)
	}
	r.Client = redis.NewClient(opts)
	r.tb.Cleanup(func() { _ = r.Client.Close() })
	if err := waitFor(10*time.Second, func() error { return r.Client.Ping(context.Background()).Err() }); err != nil {
		r.tb.Fatalf("redis at %s does not answer PING: %v", r.Addr, err)
	}
}

func (r *Redis) startServer(bin string) {
	r.tb.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	cmd := exec.Command(bin,
		"--port", strconv.Itoa(r.port),
		"--bind", "127.0.0.1",
		"--dir", r.Dir,
		"--save", "",
		"--appendonly", "yes",
		"--appendfsync", "always",
		"--daemonize", "no",
		"--logfile", filepath.Join(r.Dir, "redis.log"),
	)
	if err := cmd.Start(); err != nil {
		r.tb.Fatalf("start redis-server: %v", err)
	}
	r.cmd = cmd
	err := waitFor(10*time.Second, func() error {
		c, err := net.DialTimeout("tcp", r.Addr, 200*time.Millisecond)
		if err != nil {
			return err
		}
		return c.Close()
	})
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(r.Dir, "redis.log"))
		r.tb.Fatalf("redis-server on %s did not start: %v\n%s", r.Addr, err, tail(string(log), 800))
	}
}

func (r *Redis) stopServer() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Kill()
	_, _ = r.cmd.Process.Wait()
	r.cmd = nil
}

// Stop kills the private server (as a crash would). Clients see errors until Start.
func (r *Redis) Stop() {
	r.tb.Helper()
	if r.Dir == "" {
		r.tb.Fatalf("cannot stop the Redis named by REDIS_URL")
	}
	r.stopServer()
}

// Start starts the private server again on the same port and data directory; with the
// append-only file every acknowledged write is back.
func (r *Redis) Start() {
	r.tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		r.tb.Fatalf("redis-server not found in PATH: %v", err)
	}
	r.startServer(bin)
}

func freePort(tb testing.TB) int {
	tb.Helper()
	_, port, _ := net.SplitHostPort(FreeAddr(tb))
	n, _ := strconv.Atoi(port)
	return n
}

// handedOut holds the loopback addresses FreeAddr has returned in this process.
var handedOut sync.Map

// FreeAddr returns a loopback address with a port that was free a moment ago and that no earlier
// call in this process returned, for a server another process will start (a child's gRPC or
// metrics address). The kernel may give a port that was just closed to the next listener on
// port 0; without the check, two children could be told the same address, and a health check
// would reach the wrong server.
func FreeAddr(tb testing.TB) string {
	tb.Helper()
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatalf("find a free port: %v", err)
		}
		addr := l.Addr().String()
		_ = l.Close()
		if _, taken := handedOut.LoadOrStore(addr, struct{}{}); !taken {
			return addr
		}
	}
	tb.Fatal("find a free port: the kernel kept giving ports already handed out")
	return ""
}

func waitFor(limit time.Duration, check func() error) error {
	deadline := time.Now().Add(limit)
	var err error
	for time.Now().Before(deadline) {
		if err = check(); err == nil {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("after %s: %w", limit, err)
}

func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// Eventually polls check until it returns nil or the limit passes, then fails the test with the
// last error. Tests use it instead of sleeping.
func Eventually(tb testing.TB, limit time.Duration, check func() error) {
	tb.Helper()
	if err := waitFor(limit, check); err != nil {
		tb.Fatalf("condition not met: %v", err)
	}
}

func testingRedisURLSet() bool { return os.Getenv("REDIS_URL") != "" }
