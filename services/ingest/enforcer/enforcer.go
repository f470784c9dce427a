// Package enforcer carries decided actions out on the platforms. It consumes
// piazza.<tenant>.action.requested, calls the platform's connector, and publishes what was really
// done on piazza.<tenant>.action.completed or .failed. The same action delivered twice has one
// effect: its result is remembered in Redis under the action id.
//
// A transient failure (a 5xx, a rate limit, a timeout) is returned to the consumer, which
// redelivers the action with a growing delay; while a platform has asked to wait, the
// connector refuses calls without sending them (see Throttle). A permanent failure (an expired
// token, a missing permission, a deleted object) is recorded: the result on
// piazza.<tenant>.action.failed carries permanent=true and the error, which is the signal for
// human review — the operators' queue reads that subject — and it is counted on
// piazza.enforcer.permanent_failures and logged at error level with "ALERT".
package enforcer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/piazza-pa/piazza/pkg/bus"
	"github.com/piazza-pa/piazza/pkg/comments"
	"github.com/piazza-pa/piazza/pkg/telemetry"
	actionv1 "github.com/piazza-pa/piazza/proto/gen/piazza/action/v1"
	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
)

// Outcome is what a platform really did.
type Outcome struct {
	// Performed is the action done; it differs from the one asked when the platform lacks it.
	Performed actionv1.Kind
	// Ref is the platform's id of what was created (a reply), when any.
	Ref string
}

// Platform carries actions out on one platform. An error whose Permanent method reports true
// (an expired token, a missing permission) is recorded as a failure; any other is retried.
type Platform interface {
	Execute(ctx context.Context, a *actionv1.Action) (Outcome, error)
}

// Publisher publishes protobuf messages with a message id.
type Publisher interface {
	Publish(ctx context.Context, subject, msgID string, m proto.Message) error
}

// Config holds the enforcer's dependencies.
type Config struct {
	Redis     redis.UniversalClient
	Publisher Publisher
	// Platforms maps each platform to its connector.
	Platforms map[commentv1.Platform]Platform
	// KeyPrefix starts every Redis key.
	KeyPrefix string
	// ResultTTL is how long a result is remembered to absorb redeliveries.
	ResultTTL time.Duration
	// CallTimeout bounds one platform call.
	CallTimeout time.Duration
	Now         func() time.Time
	Logger      *slog.Logger
	Tracer      trace.TracerProvider
	Meter       metric.MeterProvider
}

// Enforcer executes actions.
type Enforcer struct {
	cfg      Config
	tracer   trace.Tracer
	executed metric.Int64Counter
	failures metric.Int64Counter
}

