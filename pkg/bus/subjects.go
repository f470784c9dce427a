// Package bus is Piazza's use of NATS JetStream: the subjects and streams, publishing with a
// deduplicating message id and the trace context in the headers, and consumers that acknowledge
// after the effect is durable, retry transient failures with a delay, and send poison messages to
// the dead-letter stream with the reason in a header.
package bus

import (
	"regexp"
	"strings"
)

// Root is the first token of every Piazza subject.
const Root = "piazza"

// Entities and events of the subjects piazza.<tenant>.<entity>.<event>.
const (
	EntityComment    = "comment"
	EntityDecision   = "decision"
	EntityAction     = "action"
	EntityRequest    = "request"
	EntityDeadLetter = "deadletter"

	EventReceived  = "received"
	EventMade      = "made"
	EventSettled   = "settled"
	EventRequested = "requested"
	EventCompleted = "completed"
	EventFailed    = "failed"
)

var tenantPattern = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`)

// ValidTenant reports whether code can stand as the tenant token of a subject.
func ValidTenant(code string) bool { return tenantPattern.MatchString(code) }

// Subject builds piazza.<tenant>.<entity>.<event>.
func Subject(tenant, entity, event string) string {
	return Root + "." + tenant + "." + entity + "." + event
}

// CommentReceived is the subject a tenant's new comments are published on.
func CommentReceived(tenant string) string { return Subject(tenant, EntityComment, EventReceived) }

// DecisionMade is the subject of a tenant's decisions that routing has something to do with: a
// citizen's request, an emergency, or a reply in a thread (it may answer a request waiting for
// the citizen). Routing consumes only these.
func DecisionMade(tenant string) string { return Subject(tenant, EntityDecision, EventMade) }

// DecisionSettled is the subject of a tenant's other decisions: moderation alone, nothing to
// route. They are the same Decision message, in the same audit stream; only routing skips them,
// so that NATS neither delivers nor routing decodes the three decisions in four it would
// discard.
func DecisionSettled(tenant string) string { return Subject(tenant, EntityDecision, EventSettled) }

// DecisionSubjects are the subjects of every decision of a tenant ("*": of every tenant), for
// those that follow them all.
func DecisionSubjects(tenant string) []string {
	return []string{DecisionMade(tenant), DecisionSettled(tenant)}
}

// ActionRequested is the subject the enforcer takes a tenant's actions from.
func ActionRequested(tenant string) string { return Subject(tenant, EntityAction, EventRequested) }

// ActionCompleted is the subject of actions done on the platform.
func ActionCompleted(tenant string) string { return Subject(tenant, EntityAction, EventCompleted) }

// ActionFailed is the subject of actions that could not be done.
func ActionFailed(tenant string) string { return Subject(tenant, EntityAction, EventFailed) }

// RequestEvent is the subject of one kind of event of a tenant's citizen requests.
func RequestEvent(tenant, event string) string { return Subject(tenant, EntityRequest, event) }

// ParseSubject splits piazza.<tenant>.<entity>.<event...>; ok is false for any other shape.
func ParseSubject(subject string) (tenant, entity, event string, ok bool) {
	parts := strings.SplitN(subject, ".", 4)
	if len(parts) != 4 || parts[0] != Root || parts[1] == "" || parts[2] == "" || parts[3] == "" {
		return "", "", "", false
	}
	return parts[1], parts[2], parts[3], true
}

// deadLetterSubject maps an original subject to the subject its dead letter is kept on:
// piazza.<tenant>.deadletter.<entity>.<event>. A subject of another shape goes under the
// tenant "unknown".
func deadLetterSubject(original string) string {
	tenant, entity, event, ok := ParseSubject(original)
	if !ok || !ValidTenant(tenant) {
		return Subject("unknown", EntityDeadLetter, "raw")
	}
	return Subject(tenant, EntityDeadLetter, entity+"."+event)
}
