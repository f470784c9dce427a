package routing

import (
	"context"
	"errors"
	"testing"

	"github.com/piazza-pa/piazza/pkg/bus"
	"github.com/piazza-pa/piazza/pkg/livepolicy"
	"github.com/piazza-pa/piazza/pkg/policy"
	"github.com/piazza-pa/piazza/pkg/testinfra"
)

// countingNotifier counts deliveries and fails while fail is positive.
type countingNotifier struct {
	name string
	sent int
	fail int
}

func (c *countingNotifier) Name() string { return c.name }
func (c *countingNotifier) Notify(context.Context, Notification) error {
	if c.fail > 0 {
		c.fail--
		return errors.New("channel down")
	}
	c.sent++
	return nil
}

// TestDeliverOncePerChannel replays what happens when a replica dies after delivering and
// before recording the step, or when one channel fails: the retry delivers only on the channels
// that have not delivered yet.
func TestDeliverOncePerChannel(t *testing.T) {
	rds := testinfra.StartRedis(t)
	js := testinfra.StartNATS(t).JetStream(t)
	set, err := policy.LoadDir("../../deploy/policies")
	if err != nil {
		t.Fatal(err)
	}
	mail, hook := &countingNotifier{name: "smtp"}, &countingNotifier{name: "webhook", fail: 1}
	svc, err := New(Config{Redis: rds.Client, Policies: livepolicy.Static(set), Publisher: bus.NewPublisher(js, bus.Telemetry{}),
		KeyPrefix: "deliver:", Notifiers: []Notifier{mail, hook}})
	if err != nil {
		t.Fatal(err)
	}
	n := Notification{ID: "req-1:2:notified", Tenant: "monza", RequestID: "req-1", To: []string{"urp@comune.monza.example"}}
	ctx := context.Background()
	if err := svc.deliver(ctx, n); err == nil {
		t.Fatal("a failed channel was not reported")
	}
	for range 2 { // the retry after the failure, then a retry after a crash before the commit
		if err := svc.deliver(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	if mail.sent != 1 || hook.sent != 1 {
		t.Errorf("delivered %d e-mails and %d webhooks, want one of each", mail.sent, hook.sent)
	}
}
