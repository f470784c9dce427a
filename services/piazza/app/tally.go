package app

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"sync"
	"time"

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

	// done and results are the successful action results and all of them, counted with or
	// without the kinds.
	done, results int
}

// String renders the summary as one JSON line.
func (s Summary) String() string {
	b, _ := json.Marshal(s)
	return string(b)
}

// Tally counts what happened from the streams' per-subject message counts, which the server
// keeps anyway, instead of following every message: following the audit log cost nearly two
// deliveries per comment, about a tenth of the machine's CPU per comment in a saturating burst
// (docs/benchmarks.md). Only the action results are read, and only when a summary by kind is
// asked for: at the end of --once.
type Tally struct {
	js jetstream.JetStream

	mu sync.Mutex
	// results follows the action results for the counts by kind; read is how many it has
	// read, actions and executed what they count.
	results           jetstream.Consumer
	read              int
	actions, executed map[string]int
}

// NewTally counts on js, from the beginning of the streams.
func NewTally(js jetstream.JetStream) *Tally {
	return &Tally{js: js, actions: map[string]int{}, executed: map[string]int{}}
}

// subjectCounts returns the number of messages of stream on each subject that filter matches.
func subjectCounts(ctx context.Context, js jetstream.JetStream, stream, filter string) (map[string]uint64, error) {
	st, err := js.Stream(ctx, stream)
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", stream, err)
	}
	info, err := st.Info(ctx, jetstream.WithSubjectFilter(filter))
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", stream, err)
	}
	return info.State.Subjects, nil
}

// Snapshot returns the counts so far; the actions and what was executed by kind only when
// byKind is set (the progress line needs only the totals).
func (t *Tally) Snapshot(ctx context.Context, byKind bool) (Summary, error) {
	s := Summary{Actions: map[string]int{}, Executed: map[string]int{}}
	decided, err := subjectCounts(ctx, t.js, bus.StreamDecisions, bus.Subject("*", bus.EntityDecision, ">"))
	if err != nil {
		return s, err
	}
	for _, n := range decided {
		s.Decisions += int(n)
	}
	results, err := subjectCounts(ctx, t.js, bus.StreamDecisions, bus.Subject("*", bus.EntityAction, "*"))
	if err != nil {
		return s, err
	}
	done := 0
	for subject, n := range results {
		switch _, _, event, _ := bus.ParseSubject(subject); event {
		case bus.EventFailed:
			s.Failed += int(n)
		case bus.EventCompleted:
			done += int(n)
		}
	}
	opened, err := subjectCounts(ctx, t.js, bus.StreamRequests, bus.RequestEvent("*", "opened"))
	if err != nil {
		return s, err
	}
	for _, n := range opened {
		s.Requests += int(n)
	}
	s.done, s.results = done, done+s.Failed
	if !byKind {
		return s, nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.readResults(ctx, s.results); err != nil {
		return s, err
	}
	maps.Copy(s.Actions, t.actions)
	maps.Copy(s.Executed, t.executed)
	return s, nil
}

// readResults reads the action results not yet counted by kind, until want have been.
func (t *Tally) readResults(ctx context.Context, want int) error {
	if t.results == nil {
		cons, err := t.js.OrderedConsumer(ctx, bus.StreamDecisions, jetstream.OrderedConsumerConfig{
			FilterSubjects: []string{bus.ActionCompleted("*"), bus.ActionFailed("*")},
		})
		if err != nil {
			return fmt.Errorf("read action results: %w", err)
		}
		t.results = cons
	}
	for t.read < want {
		batch, err := t.results.Fetch(min(want-t.read, 1000), jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			return fmt.Errorf("read action results: %w", err)
		}
		got := 0
		for m := range batch.Messages() {
			got++
			var r actionv1.ActionResult
			if proto.Unmarshal(m.Data(), &r) != nil {
				continue // counted in the totals; a result that does not decode has no kind
			}
			t.actions[comments.KindName(r.GetAction().GetKind())]++
			if _, _, event, _ := bus.ParseSubject(m.Subject()); event != bus.EventFailed {
				t.executed[comments.KindName(r.GetPerformed())]++
			}
		}
		if got == 0 {
			return fmt.Errorf("read action results: %d of %d arrived (%v)", t.read, want, batch.Error())
		}
		t.read += got
	}
	return nil
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
	return info.State.Msgs == 0 && uint64(s.results) >= info.State.LastSeq, nil
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
