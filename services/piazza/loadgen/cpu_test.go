package loadgen_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/piazza-pa/piazza/pkg/bus"
	"github.com/piazza-pa/piazza/pkg/testinfra"
	"github.com/piazza-pa/piazza/services/piazza/loadgen"
)

func TestMachineCPUCountsBusyTime(t *testing.T) {
	before, ok := loadgen.MachineCPU()
	if !ok {
		t.Fatal("no /proc/stat: the pipeline benchmarks report CPU per comment on Linux only")
	}
	spin := time.Now().Add(300 * time.Millisecond)
	n := 0
	for time.Now().Before(spin) {
		n++
	}
	after, _ := loadgen.MachineCPU()
	if d := after - before; d < 150*time.Millisecond {
		t.Errorf("300 ms of spinning counted as %s of busy CPU", d)
	}
}

func TestQuiesceWaitsForEveryDurableConsumer(t *testing.T) {
	srv := testinfra.StartNATS(t)
	js := srv.JetStream(t)
	ctx := context.Background()
	if err := bus.EnsureStreams(ctx, js, bus.Retention{}); err != nil {
		t.Fatal(err)
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, bus.StreamActions, jetstream.ConsumerConfig{Durable: "enforcer", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := js.Publish(ctx, bus.ActionRequested("monza"), []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	streams := []string{bus.StreamComments, bus.StreamDecisions, bus.StreamActions, bus.StreamRequests}
	err = loadgen.Quiesce(ctx, js, streams, 100*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "ACTIONS/enforcer: 3 pending") {
		t.Fatalf("with 3 actions waiting: %v, want the enforcer's backlog named", err)
	}
	batch, err := cons.Fetch(3)
	if err != nil {
		t.Fatal(err)
	}
	var msgs []jetstream.Msg
	for m := range batch.Messages() {
		msgs = append(msgs, m)
	}
	if err := loadgen.Quiesce(ctx, js, streams, 100*time.Millisecond); err == nil || !strings.Contains(err.Error(), "3 unacknowledged") {
		t.Fatalf("with 3 actions delivered and not acknowledged: %v", err)
	}
	go func() {
		time.Sleep(200 * time.Millisecond)
		for _, m := range msgs {
			_ = m.Ack()
		}
	}()
	if err := loadgen.Quiesce(ctx, js, streams, 10*time.Second); err != nil {
		t.Errorf("after the acknowledgements: %v", err)
	}
}
