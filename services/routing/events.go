package routing

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"

	routingv1 "github.com/piazza-pa/piazza/proto/gen/piazza/routing/v1"
)

// Apply returns the request after ev: the one place where a request's state changes. The
// stored request is always Apply folded over its history (see Rebuild), so the history is the
// source of truth and the stored request a cache of it. r is not modified; it is nil only for
// an OPENED event, which carries the opening request.
func Apply(r *routingv1.Request, ev *routingv1.RequestEvent) (*routingv1.Request, error) {
	if ev.GetType() == routingv1.EventType_EVENT_TYPE_OPENED {
		if r != nil {
			return nil, fmt.Errorf("event %s: request %s is already open", ev.GetEventId(), r.GetRequestId())
		}
		if ev.GetRequest() == nil {
			return nil, fmt.Errorf("event %s: an opening event carries the request", ev.GetEventId())
		}
		out := proto.Clone(ev.GetRequest()).(*routingv1.Request)
		setDeadlines(out, ev.GetDeadlines())
		out.Version = 1
		return out, nil
	}
	if r == nil {
		return nil, fmt.Errorf("event %s: %s before the request was opened", ev.GetEventId(), ev.GetType())
	}
	if want := r.GetVersion() + 1; ev.GetSequence() != want {
		return nil, fmt.Errorf("event %s: sequence %d, want %d", ev.GetEventId(), ev.GetSequence(), want)
	}
	out := proto.Clone(r).(*routingv1.Request)
	out.Version = ev.GetSequence()
	at := ev.GetAt()
	switch ev.GetType() {
	case routingv1.EventType_EVENT_TYPE_NOTIFIED:
		out.OfficeNotified = true
	case routingv1.EventType_EVENT_TYPE_WARNED:
		if ev.GetStep() == stepAck {
			out.AckReminded = true
		} else {
			out.Warned = true
		}
	case routingv1.EventType_EVENT_TYPE_ACKNOWLEDGED:
		out.State = routingv1.State_STATE_ASSIGNED
		if out.AcknowledgedAt == nil {
			out.AcknowledgedAt = at
		}
	case routingv1.EventType_EVENT_TYPE_ESCALATED:
		out.EscalationLevel = ev.GetEscalationLevel()
		out.LastEscalatedAt = at
	case routingv1.EventType_EVENT_TYPE_ANSWERED:
		out.State = routingv1.State_STATE_ANSWERED
		if out.FirstResponseAt == nil {
			out.FirstResponseAt = at
		}
		// An answer given while waiting for the citizen ends the pause.
		out.PausedAt, out.ResumeState = nil, routingv1.State_STATE_UNSPECIFIED
	case routingv1.EventType_EVENT_TYPE_RESOLUTION_OVERDUE:
		out.ResolutionReminded = true
	case routingv1.EventType_EVENT_TYPE_REASSIGNED:
		if ev.GetOffice() == "" {
			return nil, fmt.Errorf("event %s: reassigned to no office", ev.GetEventId())
		}
		out.Office = ev.GetOffice()
		// The new office has to hear about the request and gets its own ladder.
		out.OfficeNotified, out.Warned, out.AckReminded = false, false, false
		out.EscalationLevel, out.LastEscalatedAt = 0, nil
		setDeadlines(out, ev.GetDeadlines())
	case routingv1.EventType_EVENT_TYPE_WAITING:
		out.ResumeState = out.GetState()
		out.State = routingv1.State_STATE_WAITING
		out.PausedAt = at
	case routingv1.EventType_EVENT_TYPE_RESUMED:
		out.State = out.GetResumeState()
		out.ResumeState = routingv1.State_STATE_UNSPECIFIED
		out.PausedAt = nil
		setDeadlines(out, ev.GetDeadlines())
	case routingv1.EventType_EVENT_TYPE_CLOSED:
		out.State = routingv1.State_STATE_CLOSED
		out.ResolvedAt = at
		out.PausedAt, out.ResumeState = nil, routingv1.State_STATE_UNSPECIFIED
	case routingv1.EventType_EVENT_TYPE_REOPENED:
		out.State = routingv1.State_STATE_REOPENED
		out.ResolvedAt = nil
		out.OfficeNotified, out.Warned, out.AckReminded, out.ResolutionReminded = false, false, false, false
		out.EscalationLevel, out.LastEscalatedAt = 0, nil
		setDeadlines(out, ev.GetDeadlines())
	default:
		return nil, fmt.Errorf("event %s: type %s does not apply to a stored request", ev.GetEventId(), ev.GetType())
	}
	return out, nil
}

// setDeadlines copies the deadlines an event carries, when it carries them.
func setDeadlines(r *routingv1.Request, d *routingv1.Deadlines) {
	if d == nil {
		return
	}
	r.AckDue, r.FirstAnswerDue, r.ResolutionDue, r.WarnDue = d.GetAckDue(), d.GetFirstAnswerDue(), d.GetResolutionDue(), d.GetWarnDue()
}

// deadlinesOf returns the deadlines of r as an event carries them.
func deadlinesOf(r *routingv1.Request) *routingv1.Deadlines {
	return &routingv1.Deadlines{AckDue: r.GetAckDue(), FirstAnswerDue: r.GetFirstAnswerDue(), ResolutionDue: r.GetResolutionDue(), WarnDue: r.GetWarnDue()}
}

// Rebuild derives a request from its history, oldest event first.
func Rebuild(history []*routingv1.RequestEvent) (*routingv1.Request, error) {
	if len(history) == 0 {
		return nil, errors.New("rebuild: empty history")
	}
	var r *routingv1.Request
	for _, ev := range history {
		var err error
		if r, err = Apply(r, ev); err != nil {
			return nil, fmt.Errorf("rebuild: %w", err)
		}
	}
	return r, nil
}

// isOpen reports whether the office still owes the citizen something on r.
func isOpen(s routingv1.State) bool {
	switch s {
	case routingv1.State_STATE_CLOSED, routingv1.State_STATE_REDIRECTED, routingv1.State_STATE_REJECTED:
		return false
	}
	return true
}
