package sanctions

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/piazza-pa/piazza/pkg/bus"
	"github.com/piazza-pa/piazza/pkg/comments"
	"github.com/piazza-pa/piazza/pkg/policy"
	"github.com/piazza-pa/piazza/pkg/telemetry"
	classifierv1 "github.com/piazza-pa/piazza/proto/gen/piazza/classifier/v1"
	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	sanctionsv1 "github.com/piazza-pa/piazza/proto/gen/piazza/sanctions/v1"
	"github.com/piazza-pa/piazza/services/sanctions/strikes"
)

// BatchSize is the most received comments HandleBatch is given at once, and BatchWait how long
// the consumer waits to fill a batch after its first comment. Under load the batches fill while
// the previous ones are being handled; at a moderate rate (a few thousand a second) a wait of
// 2 ms gathers several comments per batch instead of one, which cut the CPU a comment costs at
// 4,000 comments/s by about 7% and the p99 from publish to decision from 53-66 ms to 34-46 ms
// (BenchmarkPipeline's paced run), for at most 2 ms added to a lone comment. 10 ms, as routing
// and the enforcer wait, cut the whole machine's CPU per comment at 2,000 comments/s by a further
// 9% (0.67 against 0.70-0.77 ms, three runs each, interleaved), with no worse latency: on a
// machine that is busy, fuller batches leave less to queue behind.
const (
	BatchSize = 64
	BatchWait = 10 * time.Millisecond
)

// BatchConsumerSpec is ConsumerSpec for HandleBatch: room for batchesInHand batches in hand at
// once, so that some are waiting on a round trip while others are worked on. 16 batches of 64
// gave the highest throughput in BenchmarkPipeline among 2-16 batches of 32-128.
func BatchConsumerSpec() bus.ConsumerSpec {
	return ConsumerSpec().InBatches(batchesInHand, BatchSize)
}

// batchesInHand is how many batches one process handles at once.
const batchesInHand = 16

// smallBatch is the fewest undecided comments classified with one ClassifyBatch call; a lone
// comment is classified with Classify. (A ClassifyBatch call belongs to the batch's trace, and
// carries each comment's trace, in which the classifier records that comment's classification.)
// It was 8, when batched comments' traces had no classification span, but then at a
// moderate rate, where most batches hold a few comments, each of those cost a gRPC call: at
// 2,000 comments/s (BenchmarkPipeline's comments, paced) gRPC calls were 12% of the CPU, the
// classifier's own work included. With 2 the CPU per comment is about 4% lower, and the latency
// is the same within this VM's noise.
const smallBatch = 2

// TracedPublisher is a Publisher that can publish a batch whose messages continue different
// traces (bus.Publisher is one). HandleBatch uses it when the configured Publisher is one, so
// that each decision continues its comment's trace; otherwise it publishes with PublishBatch.
type TracedPublisher = bus.TracedPublisher

// item is one received comment of a batch on its way to a decision.
type item struct {
	msg    *bus.Message
	ctx    context.Context
	span   trace.Span
	c      *commentv1.Comment
	tenant *policy.Tenant
	at     time.Time
	now    time.Time
	key    string
	// err is the comment's outcome when it fails; erased marks a comment dropped without a
	// decision; d is its decision once made or read back.
	err    error
	erased bool
	d      *sanctionsv1.Decision
	// data is d as stored in Redis, when this consumer stored it: published as it is.
	data []byte
	// verdict, hits and counts are the steps of a new decision.
	verdict *classifierv1.Verdict
	hits    []hit
	vs      []strikes.Violation
	counts  []strikes.Count
	// follows is the index of the earlier message of the batch carrying the same comment,
	// or -1.
	follows int
}

