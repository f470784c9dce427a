// Package sanctions turns classifier verdicts into what a Comune's policy says must happen. It
// consumes received comments, asks the classifier for a verdict, counts the user's strikes in
// Redis, climbs the tenant's sanction ladder, and publishes the decision (the audit record) and
// the actions for the enforcer.
package sanctions

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/piazza-pa/piazza/pkg/bus"
	"github.com/piazza-pa/piazza/pkg/comments"
	"github.com/piazza-pa/piazza/pkg/policy"
	"github.com/piazza-pa/piazza/pkg/pseudonym"
	"github.com/piazza-pa/piazza/pkg/telemetry"
	actionv1 "github.com/piazza-pa/piazza/proto/gen/piazza/action/v1"
	classifierv1 "github.com/piazza-pa/piazza/proto/gen/piazza/classifier/v1"
	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	sanctionsv1 "github.com/piazza-pa/piazza/proto/gen/piazza/sanctions/v1"
	"github.com/piazza-pa/piazza/services/sanctions/strikes"
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
	Redis      redis.UniversalClient
	Classifier classifierv1.ClassifierServiceClient
	Policies   Policies
	Publisher  Publisher
	Pseudonyms *pseudonym.Keyed
	// KeyPrefix starts every Redis key, e.g. "piazza:".
	KeyPrefix string
	// Now is the clock; time.Now when nil. Tests and simulations control it.
	Now func() time.Time
	// ClassifyTimeout bounds one classifier call.
	ClassifyTimeout time.Duration
	// DecisionTTL is how long a decision is remembered for idempotent redelivery.
	DecisionTTL time.Duration
	Logger      *slog.Logger
	Tracer      trace.TracerProvider
	Meter       metric.MeterProvider
}

