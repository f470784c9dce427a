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

// quietFor is how long Quiesce wants every consumer idle, with no new message stored, before it
// believes it: a consumer's pending count can lag a message its stream has just stored.
const quietFor = 100 * time.Millisecond

// Quiesce waits until every durable consumer of the pipeline's streams has nothing pending and
// nothing unacknowledged, and no stream has stored anything new, for quietFor: the last comment's
// actions are done and its request opened, not only its decision published. It gives up after
// timeout, naming the last consumer it saw with work left.
func Quiesce(ctx context.Context, js jetstream.JetStream, streams []string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var quietSince time.Time
	var quietAt, lastBusy string
	for {
		busy, stored, err := backlog(ctx, js, streams)
		if err != nil {
			return err
		}
		switch {
		case busy != "":
			quietSince, lastBusy = time.Time{}, busy
		case quietSince.IsZero() || stored != quietAt:
			quietSince, quietAt = time.Now(), stored
		case time.Since(quietSince) >= quietFor:
			return nil
		}
		if time.Now().After(deadline) {
			if lastBusy == "" {
				lastBusy = "idle for less than " + quietFor.String()
			}
			return fmt.Errorf("pipeline not quiet after %s: %s", timeout, lastBusy)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// backlog names the first consumer with work left, or returns ""; stored lists the streams' last
// sequences, which change whenever a message is stored.
func backlog(ctx context.Context, js jetstream.JetStream, streams []string) (busy, stored string, err error) {
	for _, name := range streams {
		s, err := js.Stream(ctx, name)
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			continue
		}
		if err != nil {
			return "", "", fmt.Errorf("stream %s: %w", name, err)
		}
		stored += fmt.Sprintf("%s:%d ", name, s.CachedInfo().State.LastSeq)
		lister := s.ListConsumers(ctx)
		for info := range lister.Info() {
			if info.Config.Durable == "" {
				continue // an observer's ephemeral consumer, not part of the pipeline
			}
			if busy == "" && (info.NumPending > 0 || info.NumAckPending > 0) {
				busy = fmt.Sprintf("%s/%s: %d pending, %d unacknowledged", name, info.Name, info.NumPending, info.NumAckPending)
			}
		}
		if err := lister.Err(); err != nil {
			return "", "", fmt.Errorf("consumers of %s: %w", name, err)
		}
	}
	return busy, stored, nil
}