// HandleBatch decides a batch of received comments with one round trip per step for the whole
// batch: one pipeline reads their stored decisions and erasures, one ClassifyBatch call
// classifies the undecided ones, one pipeline records their strikes, one stores the decisions,
// one records their effects, and one publish sends every decision and action. Each comment gets
// the outcome HandleComment would give it, in order: nil once its decision is published (or it
// was dropped as an erased user's), bus.Permanent for poison, another error to retry it alone
// later. The semantics and idempotency are HandleComment's; two messages of the batch carrying
// the same comment get one decision.
func (s *Service) HandleBatch(ctx context.Context, msgs []*bus.Message) []error {
	items := make([]*item, len(msgs))
	byKey := map[string]int{}
	for i, m := range msgs {
		it := &item{msg: m, ctx: m.Context(), follows: -1}
		items[i] = it
		s.prepare(it)
		if it.err != nil {
			continue
		}
		if j, ok := byKey[it.key]; ok {
			it.follows = j
			continue
		}
		byKey[it.key] = i
	}
	defer func() {
		for _, it := range items {
			if it.span != nil {
				it.span.End()
			}
		}
	}()
	ok := func(it *item) bool { return it.err == nil }
	s.readStored(ctx, filter(items, func(it *item) bool { return it.err == nil && it.follows < 0 }))
	undecided := filter(items, func(it *item) bool { return it.err == nil && it.follows < 0 && !it.erased && it.d == nil })
	s.classify(ctx, undecided)
	s.recordStrikes(ctx, filter(undecided, ok))
	s.storeDecisions(ctx, filter(undecided, ok))
	decided := filter(items, func(it *item) bool { return it.err == nil && it.follows < 0 && it.d != nil })
	s.recordEffects(ctx, decided)
	s.publishDecisions(ctx, filter(decided, ok))

	errs := make([]error, len(items))
	for i, it := range items {
		src := it
		if it.follows >= 0 {
			src = items[it.follows]
		}
		errs[i] = src.err
		switch {
		case src.err != nil:
		case src.erased:
			s.cfg.Logger.InfoContext(it.ctx, "comment of an erased user dropped", "tenant", src.c.GetTenant(), "platform", comments.PlatformName(src.c.GetPlatform()))
		default:
			d := src.d
			// Ids, codes and the pseudonym only: never the text or the platform's user id.
			s.cfg.Logger.DebugContext(it.ctx, "decision published", "tenant", d.GetComment().GetTenant(), "decision_id", d.GetDecisionId(),
				"pseudonym", d.GetComment().GetAuthor().GetPseudonym(), "actions", d.GetActionCodes(),
				"held", len(d.GetHeldActions()), "redelivered", it.msg.NumDelivered > 1)
		}
	}
	return errs
}

// filter returns the items that keep holds.
func filter(items []*item, keep func(*item) bool) []*item {
	var out []*item
	for _, it := range items {
		if keep(it) {
			out = append(out, it)
		}
	}
	return out
}

// prepare decodes and checks the comment and names what the decision needs, as HandleComment
// and Decide do before their first round trip.
func (s *Service) prepare(it *item) {
	var c commentv1.Comment
	if err := proto.Unmarshal(it.msg.Data, &c); err != nil {
		it.err = bus.Permanent(fmt.Errorf("decode comment: %w", err))
		return
	}
	subjTenant, _, _, _ := bus.ParseSubject(it.msg.Subject)
	if err := validComment(&c, subjTenant); err != nil {
		it.err = bus.Permanent(err)
		return
	}
	it.ctx, it.span = s.tracer.Start(it.ctx, "sanctions.decide", trace.WithAttributes(
		attribute.String("piazza.tenant", c.GetTenant()),
		attribute.String("piazza.platform", comments.PlatformName(c.GetPlatform())),
	))
	tenant, ok := s.cfg.Policies.Tenant(c.GetTenant())
	if !ok {
		it.err = bus.Permanent(fmt.Errorf("unknown tenant %q", c.GetTenant()))
		return
	}
	platform := comments.PlatformName(c.GetPlatform())
	if c.GetAuthor().GetPseudonym() == "" {
		c.Author = proto.Clone(orEmpty(c.GetAuthor())).(*commentv1.Author)
		c.Author.Pseudonym = s.cfg.Pseudonyms.Of(c.GetTenant(), platform, c.GetAuthor().GetId())
	}
	it.c, it.tenant = &c, tenant
	it.now = s.cfg.Now()
	it.at = it.now
	if ts := c.GetCreatedAt(); ts != nil && ts.IsValid() {
		it.at = ts.AsTime()
	}
	it.key = s.keys.decision(c.GetTenant(), DecisionID(&c))
}