// Service is the sanctions service.
type Service struct {
	cfg       Config
	strikes   *strikes.Store
	tracer    trace.Tracer
	decisions metric.Int64Counter
	actions   metric.Int64Counter
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Redis == nil || cfg.Classifier == nil || cfg.Policies == nil || cfg.Publisher == nil || cfg.Pseudonyms == nil {
		return nil, errors.New("sanctions: Redis, Classifier, Policies, Publisher and Pseudonyms are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ClassifyTimeout <= 0 {
		cfg.ClassifyTimeout = 5 * time.Second
	}
	if cfg.DecisionTTL <= 0 {
		cfg.DecisionTTL = 7 * 24 * time.Hour
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Service{cfg: cfg, strikes: strikes.NewStore(cfg.Redis, cfg.KeyPrefix)}
	s.tracer = telemetry.TracerOrNoop(cfg.Tracer).Tracer("github.com/piazza-pa/piazza/services/sanctions")
	meter := telemetry.MeterOrNoop(cfg.Meter).Meter("github.com/piazza-pa/piazza/services/sanctions")
	var err error
	if s.decisions, err = meter.Int64Counter("piazza.sanctions.decisions", metric.WithDescription("Decisions made, by tenant and whether the comment violated the policy")); err != nil {
		return nil, fmt.Errorf("sanctions metrics: %w", err)
	}
	if s.actions, err = meter.Int64Counter("piazza.sanctions.actions", metric.WithDescription("Action codes decided, by tenant and action")); err != nil {
		return nil, fmt.Errorf("sanctions metrics: %w", err)
	}
	return s, nil
}

// ConsumerSpec is the durable consumer of received comments.
func ConsumerSpec() bus.ConsumerSpec {
	return bus.ConsumerSpec{
		Stream:         bus.StreamComments,
		Durable:        "sanctions",
		FilterSubjects: []string{bus.CommentReceived("*")},
		MaxDeliver:     20,
		AckWait:        30 * time.Second,
		MaxAckPending:  2048,
		Concurrency:    32,
	}
}

// HandleComment decides one received comment. It is idempotent: a redelivered or duplicated
// comment yields the same decision, counts no second strike, and republishes with the same
// message ids, which JetStream drops as duplicates.
func (s *Service) HandleComment(ctx context.Context, msg *bus.Message) error {
	var c commentv1.Comment
	if err := proto.Unmarshal(msg.Data, &c); err != nil {
		return bus.Permanent(fmt.Errorf("decode comment: %w", err))
	}
	subjTenant, _, _, _ := bus.ParseSubject(msg.Subject)
	if err := validComment(&c, subjTenant); err != nil {
		return bus.Permanent(err)
	}
	d, err := s.Decide(ctx, &c)
	if err != nil {
		return err
	}
	return s.publish(ctx, d)
}

func validComment(c *commentv1.Comment, subjectTenant string) error {
	switch {
	case c.GetTenant() == "":
		return errors.New("invalid comment: no tenant")
	case subjectTenant != "" && c.GetTenant() != subjectTenant:
		return fmt.Errorf("invalid comment: tenant %q published on tenant %q's subject", c.GetTenant(), subjectTenant)
	case c.GetCommentId() == "":
		return errors.New("invalid comment: no comment id")
	case c.GetPlatform() == commentv1.Platform_PLATFORM_UNSPECIFIED:
		return errors.New("invalid comment: no platform")
	}
	return nil
}

// DecisionID is the decision's id and message id for a comment.
func DecisionID(c *commentv1.Comment) string {
	return "decision:" + comments.PlatformName(c.GetPlatform()) + ":" + c.GetCommentId()
}

func (s *Service) decisionKey(c *commentv1.Comment) string {
	return s.cfg.KeyPrefix + "decision:{" + c.GetTenant() + "}:" + comments.PlatformName(c.GetPlatform()) + ":" + c.GetCommentId()
}

// Decide returns the decision for a comment, recording its strikes. It does not publish.
func (s *Service) Decide(ctx context.Context, c *commentv1.Comment) (*sanctionsv1.Decision, error) {
	ctx, span := s.tracer.Start(ctx, "sanctions.decide", trace.WithAttributes(
		attribute.String("piazza.tenant", c.GetTenant()),
		attribute.String("piazza.platform", comments.PlatformName(c.GetPlatform())),
	))
	defer span.End()

	tenant, ok := s.cfg.Policies.Tenant(c.GetTenant())
	if !ok {
		return nil, bus.Permanent(fmt.Errorf("unknown tenant %q", c.GetTenant()))
	}
	key := s.decisionKey(c)
	if stored, err := s.cfg.Redis.Get(ctx, key).Bytes(); err == nil {
		var d sanctionsv1.Decision
		if err := proto.Unmarshal(stored, &d); err == nil {
			span.SetAttributes(attribute.Bool("piazza.redelivered", true))
			return &d, nil
		}
	} else if !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("read decision: %w", err)
	}

	cctx, cancel := context.WithTimeout(ctx, s.cfg.ClassifyTimeout)
	resp, err := s.cfg.Classifier.Classify(cctx, &classifierv1.ClassifyRequest{Comment: c})
	cancel()
	if err != nil {
		if st, ok := status.FromError(err); ok && (st.Code() == codes.InvalidArgument || st.Code() == codes.NotFound) {
			return nil, bus.Permanent(fmt.Errorf("classify comment: %w", err))
		}
		return nil, fmt.Errorf("classify comment: %w", err)
	}
	verdict := resp.GetVerdict()

	now := s.cfg.Now()
	at := now
	if ts := c.GetCreatedAt(); ts != nil && ts.IsValid() {
		at = ts.AsTime()
	}
	if c.GetAuthor().GetPseudonym() == "" {
		c.Author = proto.Clone(orEmpty(c.GetAuthor())).(*commentv1.Author)
		c.Author.Pseudonym = s.cfg.Pseudonyms.Of(c.GetTenant(), comments.PlatformName(c.GetPlatform()), c.GetAuthor().GetId())
	}
	d, err := s.apply(ctx, tenant, c, verdict, at, now)
	if err != nil {
		return nil, err
	}
	data, err := proto.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("encode decision: %w", err)
	}
	set, err := s.cfg.Redis.SetArgs(ctx, key, data, redis.SetArgs{Mode: "NX", TTL: s.cfg.DecisionTTL}).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("store decision: %w", err)
	}
	if set != "OK" { // another consumer decided first: its decision is the one
		stored, err := s.cfg.Redis.Get(ctx, key).Bytes()
		if err != nil {
			return nil, fmt.Errorf("read decision: %w", err)
		}
		var prev sanctionsv1.Decision
		if err := proto.Unmarshal(stored, &prev); err != nil {
			return nil, fmt.Errorf("decode stored decision: %w", err)
		}
		d = &prev
	}
	span.SetAttributes(attribute.StringSlice("piazza.categories", codesOf(verdict)), attribute.StringSlice("piazza.actions", d.GetActionCodes()))
	return d, nil
}

