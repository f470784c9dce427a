// Package routing takes citizens' requests in charge. It consumes decisions that carry a request
// or an emergency, chooses the disposition the tenant's policy asks for (redirect an emergency,
// refuse an anonymous report, open a request for the competent office), runs the deadline on
// the office's working calendar, and asks the enforcer for the replies to the citizen.
//
// Redis key layout (every key of a tenant shares the hash tag {<tenant>}):
//
//	<prefix>request:{<tenant>}:<id>         the Request (protobuf): Apply folded over the events
//	<prefix>request-events:{<tenant>}:<id>  LIST of RequestEvent (protobuf), oldest first
//	<prefix>requests:{<tenant>}             ZSET id by received time, for listing
//	<prefix>deadlines:{<tenant>}            ZSET id by the scheduler's next look at it
//	<prefix>lease:{<tenant>}:<id>           a replica's short claim on a request (SET NX PX)
//	<prefix>delivered:{<tenant>}:<n>:<ch>   a notification delivered on a channel (SET NX)
//	<prefix>recurring:{<tenant>}:<week>     ZSET "<topic>|<place>" by requests opened that week
//	<prefix>routing-tenants                 SET of tenants with requests, for the scheduler
package routing

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
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
	Now func() time.Time
	// Notifiers deliver notifications to the offices (e-mail, webhooks); none means the
	// notifications are only recorded as events.
	Notifiers []Notifier
	// SLAOverrides set targets per topic or office over the tenants' own.
	SLAOverrides SLAOverrides
	// EscalationEvery is the office time between two escalation steps after the first-answer
	// deadline (default 2 working days).
	EscalationEvery policy.Span
	// LeaseTTL bounds how long a replica holds a request it works on (default 1 minute); it
	// must exceed the slowest notification delivery.
	LeaseTTL time.Duration
	Logger   *slog.Logger
	Tracer   trace.TracerProvider
	Meter    metric.MeterProvider
	// GaugeRefresh bounds how often a metrics scrape reads the request counts from Redis
	// (default 15 s).
	GaugeRefresh time.Duration
}

// Service is the routing service.
type Service struct {
	cfg    Config
	tracer trace.Tracer
	opened metric.Int64Counter
	// openedAttrs are opened's attribute sets.
	openedAttrs *telemetry.AttrSets
	fired       metric.Int64Counter

	mu        sync.Mutex
	calendars map[string]*calendar.Calendar
	opens     *opener
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
	if cfg.GaugeRefresh <= 0 {
		cfg.GaugeRefresh = 15 * time.Second
	}
	if cfg.EscalationEvery.Amount <= 0 {
		cfg.EscalationEvery = policy.Span{Amount: 2, Unit: "wd"}
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = time.Minute
	}
	s := &Service{cfg: cfg, calendars: map[string]*calendar.Calendar{}, opens: &opener{rdb: cfg.Redis},
		openedAttrs: telemetry.NewAttrSets("tenant", "disposition", "office")}
	s.tracer = telemetry.TracerOrNoop(cfg.Tracer).Tracer("github.com/piazza-pa/piazza/services/routing")
	var err error
	s.opened, err = telemetry.MeterOrNoop(cfg.Meter).Meter("github.com/piazza-pa/piazza/services/routing").
		Int64Counter("piazza.routing.dispositions", metric.WithDescription("Dispositions of requests, by tenant, disposition and office"))
	if err != nil {
		return nil, fmt.Errorf("routing metrics: %w", err)
	}
	s.fired, err = telemetry.MeterOrNoop(cfg.Meter).Meter("github.com/piazza-pa/piazza/services/routing").
		Int64Counter("piazza.routing.milestones", metric.WithDescription("Scheduler milestones fired (notifications, warnings, escalation steps), by tenant, event and step"))
	if err != nil {
		return nil, fmt.Errorf("routing metrics: %w", err)
	}
	if cfg.Meter != nil {
		if err := s.registerGauges(cfg.Meter); err != nil {
			return nil, err
		}
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
		Concurrency:    64,
	}
}

// Disposition is what routing did with a decision.
type Disposition string