// readStored reads, in one pipeline, each comment's stored decision and its author's erasure:
// an erased author's comment is dropped, a stored decision is replayed.
func (s *Service) readStored(ctx context.Context, items []*item) {
	if len(items) == 0 {
		return
	}
	stored := make([]*redis.StringCmd, len(items))
	erased := make([]*redis.StringCmd, len(items))
	_, _ = s.cfg.Redis.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, it := range items {
			u := s.keys.user(it.c.GetTenant(), it.c.GetAuthor().GetPseudonym(), comments.PlatformName(it.c.GetPlatform()))
			stored[i] = p.Get(ctx, it.key)
			erased[i] = p.Get(ctx, u.erased())
		}
		return nil
	})
	for i, it := range items {
		for _, cmd := range []*redis.StringCmd{stored[i], erased[i]} {
			if err := cmd.Err(); err != nil && !errors.Is(err, redis.Nil) {
				it.err = fmt.Errorf("read decision: %w", err)
			}
		}
		if it.err != nil {
			continue
		}
		if ms, err := erased[i].Int64(); err == nil && !it.at.After(time.UnixMilli(ms)) {
			it.erased = true
			continue
		}
		if data, err := stored[i].Bytes(); err == nil {
			var d sanctionsv1.Decision
			if err := proto.Unmarshal(data, &d); err == nil {
				it.span.SetAttributes(attribute.Bool("piazza.redelivered", true))
				it.d = &d
			}
		}
	}
}

// classify gets the verdicts of the undecided comments: with one ClassifyBatch call, or for a lone
// comment with Classify.
func (s *Service) classify(ctx context.Context, items []*item) {
	if len(items) == 0 {
		return
	}
	if len(items) < smallBatch {
		s.classifyEach(items)
		return
	}
	req := &classifierv1.ClassifyBatchRequest{Comments: make([]*commentv1.Comment, len(items))}
	traces := make([]context.Context, len(items))
	for i, it := range items {
		req.Comments[i] = it.c
		traces[i] = it.ctx
	}
	// Each comment's trace goes along, so that its classification is a span of that trace.
	cctx, cancel := context.WithTimeout(telemetry.WithItemTraces(ctx, traces), s.cfg.ClassifyTimeout)
	resp, err := s.cfg.Classifier.ClassifyBatch(cctx, req)
	cancel()
	if err == nil && len(resp.GetVerdicts()) != len(items) {
		err = fmt.Errorf("%d verdicts for %d comments", len(resp.GetVerdicts()), len(items))
	}
	if err != nil {
		if permanentClassifyError(err) {
			// One comment spoils the batch: ask for each alone, so that only it is poison.
			s.classifyEach(items)
			return
		}
		for _, it := range items {
			it.err = fmt.Errorf("classify comment: %w", err)
		}
		return
	}
	for i, it := range items {
		it.verdict = resp.GetVerdicts()[i]
	}
}

// classifyEach classifies each comment with its own call, all at once, in the comment's trace.
func (s *Service) classifyEach(items []*item) {
	var wg sync.WaitGroup
	for _, it := range items {
		wg.Add(1)
		go func(it *item) {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(it.ctx, s.cfg.ClassifyTimeout)
			resp, err := s.cfg.Classifier.Classify(cctx, &classifierv1.ClassifyRequest{Comment: it.c})
			cancel()
			switch {
			case err != nil && permanentClassifyError(err):
				it.err = bus.Permanent(fmt.Errorf("classify comment: %w", err))
			case err != nil:
				it.err = fmt.Errorf("classify comment: %w", err)
			default:
				it.verdict = resp.GetVerdict()
			}
		}(it)
	}
	wg.Wait()
}

// permanentClassifyError reports whether the classifier refused the comment itself.
func permanentClassifyError(err error) bool {
	st, ok := status.FromError(err)
	return ok && (st.Code() == codes.InvalidArgument || st.Code() == codes.NotFound)
}

// recordStrikes counts the classified comments' strikes in one pipeline and builds their
// decisions.
func (s *Service) recordStrikes(ctx context.Context, items []*item) {
	if len(items) == 0 {
		return
	}
	batch := make([]strikes.Strike, len(items))
	for i, it := range items {
		it.hits, it.vs = violations(it.tenant, it.verdict)
		batch[i] = strikes.Strike{Subject: strikeSubject(it.c), CommentID: it.c.GetCommentId(), At: it.at, Now: it.now, Violations: it.vs}
	}
	counts, err := s.strikes.RecordBatch(ctx, batch)
	for i, it := range items {
		if err != nil {
			it.err = err
			continue
		}
		it.counts = counts[i]
		it.d = s.build(it.tenant, it.c, it.verdict, it.hits, it.counts, it.now)
	}
}