// New returns an Enforcer.
func New(cfg Config) (*Enforcer, error) {
	if cfg.Redis == nil || cfg.Publisher == nil {
		return nil, errors.New("enforcer: Redis and Publisher are required")
	}
	if cfg.ResultTTL <= 0 {
		cfg.ResultTTL = 30 * 24 * time.Hour
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = 10 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	e := &Enforcer{cfg: cfg}
	e.tracer = telemetry.TracerOrNoop(cfg.Tracer).Tracer("github.com/piazza-pa/piazza/services/ingest/enforcer")
	var err error
	e.executed, err = telemetry.MeterOrNoop(cfg.Meter).Meter("github.com/piazza-pa/piazza/services/ingest/enforcer").
		Int64Counter("piazza.enforcer.actions", metric.WithDescription("Actions carried out, by tenant, platform, kind and status"))
	if err != nil {
		return nil, fmt.Errorf("enforcer metrics: %w", err)
	}
	e.failures, err = telemetry.MeterOrNoop(cfg.Meter).Meter("github.com/piazza-pa/piazza/services/ingest/enforcer").
		Int64Counter("piazza.enforcer.permanent_failures", metric.WithDescription("Actions that failed for good and went to human review, by tenant, platform and kind"))
	if err != nil {
		return nil, fmt.Errorf("enforcer metrics: %w", err)
	}
	return e, nil
}

// ConsumerSpec is the durable consumer of requested actions.
func ConsumerSpec() bus.ConsumerSpec {
	return bus.ConsumerSpec{
		Stream:         bus.StreamActions,
		Durable:        "enforcer",
		FilterSubjects: []string{bus.ActionRequested("*")},
		MaxDeliver:     12,
		AckWait:        60 * time.Second,
		MaxAckPending:  512,
		Concurrency:    16,
		RetryDelay:     time.Second,
		MaxRetryDelay:  2 * time.Minute,
	}
}

func (e *Enforcer) resultKey(a *actionv1.Action) string {
	return e.cfg.KeyPrefix + "action:{" + a.GetTenant() + "}:" + a.GetActionId()
}

// HandleAction executes one action once.
func (e *Enforcer) HandleAction(ctx context.Context, msg *bus.Message) error {
	var a actionv1.Action
	if err := proto.Unmarshal(msg.Data, &a); err != nil {
		return bus.Permanent(fmt.Errorf("decode action: %w", err))
	}
	if a.GetActionId() == "" || a.GetTenant() == "" || a.GetKind() == actionv1.Kind_KIND_UNSPECIFIED {
		return bus.Permanent(errors.New("invalid action: id, tenant and kind are required"))
	}
	ctx, span := e.tracer.Start(ctx, "enforcer.execute", trace.WithAttributes(
		attribute.String("piazza.tenant", a.GetTenant()),
		attribute.String("piazza.platform", comments.PlatformName(a.GetPlatform())),
		attribute.String("piazza.action", comments.KindName(a.GetKind())),
	))
	defer span.End()

	key := e.resultKey(&a)
	if stored, err := e.cfg.Redis.Get(ctx, key).Bytes(); err == nil {
		var r actionv1.ActionResult
		if err := proto.Unmarshal(stored, &r); err == nil {
			span.SetAttributes(attribute.Bool("piazza.redelivered", true))
			return e.publish(ctx, &r)
		}
	} else if !errors.Is(err, redis.Nil) {
		return fmt.Errorf("read action result: %w", err)
	}

	res := &actionv1.ActionResult{Action: &a}
	p, ok := e.cfg.Platforms[a.GetPlatform()]
	if !ok {
		res.Status = actionv1.Status_STATUS_FAILED
		res.Permanent = true
		res.Error = "no connector for platform " + comments.PlatformName(a.GetPlatform())
	} else {
		cctx, cancel := context.WithTimeout(ctx, e.cfg.CallTimeout)
		out, err := p.Execute(cctx, &a)
		cancel()
		switch {
		case err == nil:
			res.Status = actionv1.Status_STATUS_DONE
			res.Performed = out.Performed
			res.PlatformRef = out.Ref
			if out.Performed != a.GetKind() {
				res.Status = actionv1.Status_STATUS_DEGRADED
			}
		case isPermanent(err):
			res.Status = actionv1.Status_STATUS_FAILED
			res.Permanent = true
			res.Error = err.Error()
			e.failures.Add(ctx, 1, metric.WithAttributes(
				attribute.String("tenant", a.GetTenant()),
				attribute.String("platform", comments.PlatformName(a.GetPlatform())),
				attribute.String("kind", comments.KindName(a.GetKind())),
			))
			e.cfg.Logger.ErrorContext(ctx, "ALERT: action failed permanently; sent to human review on action.failed", "tenant", a.GetTenant(),
				"action_id", a.GetActionId(), "kind", comments.KindName(a.GetKind()), "err", err)
		default:
			return fmt.Errorf("execute %s: %w", comments.KindName(a.GetKind()), err)
		}
	}
	res.CompletedAt = timestamppb.New(e.cfg.Now())
	data, err := proto.Marshal(res)
	if err != nil {
		return fmt.Errorf("encode action result: %w", err)
	}
	if err := e.cfg.Redis.Set(ctx, key, data, e.cfg.ResultTTL).Err(); err != nil {
		return fmt.Errorf("store action result: %w", err)
	}
	return e.publish(ctx, res)
}

func (e *Enforcer) publish(ctx context.Context, r *actionv1.ActionResult) error {
	a := r.GetAction()
	subject := bus.ActionCompleted(a.GetTenant())
	if r.GetStatus() == actionv1.Status_STATUS_FAILED {
		subject = bus.ActionFailed(a.GetTenant())
	}
	if err := e.cfg.Publisher.Publish(ctx, subject, "result:"+a.GetActionId(), r); err != nil {
		return err
	}
	e.executed.Add(ctx, 1, metric.WithAttributes(
		attribute.String("tenant", a.GetTenant()),
		attribute.String("platform", comments.PlatformName(a.GetPlatform())),
		attribute.String("kind", comments.KindName(a.GetKind())),
		attribute.String("status", statusName(r.GetStatus())),
	))
	return nil
}

func statusName(s actionv1.Status) string {
	switch s {
	case actionv1.Status_STATUS_DONE:
		return "done"
	case actionv1.Status_STATUS_DEGRADED:
		return "degraded"
	default:
		return "failed"
	}
}

func isPermanent(err error) bool {
	var p interface{ Permanent() bool }
	return errors.As(err, &p) && p.Permanent()
}
