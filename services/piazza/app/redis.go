package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// LocalRedisURL is the Redis `piazza up` tries when REDIS_URL is not set.
const LocalRedisURL = "redis://127.0.0.1:6379/0"

// RedisChoice is the Redis `piazza up` settled on.
type RedisChoice struct {
	// URL to connect to.
	URL string
	// Source says where it came from: "REDIS_URL", "local", or "child".
	Source string
	// Stop ends the child redis-server, when one was started.
	Stop func()
}

// ResolveRedis applies the rule of `piazza up`: REDIS_URL when set; else a Redis on
// 127.0.0.1:6379 if one answers; else a redis-server started as a child process with its data
// under dataDir; else an error saying how to get one.
func ResolveRedis(ctx context.Context, getenv func(string) string, dataDir string) (RedisChoice, error) {
	if url := getenv("REDIS_URL"); url != "" {
		return RedisChoice{URL: url, Source: "REDIS_URL", Stop: func() {}}, nil
	}
	if pingURL(ctx, LocalRedisURL) == nil {
		return RedisChoice{URL: LocalRedisURL, Source: "local", Stop: func() {}}, nil
	}
	return startChildRedis(ctx, dataDir)
}

// startChildRedis starts a redis-server as a child process with its data under dataDir, with
// the append-only file fsynced on every write, as in every deployment Piazza ships
// (docker-compose.yml, deploy/k8s/redis-values.yaml): a consumer acknowledges a message once
// Redis has acknowledged its writes, so those writes must survive a crash of Redis or of the
// machine.
func startChildRedis(ctx context.Context, dataDir string) (RedisChoice, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return RedisChoice{}, errors.New("no Redis: set REDIS_URL, start a Redis on 127.0.0.1:6379, or install redis-server (apt-get install -y redis-server) so that piazza can start one under ./var")
	}
	dir := filepath.Join(dataDir, "redis")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return RedisChoice{}, fmt.Errorf("create redis dir: %w", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return RedisChoice{}, fmt.Errorf("find a port for redis: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
		"--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no", "--logfile", filepath.Join(dir, "redis.log"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // Ctrl-C is ours to handle, not the child's
	if err := cmd.Start(); err != nil {
		return RedisChoice{}, fmt.Errorf("start redis-server: %w", err)
	}
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _, _ = cmd.Process.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
		}
	}
	url := "redis://127.0.0.1:" + strconv.Itoa(port) + "/0"
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := pingURL(ctx, url); err == nil {
			return RedisChoice{URL: url, Source: "child", Stop: stop}, nil
		} else if time.Now().After(deadline) {
			stop()
			return RedisChoice{}, fmt.Errorf("redis-server under %s did not answer: %w", dir, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func pingURL(ctx context.Context, url string) error {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return err
	}
	opts.DialTimeout = 300 * time.Millisecond
	opts.MaxRetries = -1
	c := redis.NewClient(opts)
	defer c.Close()
	pctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	return c.Ping(pctx).Err()
}

// deleteKeys removes every key starting with prefix; the demo uses it to start clean.
func deleteKeys(ctx context.Context, url, prefix string) error {
	rdb, err := ConnectRedis(ctx, url)
	if err != nil {
		return err
	}
	defer rdb.Close()
	iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var batch []string
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
		if len(batch) == 500 {
			if err := rdb.Del(ctx, batch...).Err(); err != nil {
				return fmt.Errorf("clean demo keys: %w", err)
			}
			batch = batch[:0]
		}
	}
	if err := iter.Err(); err != nil {
		return fmt.Errorf("scan demo keys: %w", err)
	}
	if len(batch) > 0 {
		if err := rdb.Del(ctx, batch...).Err(); err != nil {
			return fmt.Errorf("clean demo keys: %w", err)
		}
	}
	return nil
}