func orEmpty(a *commentv1.Author) *commentv1.Author {
	if a == nil {
		return &commentv1.Author{}
	}
	return a
}

// nonViolations are categories that ask for an answer, not a sanction.
var nonViolations = map[string]bool{"request": true, "emergency": true}

// apply climbs the ladders of the violated categories and builds the decision.
func (s *Service) apply(ctx context.Context, tenant *policy.Tenant, c *commentv1.Comment, v *classifierv1.Verdict, at, now time.Time) (*sanctionsv1.Decision, error) {
	type hit struct {
		cat   *policy.Category
		group string
	}
	var hits []hit
	for _, cs := range v.GetCategories() {
		if nonViolations[cs.GetCategory()] {
			continue
		}
		cat, ok := tenant.Categories[cs.GetCategory()]
		if !ok {
			continue
		}
		group := cat.Group
		if group == "" {
			group = cat.Code
		}
		hits = append(hits, hit{cat: cat, group: group})
	}
	// One strike per group per comment, with the longest window among its categories.
	windows := map[string]time.Duration{}
	var groups []string
	for _, h := range hits {
		if _, seen := windows[h.group]; !seen {
			groups = append(groups, h.group)
		}
		if h.cat.Window > windows[h.group] {
			windows[h.group] = h.cat.Window
		}
	}
	vs := make([]strikes.Violation, len(groups))
	for i, g := range groups {
		vs[i] = strikes.Violation{Group: g, Window: windows[g]}
	}
	sub := strikes.Subject{Tenant: c.GetTenant(), Platform: comments.PlatformName(c.GetPlatform()), Pseudonym: c.GetAuthor().GetPseudonym()}
	counts, err := s.strikes.Record(ctx, sub, c.GetCommentId(), at, now, vs)
	if err != nil {
		return nil, err
	}
	countOf := map[string]int{}
	for _, cnt := range counts {
		countOf[cnt.Group] = cnt.Strikes
	}

	d := &sanctionsv1.Decision{
		DecisionId:     DecisionID(c),
		Comment:        c,
		Verdict:        v,
		Citations:      v.GetCitations(),
		EvidenceSha256: sha256Hex(c.GetText()),
		DecidedAt:      timestamppb.New(now),
	}
	codesSet := map[string]bool{}
	var blockFor time.Duration
	block := false
	for _, h := range hits {
		n := countOf[h.group]
		step, idx, ok := h.cat.StepFor(n)
		sc := &sanctionsv1.StrikeCount{Category: h.cat.Code, Count: int32(n), Article: h.cat.Article}
		if ok {
			sc.Step = int32(idx)
			for _, a := range step.Actions {
				codesSet[a] = true
				if a == "block" {
					block = true
					if step.BlockFor > blockFor || blockFor == 0 {
						blockFor = step.BlockFor
					}
				}
			}
		}
		d.Strikes = append(d.Strikes, sc)
		if h.cat.NoReply {
			d.NoReply = true
		}
	}
	if c.GetAuthor().GetAnonymous() && tenant.Anonymous == "review" && len(hits) > 0 {
		codesSet["review"] = true
	}
	if codesSet["delete"] {
		delete(codesSet, "hide")
	}
	if d.NoReply {
		codesSet["no_reply"] = true
	}
	if len(codesSet) == 0 {
		codesSet["none"] = true
	}
	for code := range codesSet {
		d.ActionCodes = append(d.ActionCodes, code)
	}
	sort.Strings(d.ActionCodes)
	d.Review = codesSet["review"]
	article := ""
	if len(hits) > 0 {
		article = hits[0].cat.Article
	}
	d.Actions = s.platformActions(tenant, c, d, codesSet, block, blockFor, article)
	return d, nil
}

