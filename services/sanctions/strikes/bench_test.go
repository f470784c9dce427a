package strikes_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/piazza-pa/piazza/pkg/testinfra"
	"github.com/piazza-pa/piazza/services/sanctions/strikes"
)

// batch is how many commands one pipelined round trip carries, and workers how many pipelines
// are in flight at once, for the store and the baseline alike. Several pipelines in flight let
// Redis share one fsync of the append-only file (appendfsync always) among them.
const (
	batch   = 512
	workers = 4
)

// run sends n operations in batches from workers goroutines; send sends the operations of ids
// [from, to) in one pipelined round trip.
func run(b *testing.B, n int, send func(from, to int) error) time.Duration {
	b.Helper()
	next := make(chan int)
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for from := range next {
				to := min(from+batch, n)
				if err := send(from, to); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for from := 0; from < n; from += batch {
		next <- from
	}
	close(next)
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	return elapsed
}

// BenchmarkStrikesPerSecond records distinct strikes from one process in pipelined batches
// against a private redis-server (append-only file, fsync always), and in the same run measures
// the baseline: pipelined INCRs with the same batches and concurrency on the same server. It
// reports strikes/s, the baseline's INCR/s and their ratio, so that the figure can be compared
// across machines.
func BenchmarkStrikesPerSecond(b *testing.B) {
	ctx := context.Background()
	r := testinfra.StartRedis(b)
	store := strikes.NewStore(r.Client, "bench:")
	day := 24 * time.Hour
	at := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)

	nBase := max(b.N, 100000)
	baseElapsed := run(b, nBase, func(from, to int) error {
		_, err := r.Client.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := from; i < to; i++ {
				p.Incr(ctx, "bench:incr:"+strconv.Itoa(i%1024))
			}
			return nil
		})
		return err
	})
	baseline := float64(nBase) / baseElapsed.Seconds()

	b.ResetTimer()
	vs := []strikes.Violation{{Group: "insult", Window: 365 * day}}
	elapsed := run(b, b.N, func(from, to int) error {
		batch := make([]strikes.Strike, 0, to-from)
		for i := from; i < to; i++ {
			// 1,000 users, each with a growing history.
			sub := strikes.Subject{Tenant: "monza", Platform: "facebook", Pseudonym: "u" + strconv.Itoa(i%1000)}
			batch = append(batch, strikes.Strike{Subject: sub, CommentID: "c" + strconv.Itoa(i), At: at, Now: at, Violations: vs})
		}
		_, err := store.RecordBatch(ctx, batch)
		return err
	})
	b.StopTimer()
	perSec := float64(b.N) / elapsed.Seconds()
	b.ReportMetric(perSec, "strikes/s")
	b.ReportMetric(baseline, "incr/s")
	b.ReportMetric(perSec/baseline, "ratio")
}
