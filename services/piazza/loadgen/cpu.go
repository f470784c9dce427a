package loadgen

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// userHZ is the unit of /proc/stat's counters: USER_HZ, 100 on every Linux architecture Go
// supports.
const userHZ = 100

// MachineCPU returns the CPU time the whole machine has spent busy since boot, from
// /proc/stat: user, nice, system, irq and softirq time of every core, without idle, I/O wait
// and the time the hypervisor gave to other machines (steal). Over a run it counts every
// process of the pipeline (NATS, Redis, the services, the load generator) and the kernel's
// work for them, and not the time they waited for a CPU: on a shared virtual machine it moves
// much less from run to run than a throughput does. ok is false where /proc/stat is missing.
func MachineCPU() (time.Duration, bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0, false
	}
	var ticks int64
	for _, i := range []int{1, 2, 3, 6, 7} { // user nice system [idle iowait] irq softirq
		v, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return 0, false
		}
		ticks += v
	}
	return time.Duration(ticks) * time.Second / userHZ, true
}

// Quiesce waits until every durable consumer of the pipeline's streams has nothing pending and
// nothing unacknowledged: the last comment's actions are done and its request opened, not only
// its decision published. It gives up after timeout.
func Quiesce(ctx context.Context, js jetstream.JetStream, streams []string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		busy, err := backlog(ctx, js, streams)
		if err != nil {
			return err
		}
		if busy == "" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pipeline not quiet after %s: %s", timeout, busy)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// backlog names the first consumer with work left, or returns "".
func backlog(ctx context.Context, js jetstream.JetStream, streams []string) (string, error) {
	for _, name := range streams {
		s, err := js.Stream(ctx, name)
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("stream %s: %w", name, err)
		}
		lister := s.ListConsumers(ctx)
		for info := range lister.Info() {
			if info.Config.Durable == "" {
				continue // an observer's ephemeral consumer, not part of the pipeline
			}
			if info.NumPending > 0 || info.NumAckPending > 0 {
				return fmt.Sprintf("%s/%s: %d pending, %d unacknowledged", name, info.Name, info.NumPending, info.NumAckPending), nil
			}
		}
		if err := lister.Err(); err != nil {
			return "", fmt.Errorf("consumers of %s: %w", name, err)
		}
	}
	return "", nil
}
