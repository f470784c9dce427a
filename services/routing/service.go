// Package routing takes citizens' requests in charge. It consumes decisions that carry a request
// or an emergency, chooses the disposition the tenant's policy asks for (redirect an emergency,
// refuse an anonymous report, open a request for the competent office), runs the deadline on
// the office's working calendar, and asks the enforcer for the replies to the citizen.
//
// Redis key layout (every key of a tenant shares the hash tag {<tenant>}):
//
//	<prefix>request:{<tenant>}:<id>         the Request (protobuf)
//	<prefix>request-events:{<tenant>}:<id>  LIST of RequestEvent (protobuf), oldest first
//	<prefix>requests:{<tenant>}             ZSET id by received time, for listing
//	<prefix>deadlines:{<tenant>}            ZSET id by first-answer deadline, for the scheduler
package routing

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/piazza-pa/piazza/pkg/bus"
	"github.com/piazza-pa/piazza/pkg/calendar"
	"github.com/piazza-pa/piazza/pkg/comments"
	"github.com/piazza-pa/piazza/pkg/policy"
	"github.com/piazza-pa/piazza/pkg/telemetry"
	actionv1 "github.com/piazza-pa/piazza/proto/gen/piazza/action/v1"
	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	routingv1 "github.com/piazza-pa/piazza/proto/gen/piazza/routing/v1"
	sanctionsv1 "github.com/piazza-pa/piazza/proto/gen/piazza/sanctions/v1"
)

// Policies gives the current policy of a tenant.
type Policies interface {
	Tenant(code string) (*policy.Tenant, bool)
}

// Publisher publishes protobuf messages with a message id.
type Publisher interface {
	Publish(ctx context.Context, subject, msgID string, m proto.Message) error
}

// Config holds the service's dependencies.
type Config struct {
	Redis     redis.UniversalClient
	Policies  Policies
	Publisher Publisher
	// KeyPrefix starts every Redis key, e.g. "piazza:".
	KeyPrefix string
	// Now is the clock; time.Now when nil.
	Now    func() time.Time
	Logger *slog.Logger
	Tracer trace.TracerProvider
	Meter  metric.MeterProvider
}

