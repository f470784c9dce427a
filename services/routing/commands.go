package routing

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/piazza-pa/piazza/pkg/policy"
	routingv1 "github.com/piazza-pa/piazza/proto/gen/piazza/routing/v1"
)

// Domain errors of the office commands; grpc.go maps them to codes in one place.
var (
	// ErrWrongOffice means the caller's office scope does not own the request.
	ErrWrongOffice = errors.New("the request belongs to another office")
	// ErrState means the command does not apply in the request's current state.
	ErrState = errors.New("not allowed in the request's state")
	// ErrUnknownOffice means a reassignment names an office the tenant does not have.
	ErrUnknownOffice = errors.New("unknown office")
	// ErrUnknownTenant means the tenant has no policy.
	ErrUnknownTenant = errors.New("unknown tenant")
)

// errNothingToDo ends a mutation that found nothing to change.
var errNothingToDo = errors.New("nothing to do")

// mutate reads a request, lets change compute the one event that changes it, applies and
// stores it with a compare-and-set on the history, and publishes the event. It retries when
// another writer (an office user, the scheduler on another replica) got there first.
func (s *Service) mutate(ctx context.Context, tenant, id string, change func(*routingv1.Request) (*routingv1.RequestEvent, error)) (*routingv1.Request, error) {
	t, ok := s.cfg.Policies.Tenant(tenant)
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownTenant, tenant)
	}
	st := s.store()
	for attempt := 0; attempt < 8; attempt++ {
		r, err := st.get(ctx, tenant, id)
		if err != nil {
			return nil, err
		}
		ev, err := change(r)
		if err != nil {
			return nil, err
		}
		now := s.cfg.Now()
		ev.RequestId, ev.Tenant, ev.Sequence = id, tenant, r.GetVersion()+1
		if ev.At == nil {
			ev.At = timestamppb.New(now)
		}
		if ev.Office == "" {
			ev.Office = r.GetOffice()
		}
		ev.EventId = fmt.Sprintf("%s:%d:%s", id, ev.GetSequence(), eventName(ev.GetType()))
		next, err := Apply(r, ev)
		if err != nil {
			return nil, err
		}
		err = st.commit(ctx, r, next, ev, s.nextCheck(t, next, now))
		if errors.Is(err, errConflict) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if err := s.publishEvent(ctx, next, ev); err != nil {
			// The change is durable in Redis, whose history is the truth; failing the call now
			// would make the office retry a change that is already made. The stream copy is
			// for observers.
			s.cfg.Logger.Warn("publish request event", "event", ev.GetEventId(), "err", err)
		}
		return next, nil
	}
	return nil, fmt.Errorf("request %s: %w", id, errConflict)
}

// scope checks the caller's office scope against the request.
func scope(r *routingv1.Request, office string) error {
	if office != "" && r.GetOffice() != office {
		return ErrWrongOffice
	}
	return nil
}

func actorOr(actor, office string) string {
	if actor != "" {
		return actor
	}
	return "office:" + office
}

// resumeEvent restarts a paused clock: the deadlines move later by the office time spent
// waiting.
func (s *Service) resumeEvent(t *policy.Tenant, r *routingv1.Request, actor, note string) *routingv1.RequestEvent {
	cal := s.calendar(t, s.officeOf(t, r))
	paused := cal.WorkingDuration(r.GetPausedAt().AsTime(), s.cfg.Now())
	return &routingv1.RequestEvent{
		Type: routingv1.EventType_EVENT_TYPE_RESUMED, Actor: actor, Note: note,
		Deadlines: shiftDeadlines(cal, deadlinesOf(r), paused),
	}
}

// Acknowledge records that the office took the request in hand; on a paused request it also
// restarts the clock.
func (s *Service) Acknowledge(ctx context.Context, tenant, id, office, actor string) (*routingv1.Request, error) {
	t, ok := s.cfg.Policies.Tenant(tenant)
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownTenant, tenant)
	}
	return s.mutate(ctx, tenant, id, func(r *routingv1.Request) (*routingv1.RequestEvent, error) {
		if err := scope(r, office); err != nil {
			return nil, err
		}
		switch r.GetState() {
		case routingv1.State_STATE_WAITING:
			return s.resumeEvent(t, r, actorOr(actor, r.GetOffice()), "l'ufficio ha ripreso la richiesta: riparte il conteggio dei termini"), nil
		case routingv1.State_STATE_ACKNOWLEDGED, routingv1.State_STATE_REOPENED, routingv1.State_STATE_RECEIVED:
			return &routingv1.RequestEvent{Type: routingv1.EventType_EVENT_TYPE_ACKNOWLEDGED, Actor: actorOr(actor, r.GetOffice()), Note: "presa in carico dall'ufficio"}, nil
		}
		return nil, fmt.Errorf("acknowledge a request in state %s: %w", r.GetState(), ErrState)
	})
}

// Reassign moves the request to another office, which is notified and gets its own ladder.
func (s *Service) Reassign(ctx context.Context, tenant, id, office, actor, to, note string) (*routingv1.Request, error) {
	t, ok := s.cfg.Policies.Tenant(tenant)
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownTenant, tenant)
	}
	dest := t.Offices[to]
	if dest == nil {
		return nil, fmt.Errorf("%w %q", ErrUnknownOffice, to)
	}
	return s.mutate(ctx, tenant, id, func(r *routingv1.Request) (*routingv1.RequestEvent, error) {
		if err := scope(r, office); err != nil {
			return nil, err
		}
		if !isOpen(r.GetState()) || r.GetState() == routingv1.State_STATE_WAITING || r.GetOffice() == to {
			return nil, fmt.Errorf("reassign a request in state %s to %s: %w", r.GetState(), to, ErrState)
		}
		if note == "" {
			note = "riassegnata a " + dest.Name
		}
		// The new office's targets run from now, on its own calendar.
		d := Deadlines(s.calendar(t, dest), s.cfg.Now(), s.cfg.SLAOverrides.SLAFor(t, r.GetTopic(), to))
		return &routingv1.RequestEvent{Type: routingv1.EventType_EVENT_TYPE_REASSIGNED, Office: to, Actor: actorOr(actor, r.GetOffice()), Note: note, Deadlines: d}, nil
	})
}

