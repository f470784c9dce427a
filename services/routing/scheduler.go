package routing

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/piazza-pa/piazza/pkg/calendar"
	"github.com/piazza-pa/piazza/pkg/policy"
	routingv1 "github.com/piazza-pa/piazza/proto/gen/piazza/routing/v1"
)

// Escalation steps, as the tenants' files name them (routing.escalation), and the warning
// kinds.
const (
	StepRemindOffice      = "remind_office"
	StepOfficeHead        = "office_head"
	StepURP               = "urp"
	StepPotereSostitutivo = "potere_sostitutivo"
	StepTellCitizen       = "tell_citizen"
	stepAck               = "ack"
	stepFirstAnswer       = "first_answer"
)

type milestoneKind int

const (
	mNotify milestoneKind = iota + 1
	mAck
	mWarn
	mEscalate
	mResolution
)

// milestone is the next thing the scheduler owes a request, and when.
type milestone struct {
	kind  milestoneKind
	step  string // the escalation step, for mEscalate
	level int32  // the step's 1-based level, for mEscalate
	at    time.Time
	cal   *calendar.Calendar // the recipient's calendar: notifications go out in its hours
}

// nextMilestone returns the earliest milestone still due on r, and false when the scheduler
// owes it nothing (closed, redirected, or waiting for the citizen).
func (s *Service) nextMilestone(t *policy.Tenant, r *routingv1.Request, now time.Time) (milestone, bool) {
	if !isOpen(r.GetState()) || r.GetState() == routingv1.State_STATE_WAITING {
		return milestone{}, false
	}
	office := s.officeOf(t, r)
	officeCal := s.calendar(t, office)
	if !r.GetOfficeNotified() {
		return milestone{kind: mNotify, at: r.GetReceivedAt().AsTime(), cal: officeCal}, true
	}
	first := r.GetFirstAnswerDue().AsTime()
	var best milestone
	consider := func(m milestone) {
		if best.kind == 0 || m.at.Before(best.at) {
			best = m
		}
	}
	answered := r.GetState() == routingv1.State_STATE_ANSWERED
	if !answered && now.Before(first) {
		if r.GetAcknowledgedAt() == nil && !r.GetAckReminded() && r.GetAckDue() != nil {
			consider(milestone{kind: mAck, at: r.GetAckDue().AsTime(), cal: officeCal})
		}
		if !r.GetWarned() && r.GetWarnDue() != nil {
			consider(milestone{kind: mWarn, at: r.GetWarnDue().AsTime(), cal: officeCal})
		}
	}
	steps := t.Routing.Escalation
	if level := int(r.GetEscalationLevel()); !answered && level < len(steps) {
		at := first
		if level > 0 && r.GetLastEscalatedAt() != nil {
			at = Due(officeCal, r.GetLastEscalatedAt().AsTime(), s.cfg.EscalationEvery)
		}
		consider(milestone{kind: mEscalate, step: steps[level], level: int32(level + 1), at: at, cal: s.stepCalendar(t, office, steps[level])})
	}
	if !r.GetResolutionReminded() && r.GetResolutionDue() != nil {
		consider(milestone{kind: mResolution, at: r.GetResolutionDue().AsTime(), cal: officeCal})
	}
	return best, best.kind != 0
}

// officeOf returns the request's office, or the tenant's fallback when a policy reload removed
// it.
func (s *Service) officeOf(t *policy.Tenant, r *routingv1.Request) *policy.Office {
	if o := t.Offices[r.GetOffice()]; o != nil {
		return o
	}
	return t.Offices[t.Routing.Fallback]
}

// urpOf returns the tenant's URP: the office coded "urp", else the fallback office.
func urpOf(t *policy.Tenant) *policy.Office {
	if o := t.Offices["urp"]; o != nil {
		return o
	}
	return t.Offices[t.Routing.Fallback]
}