// Service is the routing service.
type Service struct {
	cfg    Config
	tracer trace.Tracer
	opened metric.Int64Counter

	mu        sync.Mutex
	calendars map[string]*calendar.Calendar
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Redis == nil || cfg.Policies == nil || cfg.Publisher == nil {
		return nil, errors.New("routing: Redis, Policies and Publisher are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Service{cfg: cfg, calendars: map[string]*calendar.Calendar{}}
	s.tracer = telemetry.TracerOrNoop(cfg.Tracer).Tracer("github.com/piazza-pa/piazza/services/routing")
	var err error
	s.opened, err = telemetry.MeterOrNoop(cfg.Meter).Meter("github.com/piazza-pa/piazza/services/routing").
		Int64Counter("piazza.routing.dispositions", metric.WithDescription("Dispositions of requests, by tenant, disposition and office"))
	if err != nil {
		return nil, fmt.Errorf("routing metrics: %w", err)
	}
	return s, nil
}

// ConsumerSpec is the durable consumer of decisions.
func ConsumerSpec() bus.ConsumerSpec {
	return bus.ConsumerSpec{
		Stream:         bus.StreamDecisions,
		Durable:        "routing",
		FilterSubjects: []string{bus.DecisionMade("*")},
		MaxDeliver:     20,
		AckWait:        30 * time.Second,
		MaxAckPending:  2048,
		Concurrency:    16,
	}
}

// Disposition is what routing did with a decision.
type Disposition string

// Dispositions.
const (
	DispositionNone      Disposition = "none"
	DispositionNoReply   Disposition = "no_reply"
	DispositionEmergency Disposition = "redirect_emergency"
	DispositionRefused   Disposition = "refused_anonymous"
	DispositionRouted    Disposition = "route"
)

// HandleDecision applies the disposition of one decision. It is idempotent: request and action
// ids derive from the comment, so a redelivery changes nothing.
func (s *Service) HandleDecision(ctx context.Context, msg *bus.Message) error {
	var d sanctionsv1.Decision
	if err := proto.Unmarshal(msg.Data, &d); err != nil {
		return bus.Permanent(fmt.Errorf("decode decision: %w", err))
	}
	if d.GetComment().GetTenant() == "" || d.GetComment().GetCommentId() == "" {
		return bus.Permanent(errors.New("invalid decision: no comment"))
	}
	_, err := s.Dispose(ctx, &d)
	return err
}

// Dispose decides and carries out what happens to a decision's request, and returns it.
func (s *Service) Dispose(ctx context.Context, d *sanctionsv1.Decision) (Disposition, error) {
	c := d.GetComment()
	labels := map[string]bool{}
	for _, cs := range d.GetVerdict().GetCategories() {
		labels[cs.GetCategory()] = true
	}
	if !labels["request"] && !labels["emergency"] {
		return DispositionNone, nil
	}
	ctx, span := s.tracer.Start(ctx, "routing.dispose", trace.WithAttributes(attribute.String("piazza.tenant", c.GetTenant())))
	defer span.End()
	tenant, ok := s.cfg.Policies.Tenant(c.GetTenant())
	if !ok {
		return "", bus.Permanent(fmt.Errorf("unknown tenant %q", c.GetTenant()))
	}
	disp, office, err := s.dispose(ctx, tenant, d, labels)
	if err != nil {
		return "", err
	}
	span.SetAttributes(attribute.String("piazza.disposition", string(disp)))
	s.opened.Add(ctx, 1, metric.WithAttributes(attribute.String("tenant", tenant.Code), attribute.String("disposition", string(disp)), attribute.String("office", office)))
	return disp, nil
}

func (s *Service) dispose(ctx context.Context, tenant *policy.Tenant, d *sanctionsv1.Decision, labels map[string]bool) (Disposition, string, error) {
	c := d.GetComment()
	if d.GetNoReply() || len(d.GetStrikes()) > 0 {
		// A comment the policy sanctions gets no answer.
		return DispositionNoReply, "", nil
	}
	id := RequestID(c)
	now := s.cfg.Now()
	if labels["emergency"] {
		text, err := tenant.Render("emergency", map[string]string{"emergency": tenant.Emergency.Text()})
		if err != nil {
			return "", "", bus.Permanent(fmt.Errorf("render emergency reply: %w", err))
		}
		req := s.newRequest(c, d, id, now)
		req.State = routingv1.State_STATE_REDIRECTED
		if err := s.reply(ctx, req, id+":emergency", text); err != nil {
			return "", "", err
		}
		return DispositionEmergency, "", s.event(ctx, req, routingv1.EventType_EVENT_TYPE_REDIRECTED, "emergenza: rimandato ai numeri di emergenza", now)
	}
	if c.GetAuthor().GetAnonymous() && tenant.AnonymousReports == "refuse" {
		text, err := tenant.Render("anonymous_refused", nil)
		if err != nil {
			return "", "", bus.Permanent(fmt.Errorf("render refusal: %w", err))
		}
		req := s.newRequest(c, d, id, now)
		req.State = routingv1.State_STATE_REJECTED
		if err := s.reply(ctx, req, id+":refused", text); err != nil {
			return "", "", err
		}
		return DispositionRefused, "", s.event(ctx, req, routingv1.EventType_EVENT_TYPE_REJECTED, "segnalazione anonima non accolta", now)
	}

	req := s.newRequest(c, d, id, now)
	office := tenant.OfficeFor(req.GetTopic())
	if office == nil {
		return "", "", bus.Permanent(fmt.Errorf("tenant %s routes topic %q to no office", tenant.Code, req.GetTopic()))
	}
	req.Office = office.Code
	received := now
	if ts := c.GetCreatedAt(); ts != nil && ts.IsValid() {
		received = ts.AsTime()
	}
	req.ReceivedAt = timestamppb.New(received)
	cal := s.calendar(tenant, office)
	sla := tenant.Routing.SLA
	req.AckDue = timestamppb.New(Due(cal, received, sla.Ack))
	req.FirstAnswerDue = timestamppb.New(Due(cal, received, sla.FirstAnswer))
	req.ResolutionDue = timestamppb.New(Due(cal, received, sla.Resolution))
	req.State = routingv1.State_STATE_ACKNOWLEDGED

	opened := &routingv1.RequestEvent{
		EventId: id + ":opened", RequestId: id, Tenant: tenant.Code, Type: routingv1.EventType_EVENT_TYPE_OPENED,
		At: timestamppb.New(now), Office: office.Code, Actor: "system", Note: "richiesta presa in carico",
	}
	if _, err := s.store().open(ctx, req, opened); err != nil {
		return "", "", err
	}
	if err := s.publishEvent(ctx, req, opened); err != nil {
		return "", "", err
	}
	// A tenant in redirect mode answers by pointing to its official channel; the request is
	// still forwarded to the office.
	template := "ack"
	if tenant.Routing.Mode == "redirect" {
		template = "redirect"
	}
	text, err := tenant.Render(template, map[string]string{
		"office": office.Name, "head": office.Head, "request_id": id,
		"deadline": req.GetFirstAnswerDue().AsTime().In(tenant.Location).Format("02/01/2006"),
	})
	if err != nil {
		return "", "", bus.Permanent(fmt.Errorf("render acknowledgement: %w", err))
	}
	if err := s.reply(ctx, req, id+":ack", text); err != nil {
		return "", "", err
	}
	return DispositionRouted, office.Code, nil
}

// RequestID is the id of the request a comment opens: the same comment always yields the same
// id, which makes opening idempotent.
func RequestID(c *commentv1.Comment) string {
	sum := sha256.Sum256([]byte(c.GetTenant() + "\x00" + comments.MessageID(c)))
	return "req-" + hex.EncodeToString(sum[:8])
}

func (s *Service) newRequest(c *commentv1.Comment, d *sanctionsv1.Decision, id string, now time.Time) *routingv1.Request {
	return &routingv1.Request{
		RequestId:       id,
		Tenant:          c.GetTenant(),
		Platform:        c.GetPlatform(),
		Channel:         c.GetChannel(),
		PageId:          c.GetPageId(),
		CommentId:       c.GetCommentId(),
		Reporter:        c.GetAuthor().GetPseudonym(),
		Text:            c.GetText(),
		Topic:           topicOf(d),
		TopicConfidence: d.GetVerdict().GetTopicConfidence(),
		ReceivedAt:      timestamppb.New(now),
		Permalink:       c.GetPermalink(),
	}
}

func topicOf(d *sanctionsv1.Decision) string {
	if t := d.GetVerdict().GetTopic(); t != "" {
		return t
	}
	return "general"
}

// Due is the deadline of an SLA span from received on the calendar.
func Due(cal *calendar.Calendar, received time.Time, span policy.Span) time.Time {
	if span.Unit == "wh" {
		return cal.AddWorkingHours(received, time.Duration(span.Amount)*time.Hour)
	}
	return cal.AddWorkingDays(received, span.Amount)
}

// calendar returns the office's working calendar, built once per policy version.
func (s *Service) calendar(t *policy.Tenant, o *policy.Office) *calendar.Calendar {
	key := t.Code + "\x00" + t.Version + "\x00" + o.Code
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.calendars[key]; ok {
		return c
	}
	c := OfficeCalendar(t, o)
	s.calendars[key] = c
	return c
}

// OfficeCalendar builds an office's calendar from its tenant's file: its weekly hours, the
// tenant's time zone, patron saint and closures.
func OfficeCalendar(t *policy.Tenant, o *policy.Office) *calendar.Calendar {
	hours := calendar.WeeklyHours{}
	for day, ranges := range o.Hours {
		for _, r := range ranges {
			hours[day] = append(hours[day], calendar.ClockRange{From: r.From, To: r.To})
		}
	}
	closures := make([]calendar.Date, 0, len(t.Closures))
	for _, d := range t.Closures {
		closures = append(closures, calendar.Date{Year: d.Year, Month: d.Month, Day: d.Day})
	}
	return calendar.New(t.Location, hours, calendar.MonthDay{Month: t.Patron.Month, Day: t.Patron.Day}, closures)
}

// reply asks the enforcer to answer the citizen where they asked: in public under a public
// comment, in private to a private message.
func (s *Service) reply(ctx context.Context, req *routingv1.Request, actionID, text string) error {
	kind := actionv1.Kind_KIND_REPLY
	if req.GetChannel() == commentv1.Channel_CHANNEL_PRIVATE_MESSAGE {
		kind = actionv1.Kind_KIND_PRIVATE_REPLY
	}
	a := &actionv1.Action{
		ActionId:  actionID,
		Tenant:    req.GetTenant(),
		Platform:  req.GetPlatform(),
		Kind:      kind,
		PageId:    req.GetPageId(),
		CommentId: req.GetCommentId(),
		Text:      text,
		RequestId: req.GetRequestId(),
	}
	return s.cfg.Publisher.Publish(ctx, bus.ActionRequested(req.GetTenant()), actionID, a)
}

// event records an event of a request that is not stored as an open request (redirects,
// refusals): the REQUESTS stream is their record.
func (s *Service) event(ctx context.Context, req *routingv1.Request, typ routingv1.EventType, note string, now time.Time) error {
	ev := &routingv1.RequestEvent{
		EventId: req.GetRequestId() + ":" + eventName(typ), RequestId: req.GetRequestId(), Tenant: req.GetTenant(),
		Type: typ, At: timestamppb.New(now), Actor: "system", Note: note,
	}
	return s.publishEvent(ctx, req, ev)
}

func (s *Service) publishEvent(ctx context.Context, req *routingv1.Request, ev *routingv1.RequestEvent) error {
	ev.Request = req
	return s.cfg.Publisher.Publish(ctx, bus.RequestEvent(req.GetTenant(), eventName(ev.GetType())), ev.GetEventId(), ev)
}
