package connector_test

import (
	"context"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/piazza-pa/piazza/pkg/bus"
	"github.com/piazza-pa/piazza/pkg/testinfra"
	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	"github.com/piazza-pa/piazza/services/ingest/connector"
	"github.com/piazza-pa/piazza/services/ingest/replay"
)

type bench struct {
	js      jetstream.JetStream
	redis   *testinfra.Redis
	sink    *connector.Sink
	cursors connector.Cursors
}

func newBench(t *testing.T) *bench {
	t.Helper()
	srv := testinfra.StartNATS(t)
	js := srv.JetStream(t)
	if err := bus.EnsureStreams(context.Background(), js, bus.DefaultRetention()); err != nil {
		t.Fatal(err)
	}
	rds := testinfra.StartRedis(t)
	return &bench{
		js: js, redis: rds,
		sink:    &connector.Sink{Redis: rds.Client, KeyPrefix: "t:", Publisher: replay.BusPublisher{Bus: bus.NewPublisher(js, bus.Telemetry{})}},
		cursors: connector.Cursors{Redis: rds.Client, KeyPrefix: "t:"},
	}
}

// published returns the comments on the COMMENTS stream, in order.
func (b *bench) published(t *testing.T) []*commentv1.Comment {
	t.Helper()
	msgs, err := testinfra.StreamMessages(context.Background(), b.js, bus.StreamComments)
	if err != nil {
		t.Fatal(err)
	}
	var out []*commentv1.Comment
	for _, m := range msgs {
		var c commentv1.Comment
		if err := proto.Unmarshal(m.Data, &c); err != nil {
			t.Fatal(err)
		}
		out = append(out, &c)
	}
	return out
}