// WaitForCitizen pauses the clock and asks the citizen the office's question where they
// wrote.
func (s *Service) WaitForCitizen(ctx context.Context, tenant, id, office, actor, question string) (*routingv1.Request, error) {
	t, ok := s.cfg.Policies.Tenant(tenant)
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownTenant, tenant)
	}
	next, err := s.mutate(ctx, tenant, id, func(r *routingv1.Request) (*routingv1.RequestEvent, error) {
		if err := scope(r, office); err != nil {
			return nil, err
		}
		switch r.GetState() {
		case routingv1.State_STATE_ACKNOWLEDGED, routingv1.State_STATE_ASSIGNED, routingv1.State_STATE_REOPENED:
			return &routingv1.RequestEvent{Type: routingv1.EventType_EVENT_TYPE_WAITING, Actor: actorOr(actor, r.GetOffice()), Note: "in attesa di informazioni dal cittadino"}, nil
		}
		return nil, fmt.Errorf("wait on a request in state %s: %w", r.GetState(), ErrState)
	})
	if err != nil {
		return nil, err
	}
	// The policies have no template for a question to the citizen, so the sentence is routing's;
	// it names the office and its head as every reply to a request does.
	o := s.officeOf(t, next)
	text := fmt.Sprintf("Gentile utente, per rispondere alla sua richiesta %s (responsabile: %s) ha bisogno di alcune informazioni: %s Può risponderci qui.",
		o.Name, o.Head, strings.TrimSpace(question))
	if err := s.reply(ctx, next, fmt.Sprintf("%s:%d:question", id, next.GetVersion()), text); err != nil {
		return nil, err
	}
	return next, nil
}

// Answer records the office's answer and sends it to the citizen, naming the office and its
// head. An answer on a paused request also ends the pause.
func (s *Service) Answer(ctx context.Context, tenant, id, office, actor, answer string) (*routingv1.Request, error) {
	t, ok := s.cfg.Policies.Tenant(tenant)
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownTenant, tenant)
	}
	next, err := s.mutate(ctx, tenant, id, func(r *routingv1.Request) (*routingv1.RequestEvent, error) {
		if err := scope(r, office); err != nil {
			return nil, err
		}
		if !isOpen(r.GetState()) {
			return nil, fmt.Errorf("answer a request in state %s: %w", r.GetState(), ErrState)
		}
		if t.Offices[r.GetOffice()] == nil {
			return nil, fmt.Errorf("the request's office %q is not in the tenant's policy: %w", r.GetOffice(), ErrState)
		}
		return &routingv1.RequestEvent{Type: routingv1.EventType_EVENT_TYPE_ANSWERED, Actor: actorOr(actor, r.GetOffice()), Note: "risposta inviata al cittadino"}, nil
	})
	if err != nil {
		return nil, err
	}
	o := t.Offices[next.GetOffice()]
	text, err := t.Render("answer", map[string]string{"office": o.Name, "head": o.Head, "answer": answer, "request_id": id})
	if err != nil {
		return nil, fmt.Errorf("render answer: %w", err)
	}
	if err := s.reply(ctx, next, fmt.Sprintf("%s:%d:answer", id, next.GetVersion()), text); err != nil {
		return nil, err
	}
	return next, nil
}

// Close resolves the request.
func (s *Service) Close(ctx context.Context, tenant, id, office, actor, note string) (*routingv1.Request, error) {
	return s.mutate(ctx, tenant, id, func(r *routingv1.Request) (*routingv1.RequestEvent, error) {
		if err := scope(r, office); err != nil {
			return nil, err
		}
		if !isOpen(r.GetState()) {
			return nil, fmt.Errorf("close a request in state %s: %w", r.GetState(), ErrState)
		}
		if note == "" {
			note = "richiesta chiusa"
		}
		return &routingv1.RequestEvent{Type: routingv1.EventType_EVENT_TYPE_CLOSED, Actor: actorOr(actor, r.GetOffice()), Note: note}, nil
	})
}

// Reopen reopens an answered or closed request with fresh deadlines from now.
func (s *Service) Reopen(ctx context.Context, tenant, id, office, actor, note string) (*routingv1.Request, error) {
	t, ok := s.cfg.Policies.Tenant(tenant)
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownTenant, tenant)
	}
	return s.mutate(ctx, tenant, id, func(r *routingv1.Request) (*routingv1.RequestEvent, error) {
		if err := scope(r, office); err != nil {
			return nil, err
		}
		if r.GetState() != routingv1.State_STATE_CLOSED && r.GetState() != routingv1.State_STATE_ANSWERED {
			return nil, fmt.Errorf("reopen a request in state %s: %w", r.GetState(), ErrState)
		}
		if note == "" {
			note = "richiesta riaperta"
		}
		o := s.officeOf(t, r)
		d := Deadlines(s.calendar(t, o), s.cfg.Now(), s.cfg.SLAOverrides.SLAFor(t, r.GetTopic(), o.Code))
		return &routingv1.RequestEvent{Type: routingv1.EventType_EVENT_TYPE_REOPENED, Actor: actorOr(actor, r.GetOffice()), Note: note, Deadlines: d}, nil
	})
}