// Dispositions.
const (
	DispositionNone      Disposition = "none"
	DispositionNoReply   Disposition = "no_reply"
	DispositionEmergency Disposition = "redirect_emergency"
	DispositionIstanza   Disposition = "redirect_istanza"
	DispositionResumed   Disposition = "resumed"
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

// resumeOnReply restarts the clock of a request waiting for the citizen when the same citizen
// replies in its thread: the reply is the information the office asked for.
func (s *Service) resumeOnReply(ctx context.Context, tenant *policy.Tenant, c *commentv1.Comment) (bool, error) {
	if c.GetParentId() == "" {
		return false, nil
	}
	parent := &commentv1.Comment{Tenant: c.GetTenant(), Platform: c.GetPlatform(), CommentId: c.GetParentId()}
	id := RequestID(parent)
	r, err := s.store().get(ctx, tenant.Code, id)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if r.GetState() != routingv1.State_STATE_WAITING || r.GetReporter() == "" || r.GetReporter() != c.GetAuthor().GetPseudonym() {
		return false, nil
	}
	_, err = s.mutate(ctx, tenant.Code, id, func(r *routingv1.Request) (*routingv1.RequestEvent, error) {
		if r.GetState() != routingv1.State_STATE_WAITING {
			return nil, errNothingToDo
		}
		return s.resumeEvent(tenant, r, "citizen", "il cittadino ha risposto: riparte il conteggio dei termini"), nil
	})
	if errors.Is(err, errNothingToDo) {
		return true, nil
	}
	return err == nil, err
}

// Dispose decides and carries out what happens to a decision's request, and returns it.
func (s *Service) Dispose(ctx context.Context, d *sanctionsv1.Decision) (Disposition, error) {
	c := d.GetComment()
	labels := map[string]bool{}
	for _, cs := range d.GetVerdict().GetCategories() {
		labels[cs.GetCategory()] = true
	}
	if c.GetParentId() != "" && !d.GetNoReply() && len(d.GetStrikes()) == 0 {
		if tenant, ok := s.cfg.Policies.Tenant(c.GetTenant()); ok {
			resumed, err := s.resumeOnReply(ctx, tenant, c)
			if err != nil {
				return "", err
			}
			if resumed {
				return DispositionResumed, nil
			}
		}
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
	s.opened.Add(ctx, 1, s.openedAttrs.Option(tenant.Code, string(disp), office))
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

	low := strings.ToLower(c.GetText())
	if isIstanza(low) {
		text, err := tenant.Render("istanza", nil)
		if err != nil {
			return "", "", bus.Permanent(fmt.Errorf("render istanza reply: %w", err))
		}
		req := s.newRequest(c, d, id, now)
		req.State = routingv1.State_STATE_REDIRECTED
		if err := s.reply(ctx, req, id+":istanza", text); err != nil {
			return "", "", err
		}
		return DispositionIstanza, "", s.event(ctx, req, routingv1.EventType_EVENT_TYPE_REDIRECTED, "istanza: rimandato al sito istituzionale", now)
	}

	req := s.newRequest(c, d, id, now)
	office := tenant.OfficeFor(req.GetTopic())
	if office == nil {
		return "", "", bus.Permanent(fmt.Errorf("tenant %s routes topic %q to no office", tenant.Code, req.GetTopic()))
	}
	req.Office = office.Code
	received := now
	if ts := c.GetCreatedAt(); ts != nil && ts.IsValid() && ts.AsTime().Before(now) {
		received = ts.AsTime()
	}
	req.ReceivedAt = timestamppb.New(received)
	req.Kind = kindOf(low)
	req.Place = placeOf(c.GetText(), low)
	req.State = routingv1.State_STATE_ACKNOWLEDGED
	deadlines := Deadlines(s.calendar(tenant, office), received, s.cfg.SLAOverrides.SLAFor(tenant, req.GetTopic(), office.Code))
	setDeadlines(req, deadlines)

	opened := &routingv1.RequestEvent{
		EventId: id + ":1:opened", RequestId: id, Tenant: tenant.Code, Type: routingv1.EventType_EVENT_TYPE_OPENED,
		At: timestamppb.New(now), Office: office.Code, Actor: "system", Note: "richiesta presa in carico",
		Request: req, Sequence: 1, Deadlines: deadlines,
	}
	stored, err := Apply(nil, opened)
	if err != nil {
		return "", "", bus.Permanent(err)
	}
	// The office hears of it at the scheduler's next tick, within office hours.
	if _, err := s.store().open(ctx, stored, opened, now, req.GetTopic()+"|"+req.GetPlace()); err != nil {
		return "", "", err
	}
	if err := s.publishEvent(ctx, stored, opened); err != nil {
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
		"deadline": stored.GetFirstAnswerDue().AsTime().In(tenant.Location).Format("02/01/2006"),
	})
	if err != nil {
		return "", "", bus.Permanent(fmt.Errorf("render acknowledgement: %w", err))
	}
	if err := s.reply(ctx, stored, id+":ack", text); err != nil {
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

// calendar returns the office's working calendar, built once per policy version; a nil office
// is the tenant's calendar with no office hours.
func (s *Service) calendar(t *policy.Tenant, o *policy.Office) *calendar.Calendar {
	code := ""
	if o != nil {
		code = o.Code
	}
	key := t.Code + "\x00" + t.Version + "\x00" + code
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.calendars[key]; ok {
		return c
	}
	c := OfficeCalendar(t, o)
	s.calendars[key] = c
	return c
}

// reply asks the enforcer to answer the citizen where they asked: in public under a public
// comment, in private to a private message (always in private where the tenant says so).
func (s *Service) reply(ctx context.Context, req *routingv1.Request, actionID, text string) error {
	kind := actionv1.Kind_KIND_REPLY
	if req.GetChannel() == commentv1.Channel_CHANNEL_PRIVATE_MESSAGE {
		kind = actionv1.Kind_KIND_PRIVATE_REPLY
	}
	if t, ok := s.cfg.Policies.Tenant(req.GetTenant()); ok && t.Visibility == "private" {
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
	return s.publish(ctx, bus.ActionRequested(req.GetTenant()), actionID, a)
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

// publishEvent publishes ev with the request as it stood after it on the REQUESTS stream.
func (s *Service) publishEvent(ctx context.Context, req *routingv1.Request, ev *routingv1.RequestEvent) error {
	out := proto.Clone(ev).(*routingv1.RequestEvent)
	out.Request = req
	return s.publish(ctx, bus.RequestEvent(req.GetTenant(), eventName(ev.GetType())), ev.GetEventId(), out)
}
