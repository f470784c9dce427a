package app

import (
	"context"
	"os/exec"
	"testing"

	"github.com/redis/go-redis/v9"
)

// The Redis `piazza up` starts when none is given keeps an append-only file fsynced on every
// write, like the deployments in docker-compose.yml and deploy/k8s.
func TestChildRedisFsyncsEveryWrite(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatal("redis-server is not installed: apt-get install -y redis-server")
	}
	ctx := context.Background()
	choice, err := startChildRedis(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer choice.Stop()
	opts, err := redis.ParseURL(choice.URL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	got, err := rdb.ConfigGet(ctx, "append*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if got["appendonly"] != "yes" || got["appendfsync"] != "always" {
		t.Errorf("child redis-server config %v, want appendonly yes and appendfsync always", got)
	}
	if choice.Source != "child" {
		t.Errorf("source %q, want child", choice.Source)
	}
}
