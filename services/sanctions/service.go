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
	"strings"
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
	"github.com/piazza-pa/piazza/pkg/decisions"
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
	// PublishBatch publishes several messages and waits for all their acknowledgements.
	PublishBatch(ctx context.Context, batch []bus.Outgoing) error
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
	// DecisionTTL is how long a decision is remembered for idempotent redelivery and for
	// appeals; it should be at least the COMMENTS stream's retention, so that a replayed comment
	// is never decided twice. Default 30 days.
	DecisionTTL time.Duration
	// ErasureMemory is how long the time of a user's erasure is remembered, so that comments
	// written before it and redelivered or replayed later are dropped; it should be at least
	// the COMMENTS stream's retention. Default 30 days.
	ErasureMemory time.Duration
	Logger        *slog.Logger
	Tracer        trace.TracerProvider
	Meter         metric.MeterProvider
}

// Service is the sanctions service.
type Service struct {
	cfg       Config
	strikes   *strikes.Store
	keys      keys
	tracer    trace.Tracer
	decisions metric.Int64Counter
	actions   metric.Int64Counter
	// decisionAttrs and actionAttrs are the counters' attribute sets.
	decisionAttrs, actionAttrs *telemetry.AttrSets
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
		cfg.DecisionTTL = 30 * 24 * time.Hour
	}
	if cfg.ErasureMemory <= 0 {
		cfg.ErasureMemory = 30 * 24 * time.Hour
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Service{cfg: cfg, strikes: strikes.NewStore(cfg.Redis, cfg.KeyPrefix), keys: keys{prefix: cfg.KeyPrefix},
		decisionAttrs: telemetry.NewAttrSets("tenant", "violating"), actionAttrs: telemetry.NewAttrSets("tenant", "action")}
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
		Concurrency:    128,
	}
}

// HandleComment decides one received comment. It is idempotent: a redelivered or duplicated
// comment yields the same decision, counts no second strike, and republishes with the same
// message ids, which JetStream drops as duplicates. A comment of a user erased after it was
// written is acknowledged without a decision, so a redelivery or a replay does not bring the
// user's data back.
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
	if errors.Is(err, ErrErased) {
		s.cfg.Logger.InfoContext(ctx, "comment of an erased user dropped", "tenant", c.GetTenant(), "platform", comments.PlatformName(c.GetPlatform()))
		return nil
	}
	if err != nil {
		return err
	}
	if err := s.record(ctx, d); err != nil {
		return err
	}
	if err := s.publish(ctx, d); err != nil {
		return err
	}
	// Ids, codes and the pseudonym only: never the text or the platform's user id.
	s.cfg.Logger.DebugContext(ctx, "decision published", "tenant", c.GetTenant(), "decision_id", d.GetDecisionId(),
		"pseudonym", d.GetComment().GetAuthor().GetPseudonym(), "actions", d.GetActionCodes(),
		"held", len(d.GetHeldActions()), "redelivered", msg.NumDelivered > 1)
	return nil
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
	return decisionID(comments.PlatformName(c.GetPlatform()), c.GetCommentId())
}

func decisionID(platform, commentID string) string {
	return "decision:" + platform + ":" + commentID
}

