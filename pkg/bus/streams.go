package bus

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Stream names.
const (
	StreamComments   = "COMMENTS"
	StreamDecisions  = "DECISIONS"
	StreamActions    = "ACTIONS"
	StreamRequests   = "REQUESTS"
	StreamDeadLetter = "DEADLETTER"
)

// Retention says how long each stream keeps messages and how many replicas it has. A deployment
// sets it from its own data-retention rules (e.g. comments 30 days, the audit log 400 days).
type Retention struct {
	// Comments is how long received comments are kept.
	Comments time.Duration
	// Decisions is how long the audit log (decisions and action results) is kept.
	Decisions time.Duration
	// Actions is how long a requested action may wait for the enforcer.
	Actions time.Duration
	// Requests is how long routing events are kept.
	Requests time.Duration
	// DeadLetters is how long dead letters wait for an operator.
	DeadLetters time.Duration
	// Replicas is the number of copies of each stream: 1 on one machine, 3 on a cluster.
	Replicas int
	// Duplicates is the window in which a repeated message id is dropped.
	Duplicates time.Duration
}

// DefaultRetention is what `piazza up` uses.
func DefaultRetention() Retention {
	return Retention{
		Comments:    30 * 24 * time.Hour,
		Decisions:   400 * 24 * time.Hour,
		Actions:     7 * 24 * time.Hour,
		Requests:    400 * 24 * time.Hour,
		DeadLetters: 90 * 24 * time.Hour,
		Replicas:    1,
		Duplicates:  10 * time.Minute,
	}
}

// StreamConfigs returns the configuration of every Piazza stream.
func StreamConfigs(r Retention) []jetstream.StreamConfig {
	if r.Replicas < 1 {
		r.Replicas = 1
	}
	base := func(name, desc string, subjects []string, maxAge time.Duration) jetstream.StreamConfig {
		return jetstream.StreamConfig{
			Name:        name,
			Description: desc,
			Subjects:    subjects,
			Storage:     jetstream.FileStorage,
			Retention:   jetstream.LimitsPolicy,
			MaxAge:      maxAge,
			Replicas:    r.Replicas,
			Duplicates:  r.Duplicates,
			Discard:     jetstream.DiscardOld,
		}
	}
	comments := base(StreamComments, "Comments received from the platforms", []string{Subject("*", EntityComment, ">")}, r.Comments)
	decisions := base(StreamDecisions, "The audit log: decisions and what was really done on the platforms",
		[]string{Subject("*", EntityDecision, ">"), ActionCompleted("*"), ActionFailed("*"), Subject("*", "user", ">")}, r.Decisions)
	actions := base(StreamActions, "Actions waiting for the enforcer", []string{ActionRequested("*")}, r.Actions)
	actions.Retention = jetstream.WorkQueuePolicy
	requests := base(StreamRequests, "Citizen request events", []string{Subject("*", EntityRequest, ">")}, r.Requests)
	dead := base(StreamDeadLetter, "Messages that can never be processed, with the reason in a header",
		[]string{Subject("*", EntityDeadLetter, ">")}, r.DeadLetters)
	return []jetstream.StreamConfig{comments, decisions, actions, requests, dead}
}

// EnsureStreams creates the streams, or updates them to the given retention.
func EnsureStreams(ctx context.Context, js jetstream.JetStream, r Retention) error {
	for _, cfg := range StreamConfigs(r) {
		if _, err := js.CreateOrUpdateStream(ctx, cfg); err != nil {
			return fmt.Errorf("ensure stream %s: %w", cfg.Name, err)
		}
	}
	return nil
}

// RetentionFromEnv reads a deployment's retention over the defaults:
// PIAZZA_RETENTION_COMMENTS, _DECISIONS, _ACTIONS, _REQUESTS, _DEADLETTERS (durations such as
// "30d", "400d", "12h"), PIAZZA_STREAM_REPLICAS and PIAZZA_DUPLICATE_WINDOW.
func RetentionFromEnv(getenv func(string) string) (Retention, error) {
	r := DefaultRetention()
	for _, f := range []struct {
		name string
		dst  *time.Duration
	}{
		{"PIAZZA_RETENTION_COMMENTS", &r.Comments},
		{"PIAZZA_RETENTION_DECISIONS", &r.Decisions},
		{"PIAZZA_RETENTION_ACTIONS", &r.Actions},
		{"PIAZZA_RETENTION_REQUESTS", &r.Requests},
		{"PIAZZA_RETENTION_DEADLETTERS", &r.DeadLetters},
		{"PIAZZA_DUPLICATE_WINDOW", &r.Duplicates},
	} {
		v := getenv(f.name)
		if v == "" {
			continue
		}
		d, err := ParseDays(v)
		if err != nil || d <= 0 {
			return Retention{}, fmt.Errorf("%s=%q: want a positive duration such as 30d or 12h", f.name, v)
		}
		*f.dst = d
	}
	if v := getenv("PIAZZA_STREAM_REPLICAS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 5 {
			return Retention{}, fmt.Errorf("PIAZZA_STREAM_REPLICAS=%q: want 1 to 5", v)
		}
		r.Replicas = n
	}
	return r, nil
}

// ParseDays parses a Go duration that may also count days ("30d", "1d12h").
func ParseDays(s string) (time.Duration, error) {
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil {
			return 0, fmt.Errorf("parse %q: %w", s, err)
		}
		days = time.Duration(n) * 24 * time.Hour
		s = s[i+1:]
		if s == "" {
			return days, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, err
	}
	return days + d, nil
}