// stepCalendar is the calendar of whoever a step addresses: the office for its own reminders,
// the URP for the URP, the titolare del potere sostitutivo and the message to the citizen.
func (s *Service) stepCalendar(t *policy.Tenant, office *policy.Office, step string) *calendar.Calendar {
	switch step {
	case StepURP, StepPotereSostitutivo, StepTellCitizen:
		return s.calendar(t, urpOf(t))
	}
	return s.calendar(t, office)
}

// nextCheck is when the scheduler should look at r again; zero takes it off the schedule.
func (s *Service) nextCheck(t *policy.Tenant, r *routingv1.Request, now time.Time) time.Time {
	m, ok := s.nextMilestone(t, r, now)
	if !ok {
		return time.Time{}
	}
	return m.at
}

// TickStats says what one scheduler tick did.
type TickStats struct {
	// Due is how many requests were due; Fired how many events fired; Deferred how many were
	// moved to their recipient's next opening hour; Busy how many another replica held.
	Due, Fired, Deferred, Busy int
}

// tickBatch bounds the requests one tick takes per tenant; the rest wait for the next tick.
// tickWorkers is how many requests one replica works on at once.
const (
	tickBatch   = 1000
	tickWorkers = 8
)

// Tick does everything due now: it notifies offices of new requests, warns, escalates, and
// reminds, each in the recipient's office hours, each once. Several replicas may tick at the
// same time: a lease per request keeps them apart, and every change is a compare-and-set on
// the request's history, so a step fires once even when a lease expires mid-way.
func (s *Service) Tick(ctx context.Context) (TickStats, error) {
	ctx, span := s.tracer.Start(ctx, "routing.tick")
	defer span.End()
	var stats TickStats
	now := s.cfg.Now()
	st := s.store()
	tenants, err := st.tenants(ctx)
	if err != nil {
		return stats, err
	}
	var errs []error
	for _, code := range tenants {
		t, ok := s.cfg.Policies.Tenant(code)
		if !ok {
			continue
		}
		ids, err := st.due(ctx, code, now, tickBatch)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		stats.Due += len(ids)
		// Requests are independent (each under its own lease), so a few are worked on at once:
		// the time of a tick is mostly round trips to Redis, NATS and the mail server.
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			work = make(chan string)
		)
		for range min(tickWorkers, len(ids)) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for id := range work {
					var one TickStats
					err := s.process(ctx, t, id, now, &one)
					mu.Lock()
					stats.Fired, stats.Deferred, stats.Busy = stats.Fired+one.Fired, stats.Deferred+one.Deferred, stats.Busy+one.Busy
					if err != nil {
						// One request's trouble (an SMTP server down) must not stop the others;
						// it is retried at the next tick.
						errs = append(errs, fmt.Errorf("request %s/%s: %w", code, id, err))
					}
					mu.Unlock()
				}
			}()
		}
		for _, id := range ids {
			work <- id
		}
		close(work)
		wg.Wait()
	}
	span.SetAttributes(attribute.Int("piazza.due", stats.Due), attribute.Int("piazza.fired", stats.Fired))
	return stats, errors.Join(errs...)
}