// ErrErased is returned by Decide for a comment written before its author's data was erased.
var ErrErased = errors.New("the comment's author has been erased")

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
	platform := comments.PlatformName(c.GetPlatform())
	if c.GetAuthor().GetPseudonym() == "" {
		c.Author = proto.Clone(orEmpty(c.GetAuthor())).(*commentv1.Author)
		c.Author.Pseudonym = s.cfg.Pseudonyms.Of(c.GetTenant(), platform, c.GetAuthor().GetId())
	}
	now := s.cfg.Now()
	at := now
	if ts := c.GetCreatedAt(); ts != nil && ts.IsValid() {
		at = ts.AsTime()
	}
	u := s.keys.user(c.GetTenant(), c.GetAuthor().GetPseudonym(), platform)
	key := s.keys.decision(c.GetTenant(), DecisionID(c))
	var stored *redis.StringCmd
	var erased *redis.StringCmd
	_, err := s.cfg.Redis.Pipelined(ctx, func(p redis.Pipeliner) error {
		stored = p.Get(ctx, key)
		erased = p.Get(ctx, u.erased())
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("read decision: %w", err)
	}
	if ms, err := erased.Int64(); err == nil && !at.After(time.UnixMilli(ms)) {
		return nil, ErrErased
	}
	if data, err := stored.Bytes(); err == nil {
		var d sanctionsv1.Decision
		if err := proto.Unmarshal(data, &d); err == nil {
			span.SetAttributes(attribute.Bool("piazza.redelivered", true))
			return &d, nil
		}
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

// hit is one violated category and the counter its strike goes to.
type hit struct {
	cat   *policy.Category
	group string
}

// apply climbs the ladders of the violated categories and builds the decision.
func (s *Service) apply(ctx context.Context, tenant *policy.Tenant, c *commentv1.Comment, v *classifierv1.Verdict, at, now time.Time) (*sanctionsv1.Decision, error) {
	hits, vs := violations(tenant, v)
	counts, err := s.strikes.Record(ctx, strikeSubject(c), c.GetCommentId(), at, now, vs)
	if err != nil {
		return nil, err
	}
	return s.build(tenant, c, v, hits, counts, now), nil
}

// strikeSubject names the comment's author for the strike counters.
func strikeSubject(c *commentv1.Comment) strikes.Subject {
	return strikes.Subject{Tenant: c.GetTenant(), Platform: comments.PlatformName(c.GetPlatform()), Pseudonym: c.GetAuthor().GetPseudonym()}
}

// violations lists the tenant's categories the verdict violates and the strikes they count:
// one per group, with the longest window among its categories.
func violations(tenant *policy.Tenant, v *classifierv1.Verdict) ([]hit, []strikes.Violation) {
	var hits []hit
	seenCat := map[string]bool{}
	for _, cs := range v.GetCategories() {
		if nonViolations[cs.GetCategory()] || seenCat[cs.GetCategory()] {
			continue
		}
		cat, ok := tenant.Categories[cs.GetCategory()]
		if !ok {
			continue
		}
		seenCat[cat.Code] = true
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
	return hits, vs
}

// build makes the decision from the violated categories and the strike numbers the comment got.
func (s *Service) build(tenant *policy.Tenant, c *commentv1.Comment, v *classifierv1.Verdict, hits []hit, counts []strikes.Count, now time.Time) *sanctionsv1.Decision {
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
	// articles collects, per action code, the articles of the steps that asked for it, so that
	// each action cites the rule that caused it.
	articles := map[string][]string{}
	var blk blockSpec
	for _, h := range hits {
		n := countOf[h.group]
		sc := &sanctionsv1.StrikeCount{Category: h.cat.Code, Count: int32(n), Article: h.cat.Article, Group: h.group, Title: h.cat.Title}
		if step, idx, ok := h.cat.StepFor(n); ok {
			sc.Step = int32(idx)
			sc.StepActions = append([]string(nil), step.Actions...)
			for _, a := range step.Actions {
				codesSet[a] = true
				articles[a] = appendUnique(articles[a], h.cat.Article)
			}
			if step.Has("block") {
				blk.add(step.BlockFor)
				if step.BlockFor > 0 {
					sc.BlockFor = durationpb.New(step.BlockFor)
				} else {
					sc.BlockIndefinite = true
				}
			}
		}
		d.Strikes = append(d.Strikes, sc)
		if h.cat.NoReply {
			d.NoReply = true
		}
	}
	// A tenant that reviews anonymous authors (Crespiatica: "si valuterà se ... ci siano validi
	// motivi per mantenere la condizione di anonimato") sends every post of an anonymous or fake
	// profile to a person, whether or not it breaks a rule; anonymity alone never removes it.
	if c.GetAuthor().GetAnonymous() && tenant.Anonymous == "review" {
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
	all := s.platformActions(tenant, c, d, codesSet, blk, articles)
	if d.Review {
		d.Actions, d.HeldActions = holdForReview(d, all)
	} else {
		d.Actions = all
	}
	return d
}

// blockSpec merges the blocks of several steps: an indefinite block wins over any duration,
// otherwise the longest duration wins.
type blockSpec struct {
	on         bool
	indefinite bool
	longest    time.Duration
}

func (b *blockSpec) add(d time.Duration) {
	b.on = true
	if d <= 0 {
		b.indefinite = true
	}
	if d > b.longest {
		b.longest = d
	}
}

func (b blockSpec) duration() time.Duration {
	if b.indefinite {
		return 0
	}
	return b.longest
}

func appendUnique(xs []string, x string) []string {
	if x == "" {
		return xs
	}
	for _, v := range xs {
		if v == x {
			return xs
		}
	}
	return append(xs, x)
}

// irreversible are the effects no later step of Piazza can undo; under review they wait for an
// operator.
var irreversible = map[actionv1.Kind]bool{
	actionv1.Kind_KIND_DELETE:          true,
	actionv1.Kind_KIND_BLOCK:           true,
	actionv1.Kind_KIND_REPORT_PLATFORM: true,
}

// holdForReview splits a decision's actions into those requested at once and those held for the
// operator. When a deletion is held and the step does not already hide the comment, the comment
// is hidden meanwhile (reversible), so that content the policy removes does not stay in public
// view while it waits for a human.
func holdForReview(d *sanctionsv1.Decision, all []*actionv1.Action) (now, held []*actionv1.Action) {
	hidden, heldDelete := false, false
	for _, a := range all {
		if irreversible[a.GetKind()] {
			held = append(held, a)
			heldDelete = heldDelete || a.GetKind() == actionv1.Kind_KIND_DELETE
			continue
		}
		hidden = hidden || a.GetKind() == actionv1.Kind_KIND_HIDE
		now = append(now, a)
	}
	if heldDelete && !hidden {
		del := hasKindIn(held, actionv1.Kind_KIND_DELETE)
		hide := proto.Clone(del).(*actionv1.Action)
		hide.Kind = actionv1.Kind_KIND_HIDE
		hide.ActionId = d.GetDecisionId() + ":review:" + comments.KindName(actionv1.Kind_KIND_HIDE)
		now = append(now, hide)
	}
	return now, held
}

// platformActions turns action codes into the effects the enforcer carries out, in a fixed order
// so that action ids are the same on every redelivery. Each action's reason cites the articles
// of the steps that asked for it.
func (s *Service) platformActions(tenant *policy.Tenant, c *commentv1.Comment, d *sanctionsv1.Decision, codesSet map[string]bool, blk blockSpec, articles map[string][]string) []*actionv1.Action {
	var out []*actionv1.Action
	add := func(code string, kind actionv1.Kind, text string) {
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
			Reason:     strings.Join(articles[code], "; "),
		}
		if kind == actionv1.Kind_KIND_BLOCK && blk.duration() > 0 {
			a.Duration = durationpb.New(blk.duration())
		}
		out = append(out, a)
	}
	if codesSet["warn"] {
		text, err := tenant.Render("warning", map[string]string{"article": strings.Join(articles["warn"], "; ")})
		if err == nil {
			kind := actionv1.Kind_KIND_REPLY
			if c.GetChannel() == commentv1.Channel_CHANNEL_PRIVATE_MESSAGE {
				kind = actionv1.Kind_KIND_PRIVATE_REPLY
			}
			add("warn", kind, text)
		}
	}
	if codesSet["hide"] {
		add("hide", actionv1.Kind_KIND_HIDE, "")
	}
	if codesSet["report_platform"] {
		add("report_platform", actionv1.Kind_KIND_REPORT_PLATFORM, "")
	}
	if codesSet["delete"] {
		add("delete", actionv1.Kind_KIND_DELETE, "")
	}
	if blk.on {
		add("block", actionv1.Kind_KIND_BLOCK, "")
	}
	return out
}

// record writes what the decision leaves in Redis besides the strikes: the user's index of
// decisions (for erasure), the review queue entry, and the block. Every write is idempotent and
// none undoes an operator's later work: a resolved review is not queued again and a lifted block
// is not recorded again.
func (s *Service) record(ctx context.Context, d *sanctionsv1.Decision) error {
	var rec recording
	_, err := s.cfg.Redis.Pipelined(ctx, func(p redis.Pipeliner) error {
		var err error
		rec, err = s.queueRecord(ctx, p, d)
		return err
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("record decision: %w", err)
	}
	return rec.err()
}

// recording is the commands queueRecord put on a pipeline for one decision.
type recording struct {
	cmds   []redis.Cmder
	queued *redis.Cmd
}

// err is the first failure among the recording's commands, once the pipeline has run.
func (r recording) err() error {
	for _, c := range r.cmds {
		if err := c.Err(); err != nil && !errors.Is(err, redis.Nil) {
			return fmt.Errorf("record decision: %w", err)
		}
	}
	if r.queued != nil && r.queued.Err() != nil && !errors.Is(r.queued.Err(), redis.Nil) {
		return fmt.Errorf("queue review: %w", r.queued.Err())
	}
	return nil
}

// queueRecord queues on p the writes record makes for d.
func (s *Service) queueRecord(ctx context.Context, p redis.Pipeliner, d *sanctionsv1.Decision) (recording, error) {
	c := d.GetComment()
	u := s.keys.user(c.GetTenant(), c.GetAuthor().GetPseudonym(), comments.PlatformName(c.GetPlatform()))
	var rec recording
	rec.cmds = append(rec.cmds, p.SAdd(ctx, u.decisions(), d.GetDecisionId()))
	if d.GetReview() {
		data, err := proto.Marshal(d)
		if err != nil {
			return rec, fmt.Errorf("encode decision: %w", err)
		}
		t := s.keys.tenant(c.GetTenant())
		rec.queued = enqueueReview.Eval(ctx, p, []string{t.reviews(), t.review(d.GetDecisionId()), t.resolved(d.GetDecisionId())},
			d.GetDecidedAt().AsTime().UnixMilli(), d.GetDecisionId(), data)
	}
	if block := hasKind(d, actionv1.Kind_KIND_BLOCK); block != nil {
		rec.cmds = append(rec.cmds, s.recordBlock(ctx, p, u, d.GetDecisionId(), block))
	}
	return rec, nil
}

// recordBlock queues the write of a user's block on p.
func (s *Service) recordBlock(ctx context.Context, p redis.Pipeliner, u userKeys, decisionID string, block *actionv1.Action) *redis.Cmd {
	var ttl int64
	if block.GetDuration() != nil {
		ttl = block.GetDuration().AsDuration().Milliseconds()
	}
	return setBlock.Eval(ctx, p, []string{u.blocked(), u.unblocked(decisionID)}, decisionID, ttl)
}

// enqueueReview puts a decision in the tenant's review queue unless it has been resolved.
var enqueueReview = redis.NewScript(`
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
redis.call('SET', KEYS[2], ARGV[3])
redis.call('ZADD', KEYS[1], 'NX', ARGV[1], ARGV[2])
return 1
`)

// setBlock records a block unless an operator lifted this decision's block.
var setBlock = redis.NewScript(`
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
local ttl = tonumber(ARGV[2])
if ttl > 0 then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
else
  redis.call('SET', KEYS[1], ARGV[1])
end
return 1
`)

func (s *Service) publish(ctx context.Context, d *sanctionsv1.Decision) error {
	// The decision and its actions go out together and are acknowledged together: one round
	// trip instead of one per message. A failure retries the whole batch under the same ids.
	if err := s.cfg.Publisher.PublishBatch(ctx, appendOutgoing(nil, d, nil)); err != nil {
		return err
	}
	s.count(ctx, d)
	return nil
}

// appendOutgoing appends what publishing d sends: the decision first, so that the evidence is in
// the audit log before any deletion is requested, then each of its actions for the enforcer.
// data, when not nil, is d already encoded.
func appendOutgoing(out []bus.Outgoing, d *sanctionsv1.Decision, data []byte) []bus.Outgoing {
	out = append(out, bus.Outgoing{Subject: decisions.Subject(d), MsgID: d.GetDecisionId(), Msg: d, Data: data})
	tenant := d.GetComment().GetTenant()
	for _, a := range d.GetActions() {
		out = append(out, bus.Outgoing{Subject: bus.ActionRequested(tenant), MsgID: a.GetActionId(), Msg: a})
	}
	return out
}

// count adds a published decision and its action codes to the metrics.
func (s *Service) count(ctx context.Context, d *sanctionsv1.Decision) {
	tenant := d.GetComment().GetTenant()
	violating := "false"
	if len(d.GetStrikes()) > 0 {
		violating = "true"
	}
	s.decisions.Add(ctx, 1, s.decisionAttrs.Option(tenant, violating))
	for _, code := range d.GetActionCodes() {
		s.actions.Add(ctx, 1, s.actionAttrs.Option(tenant, code))
	}
}

func (s *Service) publishActions(ctx context.Context, tenant string, actions []*actionv1.Action) error {
	for _, a := range actions {
		if err := s.cfg.Publisher.Publish(ctx, bus.ActionRequested(tenant), a.GetActionId(), a); err != nil {
			return err
		}
	}
	return nil
}

func hasKindIn(actions []*actionv1.Action, k actionv1.Kind) *actionv1.Action {
	for _, a := range actions {
		if a.GetKind() == k {
			return a
		}
	}
	return nil
}

func hasKind(d *sanctionsv1.Decision, k actionv1.Kind) *actionv1.Action {
	return hasKindIn(d.GetActions(), k)
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
