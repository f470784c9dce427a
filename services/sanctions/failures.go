package sanctions

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/proto"

	"github.com/piazza-pa/piazza/pkg/bus"
	actionv1 "github.com/piazza-pa/piazza/proto/gen/piazza/action/v1"
	sanctionsv1 "github.com/piazza-pa/piazza/proto/gen/piazza/sanctions/v1"
)

// FailureConsumerSpec is the durable consumer of actions the platforms refused for good
// (piazza.<t>.action.failed with permanent set: an expired token, a missing permission, a
// deleted object).
func FailureConsumerSpec() bus.ConsumerSpec {
	return bus.ConsumerSpec{
		Stream:         bus.StreamDecisions,
		Durable:        "sanctions-failures",
		FilterSubjects: []string{bus.ActionFailed("*")},
		MaxDeliver:     20,
		AckWait:        30 * time.Second,
		MaxAckPending:  256,
		Concurrency:    4,
	}
}

// HandleActionFailure sends the decision of a permanently failed moderation action to the
// tenant's review queue, so that a person sees that the comment is still up (or its author not
// blocked) and why. Replies that failed carry no decision and stay on the audit log only.
// Queueing is idempotent: a decision already queued or resolved is left as it is.
func (s *Service) HandleActionFailure(ctx context.Context, msg *bus.Message) error {
	var r actionv1.ActionResult
	if err := proto.Unmarshal(msg.Data, &r); err != nil {
		return bus.Permanent(fmt.Errorf("decode action result: %w", err))
	}
	a := r.GetAction()
	if !r.GetPermanent() || a.GetDecisionId() == "" || a.GetTenant() == "" {
		return nil
	}
	stored, err := s.cfg.Redis.Get(ctx, s.keys.decision(a.GetTenant(), a.GetDecisionId())).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil // erased, or older than the decisions kept: the audit log has it
	}
	if err != nil {
		return fmt.Errorf("read decision: %w", err)
	}
	var d sanctionsv1.Decision
	if err := proto.Unmarshal(stored, &d); err != nil {
		return bus.Permanent(fmt.Errorf("decode stored decision: %w", err))
	}
	d.Review = true
	data, err := proto.Marshal(&d)
	if err != nil {
		return fmt.Errorf("encode decision: %w", err)
	}
	t := s.keys.tenant(a.GetTenant())
	err = enqueueReview.Run(ctx, s.cfg.Redis, []string{t.reviews(), t.review(d.GetDecisionId()), t.resolved(d.GetDecisionId())},
		s.cfg.Now().UnixMilli(), d.GetDecisionId(), data).Err()
	if err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("queue review: %w", err)
	}
	s.cfg.Logger.WarnContext(ctx, "platform refused a moderation action for good; decision sent to review",
		"tenant", a.GetTenant(), "decision_id", a.GetDecisionId(), "action_id", a.GetActionId())
	return nil
}