// Run ticks every interval until ctx ends, logging failed ticks.
func (s *Service) Run(ctx context.Context, every time.Duration) {
	tk := time.NewTicker(every)
	defer tk.Stop()
	for {
		if _, err := s.Tick(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Logger.Warn("routing tick", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
		}
	}
}

func (s *Service) process(ctx context.Context, t *policy.Tenant, id string, now time.Time, stats *TickStats) error {
	st := s.store()
	l, ok, err := st.acquire(ctx, t.Code, id, s.cfg.LeaseTTL)
	if err != nil {
		return err
	}
	if !ok {
		stats.Busy++
		return nil
	}
	defer func() { _ = l.release(context.WithoutCancel(ctx)) }()
	r, err := st.get(ctx, t.Code, id)
	if errors.Is(err, ErrNotFound) {
		return st.reschedule(ctx, t.Code, id, time.Time{})
	}
	if err != nil {
		return err
	}
	m, ok := s.nextMilestone(t, r, now)
	switch {
	case !ok:
		return st.reschedule(ctx, t.Code, id, time.Time{})
	case m.at.After(now):
		return st.reschedule(ctx, t.Code, id, m.at)
	case !m.cal.InOfficeHours(now):
		stats.Deferred++
		return st.reschedule(ctx, t.Code, id, m.cal.NextOfficeOpen(now))
	}
	fired, err := s.fire(ctx, t, r, m, now)
	if fired {
		stats.Fired++
	}
	return err
}

// fire carries out one milestone: delivers its notification (or the message to the citizen),
// then records its event with a compare-and-set on the history. If the process dies between
// the two, the next attempt delivers again under the same notification id, which the
// per-channel delivery markers (and the receivers, by Message-ID or delivery id) recognise.
func (s *Service) fire(ctx context.Context, t *policy.Tenant, r *routingv1.Request, m milestone, now time.Time) (bool, error) {
	ctx, span := s.tracer.Start(ctx, "routing.fire", trace.WithAttributes(
		attribute.String("piazza.tenant", t.Code), attribute.String("piazza.request", r.GetRequestId()), attribute.String("piazza.step", m.step)))
	defer span.End()
	office := s.officeOf(t, r)
	seq := r.GetVersion() + 1
	ev := &routingv1.RequestEvent{
		RequestId: r.GetRequestId(), Tenant: t.Code, At: timestamppb.New(now), Office: office.Code,
		Actor: "system", Sequence: seq,
	}
	n := Notification{Tenant: t.Code, RequestID: r.GetRequestId(), Office: office.Code}
	deadline := func(ts *timestamppb.Timestamp) string {
		return ts.AsTime().In(t.Location).Format("02/01/2006 15:04")
	}
	var to []string
	var citizenText string
	switch m.kind {
	case mNotify:
		ev.Type, ev.Note = routingv1.EventType_EVENT_TYPE_NOTIFIED, "ufficio avvisato della richiesta"
		to = []string{office.Email}
		n.Due = r.GetFirstAnswerDue().AsTime()
		n.Subject = fmt.Sprintf("[%s] Nuova richiesta %s (%s)", t.Name, r.GetRequestId(), r.GetTopic())
		n.Body = fmt.Sprintf("Alla c.a. di %s, %s.\n\nUna richiesta di un cittadino è stata assegnata al vostro ufficio.\n\n%s\n\nPresa in carico entro: %s\nPrima risposta entro: %s\nChiusura entro: %s\n",
			office.Head, office.Name, requestSummary(r), deadline(r.GetAckDue()), deadline(r.GetFirstAnswerDue()), deadline(r.GetResolutionDue()))
	case mAck:
		ev.Type, ev.Step, ev.Note = routingv1.EventType_EVENT_TYPE_WARNED, stepAck, "ufficio sollecitato: presa in carico in ritardo"
		to = []string{office.Email}
		n.Step, n.Due = stepAck, r.GetAckDue().AsTime()
		n.Subject = fmt.Sprintf("[%s] Richiesta %s non ancora presa in carico", t.Name, r.GetRequestId())
		n.Body = fmt.Sprintf("Alla c.a. di %s, %s.\n\nLa richiesta doveva essere presa in carico entro %s.\n\n%s\n", office.Head, office.Name, deadline(r.GetAckDue()), requestSummary(r))
	case mWarn:
		ev.Type, ev.Step, ev.Note = routingv1.EventType_EVENT_TYPE_WARNED, stepFirstAnswer, "ufficio avvisato: termine di prima risposta vicino; risposta interlocutoria al cittadino"
		to = []string{office.Email}
		// The citizen gets the tenant's interim reply: the request is not forgotten (Monza 3.G).
		text, err := t.Render("interim", map[string]string{"office": office.Name, "head": office.Head, "request_id": r.GetRequestId(),
			"deadline": r.GetFirstAnswerDue().AsTime().In(t.Location).Format("02/01/2006")})
		if err != nil {
			return false, fmt.Errorf("render interim reply: %w", err)
		}
		citizenText = text
		n.Step, n.Due = stepFirstAnswer, r.GetFirstAnswerDue().AsTime()
		n.Subject = fmt.Sprintf("[%s] Richiesta %s: la prima risposta scade il %s", t.Name, r.GetRequestId(), deadline(r.GetFirstAnswerDue()))
		n.Body = fmt.Sprintf("Alla c.a. di %s, %s.\n\nIl termine per la prima risposta si avvicina: %s.\n\n%s\n", office.Head, office.Name, deadline(r.GetFirstAnswerDue()), requestSummary(r))
	case mResolution:
		ev.Type, ev.Note = routingv1.EventType_EVENT_TYPE_RESOLUTION_OVERDUE, "ufficio sollecitato: termine di chiusura superato"
		to = []string{office.Email}
		n.Due = r.GetResolutionDue().AsTime()
		n.Subject = fmt.Sprintf("[%s] Richiesta %s: termine di chiusura superato", t.Name, r.GetRequestId())
		n.Body = fmt.Sprintf("Alla c.a. di %s, %s.\n\nLa richiesta doveva essere chiusa entro %s.\n\n%s\n", office.Head, office.Name, deadline(r.GetResolutionDue()), requestSummary(r))
	case mEscalate:
		ev.Type, ev.Step, ev.EscalationLevel = routingv1.EventType_EVENT_TYPE_ESCALATED, m.step, m.level
		n.Step, n.Due = m.step, r.GetFirstAnswerDue().AsTime()
		late := fmt.Sprintf("La richiesta %s, assegnata a %s (responsabile: %s), non ha ricevuto risposta entro il termine del %s.\n\n%s\n",
			r.GetRequestId(), office.Name, office.Head, deadline(r.GetFirstAnswerDue()), requestSummary(r))
		switch m.step {
		case StepRemindOffice:
			ev.Note, to = "sollecito all'ufficio", []string{office.Email}
			n.Subject = fmt.Sprintf("[%s] Sollecito: richiesta %s senza risposta", t.Name, r.GetRequestId())
			n.Body = fmt.Sprintf("Alla c.a. di %s.\n\n%s", office.Name, late)
		case StepOfficeHead:
			// The policies give the head's name, not a personal address: the reminder goes to the
			// office's mailbox, addressed to the head by name.
			ev.Note, to = "sollecito al responsabile dell'ufficio", []string{office.Email}
			n.Subject = fmt.Sprintf("[%s] Sollecito al responsabile: richiesta %s senza risposta", t.Name, r.GetRequestId())
			n.Body = fmt.Sprintf("Alla c.a. di %s, responsabile di %s.\n\n%s", office.Head, office.Name, late)
		case StepURP:
			urp := urpOf(t)
			ev.Note, to = "segnalato all'URP", []string{urp.Email}
			n.Subject = fmt.Sprintf("[%s] Richiesta %s in ritardo: intervento dell'URP", t.Name, r.GetRequestId())
			n.Body = fmt.Sprintf("Alla c.a. di %s.\n\n%s", urp.Name, late)
		case StepPotereSostitutivo:
			ps := t.Routing.PotereSostitutivo
			ev.Note, to = "segnalato al titolare del potere sostitutivo", []string{ps.Email}
			n.Subject = fmt.Sprintf("[%s] Richiesta %s in ritardo: potere sostitutivo (L. 241/1990, art. 2 c. 9-bis)", t.Name, r.GetRequestId())
			n.Body = fmt.Sprintf("Alla c.a. di %s, titolare del potere sostitutivo.\n\n%s", ps.Name, late)
		case StepTellCitizen:
			ev.Note = "il cittadino è stato informato su chi contattare"
			citizenText = lateText(t, office, r.GetRequestId())
		default:
			return false, fmt.Errorf("unknown escalation step %q", m.step)
		}
	}
	name := eventName(ev.GetType())
	if ev.GetStep() != "" {
		name += "-" + ev.GetStep()
	}
	ev.EventId = fmt.Sprintf("%s:%d:%s", r.GetRequestId(), seq, name)
	n.ID, n.Event, n.To = ev.GetEventId(), eventName(ev.GetType()), nonEmpty(to)
	// Webhooks hear of every milestone, the message to the citizen included; e-mail goes only
	// where there are recipients.
	if err := s.deliver(ctx, n); err != nil {
		return false, err
	}
	if citizenText != "" {
		if err := s.reply(ctx, r, ev.GetEventId(), citizenText); err != nil {
			return false, err
		}
	}
	next, err := Apply(r, ev)
	if err != nil {
		return false, err
	}
	err = s.store().commit(ctx, r, next, ev, s.nextCheck(t, next, now))
	if errors.Is(err, errConflict) {
		return false, nil // another replica recorded this step; it was delivered under the same id
	}
	if err != nil {
		return false, err
	}
	s.fired.Add(ctx, 1, metric.WithAttributes(attribute.String("tenant", t.Code), attribute.String("event", eventName(ev.GetType())), attribute.String("step", ev.GetStep())))
	if err := s.publishEvent(ctx, next, ev); err != nil {
		// The event is durable in Redis; the stream copy is for observers.
		s.cfg.Logger.Warn("publish request event", "event", ev.GetEventId(), "err", err)
	}
	return true, nil
}

// lateText tells the citizen whom to contact when the office is late (Monza 3.G.2): the
// tenant's late template, or a plain Italian sentence for a tenant that has none, so the last
// step of the ladder can always be taken.
func lateText(t *policy.Tenant, office *policy.Office, requestID string) string {
	if text, err := t.Render("late", map[string]string{"office": office.Name, "head": office.Head, "request_id": requestID}); err == nil {
		return text
	}
	return fmt.Sprintf("Gentile utente, ci scusiamo per l'attesa. Per una risposta può rivolgersi direttamente a %s (responsabile: %s), i cui recapiti sono pubblicati sul sito istituzionale del %s.",
		office.Name, office.Head, t.Name)
}

// deliver sends n on every channel that has not delivered it yet.
func (s *Service) deliver(ctx context.Context, n Notification) error {
	st := s.store()
	var errs []error
	for _, nt := range s.cfg.Notifiers {
		key := st.deliveredKey(n.Tenant, n.ID, nt.Name())
		done, err := st.rdb.Exists(ctx, key).Result()
		if err != nil {
			return fmt.Errorf("delivery marker: %w", err)
		}
		if done > 0 {
			continue
		}
		if err := nt.Notify(ctx, n); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", nt.Name(), err))
			continue
		}
		if err := st.rdb.Set(ctx, key, 1, 30*24*time.Hour).Err(); err != nil {
			return fmt.Errorf("delivery marker: %w", err)
		}
	}
	return errors.Join(errs...)
}

// requestSummary is the part of a notification that describes the request for the office:
// the citizen's text is quoted here, for the office to act on, and nowhere in logs or spans.
func requestSummary(r *routingv1.Request) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Richiesta: %s\nArgomento: %s\nTipo: %s\n", r.GetRequestId(), r.GetTopic(), kindName(r.GetKind()))
	if r.GetPlace() != "" {
		fmt.Fprintf(&b, "Luogo: %s\n", r.GetPlace())
	}
	if r.GetPermalink() != "" {
		fmt.Fprintf(&b, "Link: %s\n", r.GetPermalink())
	}
	fmt.Fprintf(&b, "Testo del cittadino:\n> %s\n", strings.ReplaceAll(r.GetText(), "\n", "\n> "))
	return b.String()
}

func kindName(k routingv1.Kind) string {
	switch k {
	case routingv1.Kind_KIND_REPORT:
		return "segnalazione"
	case routingv1.Kind_KIND_COMPLAINT:
		return "reclamo"
	default:
		return "richiesta di informazioni"
	}
}

func nonEmpty(xs []string) []string {
	var out []string
	for _, x := range xs {
		if x != "" {
			out = append(out, x)
		}
	}
	return out
}
