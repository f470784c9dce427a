package app

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/piazza-pa/piazza/pkg/bus"
	"github.com/piazza-pa/piazza/pkg/comments"
	actionv1 "github.com/piazza-pa/piazza/proto/gen/piazza/action/v1"
)

// Summary is what `piazza up --once` prints as its last line.
type Summary struct {
	// Comments published by the source.
	Comments int `json:"comments"`
	// Decisions made.
	Decisions int `json:"decisions"`
	// Actions requested, by kind, as their results report them.
	Actions map[string]int `json:"actions"`
	// Executed counts what the platform really did, by kind.
	Executed map[string]int `json:"executed"`
	// Failed counts actions that could not be done.
	Failed int `json:"failed"`
	// Requests opened for offices.
	Requests int `json:"requests"`
	// DeadLetters counts messages in the dead-letter stream.
	DeadLetters int `json:"deadletters"`
}

// String renders the summary as one JSON line.
func (s Summary) String() string {
	b, _ := json.Marshal(s)
	return string(b)
}

// Tally follows the audit log and the request events and counts what happened.
type Tally struct {
	mu  sync.Mutex
	sum Summary

	ccs []jetstream.ConsumeContext
}

// NewTally starts following js from the beginning of the streams.
func NewTally(ctx context.Context, js jetstream.JetStream) (*Tally, error) {
	t := &Tally{sum: Summary{Actions: map[string]int{}, Executed: map[string]int{}}}
	follow := func(stream string, subjects []string, fn func(jetstream.Msg)) error {
		cons, err := js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{FilterSubjects: subjects})
		if err != nil {
			return fmt.Errorf("follow %s: %w", stream, err)
		}
		cc, err := cons.Consume(fn)
		if err != nil {
			return fmt.Errorf("follow %s: %w", stream, err)
		}
		t.ccs = append(t.ccs, cc)
		return nil
	}
	err := follow(bus.StreamDecisions, append(bus.DecisionSubjects("*"), bus.ActionCompleted("*"), bus.ActionFailed("*")), func(m jetstream.Msg) {
		_, entity, event, _ := bus.ParseSubject(m.Subject())
		t.mu.Lock()
		defer t.mu.Unlock()
		if entity == bus.EntityDecision {
			t.sum.Decisions++
			return
		}
		var r actionv1.ActionResult
		if proto.Unmarshal(m.Data(), &r) != nil {
			return
		}
		t.sum.Actions[comments.KindName(r.GetAction().GetKind())]++
		if event == bus.EventFailed {
			t.sum.Failed++
			return
		}
		t.sum.Executed[comments.KindName(r.GetPerformed())]++
	})
	if err != nil {
		return nil, err
	}
	err = follow(bus.StreamRequests, []string{bus.RequestEvent("*", "opened")}, func(jetstream.Msg) {
		t.mu.Lock()
		t.sum.Requests++
		t.mu.Unlock()
	})
	if err != nil {
		t.Stop()
		return nil, err
	}
	return t, nil
}

// Snapshot returns the counts so far.
func (t *Tally) Snapshot() Summary {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.sum
	s.Actions, s.Executed = map[string]int{}, map[string]int{}
	for k, v := range t.sum.Actions {
		s.Actions[k] = v
	}
	for k, v := range t.sum.Executed {
		s.Executed[k] = v
	}
	return s
}

// results is the number of action results seen.
func (s Summary) results() int {
	n := 0
	for _, v := range s.Actions {
		n += v
	}
	return n
}

// Stop stops following.
func (t *Tally) Stop() {
	for _, cc := range t.ccs {
		cc.Stop()
	}
}

// settled reports whether the pipeline has finished with everything published so far: every
// comment decided, every decision routed, and every requested action carried out.
func settled(ctx context.Context, js jetstream.JetStream, s Summary, comments int) (bool, error) {
	if s.Decisions < comments {
		return false, nil
	}
	for _, c := range []struct{ stream, durable string }{
		{bus.StreamComments, "sanctions"}, {bus.StreamDecisions, "routing"}, {bus.StreamActions, "enforcer"},
	} {
		cons, err := js.Consumer(ctx, c.stream, c.durable)
		if err != nil {
			return false, fmt.Errorf("consumer %s: %w", c.durable, err)
		}
		info, err := cons.Info(ctx)
		if err != nil {
			return false, fmt.Errorf("consumer %s: %w", c.durable, err)
		}
		if info.NumPending > 0 || info.NumAckPending > 0 || info.NumRedelivered > 0 {
			return false, nil
		}
	}
	st, err := js.Stream(ctx, bus.StreamActions)
	if err != nil {
		return false, err
	}
	info, err := st.Info(ctx)
	if err != nil {
		return false, err
	}
	return info.State.Msgs == 0 && uint64(s.results()) >= info.State.LastSeq, nil
}

func deadLetters(ctx context.Context, js jetstream.JetStream) (int, error) {
	st, err := js.Stream(ctx, bus.StreamDeadLetter)
	if err != nil {
		return 0, err
	}
	info, err := st.Info(ctx)
	if err != nil {
		return 0, err
	}
	return int(info.State.Msgs), nil
}
