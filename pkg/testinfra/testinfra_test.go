package testinfra

import (
	"context"
	"testing"

	"github.com/nats-io/nats.go"
)

func TestRedisKeepsAcknowledgedWritesAcrossARestart(t *testing.T) {
	if testingRedisURLSet() {
		t.Log("REDIS_URL names a shared server: the restart is checked only with a private one")
		return
	}
	r := StartRedis(t)
	ctx := context.Background()
	if err := r.Client.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	r.Stop()
	if err := r.Client.Ping(ctx).Err(); err == nil {
		t.Fatal("redis still answers after Stop")
	}
	r.Start()
	got, err := r.Client.Get(ctx, "k").Result()
	if err != nil || got != "v" {
		t.Errorf("after restart k = %q (%v), want v", got, err)
	}
}

func TestNATSRestartKeepsStreams(t *testing.T) {
	n := StartNATS(t)
	nc, err := nats.Connect(n.URL, nats.MaxReconnects(-1))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	url := n.URL
	n.Restart()
	if n.URL != url {
		t.Errorf("restarted on %s, want %s", n.URL, url)
	}
	Eventually(t, 5e9, func() error { return nc.Flush() })
}

// FreeAddr never hands out an address twice: 500 ports taken at random from the ephemeral range
// would repeat one almost surely (the birthday bound), and two children told the same address
// is how a health check once reached another service's metrics server.
func TestFreeAddrHandsOutEachAddressOnce(t *testing.T) {
	seen := map[string]bool{}
	for range 500 {
		addr := FreeAddr(t)
		if seen[addr] {
			t.Fatalf("%s handed out twice", addr)
		}
		seen[addr] = true
	}
}