// storeDecisions stores the new decisions in one pipeline, each unless another consumer stored
// one first; that one is read back and is the decision.
func (s *Service) storeDecisions(ctx context.Context, items []*item) {
	items = filter(items, func(it *item) bool { return it.err == nil })
	if len(items) == 0 {
		return
	}
	data := make([][]byte, len(items))
	for i, it := range items {
		b, err := proto.Marshal(it.d)
		if err != nil {
			it.err = fmt.Errorf("encode decision: %w", err)
		}
		data[i] = b
	}
	sets := make([]*redis.StatusCmd, len(items))
	_, _ = s.cfg.Redis.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, it := range items {
			if it.err == nil {
				sets[i] = p.SetArgs(ctx, it.key, data[i], redis.SetArgs{Mode: "NX", TTL: s.cfg.DecisionTTL})
			}
		}
		return nil
	})
	var lost []*item
	for i, it := range items {
		if it.err != nil {
			continue
		}
		set, err := sets[i].Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			it.err = fmt.Errorf("store decision: %w", err)
			continue
		}
		if set != "OK" {
			lost = append(lost, it)
			continue
		}
		it.data = data[i]
	}
	s.readBack(ctx, lost)
	for _, it := range items {
		if it.err == nil {
			it.span.SetAttributes(attribute.StringSlice("piazza.categories", codesOf(it.verdict)), attribute.StringSlice("piazza.actions", it.d.GetActionCodes()))
		}
	}
}

// readBack replaces the decisions another consumer stored first with theirs.
func (s *Service) readBack(ctx context.Context, items []*item) {
	if len(items) == 0 {
		return
	}
	gets := make([]*redis.StringCmd, len(items))
	_, _ = s.cfg.Redis.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, it := range items {
			gets[i] = p.Get(ctx, it.key)
		}
		return nil
	})
	for i, it := range items {
		stored, err := gets[i].Bytes()
		if err != nil {
			it.err = fmt.Errorf("read decision: %w", err)
			continue
		}
		var prev sanctionsv1.Decision
		if err := proto.Unmarshal(stored, &prev); err != nil {
			it.err = fmt.Errorf("decode stored decision: %w", err)
			continue
		}
		it.d = &prev
	}
}

// recordEffects writes in one pipeline what record writes for each decision.
func (s *Service) recordEffects(ctx context.Context, items []*item) {
	if len(items) == 0 {
		return
	}
	recs := make([]recording, len(items))
	_, _ = s.cfg.Redis.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, it := range items {
			var err error
			if recs[i], err = s.queueRecord(ctx, p, it.d); err != nil {
				it.err = err
			}
		}
		return nil
	})
	for i, it := range items {
		if it.err == nil {
			it.err = recs[i].err()
		}
	}
}

// publishDecisions publishes every decision and its actions at once, each in its comment's trace
// when the publisher can, and counts them once published. A failure retries them all, under the
// same message ids.
func (s *Service) publishDecisions(ctx context.Context, items []*item) {
	if len(items) == 0 {
		return
	}
	var batch []bus.TracedOutgoing
	var one []bus.Outgoing
	for _, it := range items {
		one = appendOutgoing(one[:0], it.d, it.data)
		for _, o := range one {
			batch = append(batch, bus.TracedOutgoing{Ctx: it.ctx, Outgoing: o})
		}
	}
	var err error
	if tp, ok := s.cfg.Publisher.(TracedPublisher); ok {
		err = tp.PublishTraced(ctx, batch)
	} else {
		plain := make([]bus.Outgoing, len(batch))
		for i, o := range batch {
			plain[i] = o.Outgoing
		}
		err = s.cfg.Publisher.PublishBatch(ctx, plain)
	}
	for _, it := range items {
		if err != nil {
			it.err = err
			continue
		}
		s.count(it.ctx, it.d)
	}
}