// platformActions turns action codes into the effects the enforcer carries out, in a fixed order
// so that action ids are the same on every redelivery.
func (s *Service) platformActions(tenant *policy.Tenant, c *commentv1.Comment, d *sanctionsv1.Decision, codesSet map[string]bool, block bool, blockFor time.Duration, article string) []*actionv1.Action {
	var out []*actionv1.Action
	add := func(kind actionv1.Kind, text string) {
		a := &actionv1.Action{
			ActionId:   d.GetDecisionId() + ":" + strconv.Itoa(len(out)+1) + ":" + comments.KindName(kind),
			Tenant:     c.GetTenant(),
			Platform:   c.GetPlatform(),
			Kind:       kind,
			PageId:     c.GetPageId(),
			CommentId:  c.GetCommentId(),
			AuthorId:   c.GetAuthor().GetId(),
			Text:       text,
			DecisionId: d.GetDecisionId(),
			Reason:     article,
		}
		if kind == actionv1.Kind_KIND_BLOCK && blockFor > 0 {
			a.Duration = durationpb.New(blockFor)
		}
		out = append(out, a)
	}
	if codesSet["warn"] {
		text, err := tenant.Render("warning", map[string]string{"article": article})
		if err == nil {
			kind := actionv1.Kind_KIND_REPLY
			if c.GetChannel() == commentv1.Channel_CHANNEL_PRIVATE_MESSAGE {
				kind = actionv1.Kind_KIND_PRIVATE_REPLY
			}
			add(kind, text)
		}
	}
	if codesSet["hide"] {
		add(actionv1.Kind_KIND_HIDE, "")
	}
	if codesSet["report_platform"] {
		add(actionv1.Kind_KIND_REPORT_PLATFORM, "")
	}
	if codesSet["delete"] {
		add(actionv1.Kind_KIND_DELETE, "")
	}
	if block {
		add(actionv1.Kind_KIND_BLOCK, "")
	}
	return out
}

func (s *Service) publish(ctx context.Context, d *sanctionsv1.Decision) error {
	tenant := d.GetComment().GetTenant()
	if err := s.cfg.Publisher.Publish(ctx, bus.DecisionMade(tenant), d.GetDecisionId(), d); err != nil {
		return err
	}
	for _, a := range d.GetActions() {
		if err := s.cfg.Publisher.Publish(ctx, bus.ActionRequested(tenant), a.GetActionId(), a); err != nil {
			return err
		}
	}
	violating := "false"
	if len(d.GetStrikes()) > 0 {
		violating = "true"
	}
	s.decisions.Add(ctx, 1, metric.WithAttributes(attribute.String("tenant", tenant), attribute.String("violating", violating)))
	for _, code := range d.GetActionCodes() {
		s.actions.Add(ctx, 1, metric.WithAttributes(attribute.String("tenant", tenant), attribute.String("action", code)))
	}
	if block := hasKind(d, actionv1.Kind_KIND_BLOCK); block != nil {
		key := s.blockedKey(tenant, comments.PlatformName(d.GetComment().GetPlatform()), d.GetComment().GetAuthor().GetPseudonym())
		var ttl time.Duration
		if block.GetDuration() != nil {
			ttl = block.GetDuration().AsDuration()
		}
		if err := s.cfg.Redis.Set(ctx, key, d.GetDecisionId(), ttl).Err(); err != nil {
			return fmt.Errorf("record block: %w", err)
		}
	}
	return nil
}

func (s *Service) blockedKey(tenant, platform, pseud string) string {
	return s.cfg.KeyPrefix + "blocked:{" + tenant + ":" + pseud + "}:" + platform
}

func hasKind(d *sanctionsv1.Decision, k actionv1.Kind) *actionv1.Action {
	for _, a := range d.GetActions() {
		if a.GetKind() == k {
			return a
		}
	}
	return nil
}

func codesOf(v *classifierv1.Verdict) []string {
	out := make([]string, 0, len(v.GetCategories()))
	for _, c := range v.GetCategories() {
		out = append(out, c.GetCategory())
	}
	return out
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
