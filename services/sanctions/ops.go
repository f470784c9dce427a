package sanctions

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/piazza-pa/piazza/pkg/bus"
	"github.com/piazza-pa/piazza/pkg/comments"
	"github.com/piazza-pa/piazza/pkg/policy"
	actionv1 "github.com/piazza-pa/piazza/proto/gen/piazza/action/v1"
	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	sanctionsv1 "github.com/piazza-pa/piazza/proto/gen/piazza/sanctions/v1"
	"github.com/piazza-pa/piazza/services/sanctions/strikes"
)

// Events of the audit log published by the operations, on piazza.<tenant>.decision.<event>,
// and the erasure subject piazza.<tenant>.user.erased.
const (
	EventPardoned  = "pardoned"
	EventUnblocked = "unblocked"
	EventAppealed  = "appealed"
	EventReviewed  = "reviewed"
	EntityUser     = "user"
	EventErased    = "erased"
)

// UserErased is the subject of a tenant's erasure events.
func UserErased(tenant string) string { return bus.Subject(tenant, EntityUser, EventErased) }

// maxNote bounds the free text of a reason, grounds or operator name.
const maxNote = 2000

// userRef names a user in a request.
type userRef struct {
	Tenant    string
	Platform  commentv1.Platform
	UserID    string
	Pseudonym string
}

// resolve checks a request's tenant and user and returns the tenant's policy and the user.
func (s *Service) resolve(r userRef) (*policy.Tenant, strikes.Subject, error) {
	tenant, ok := s.cfg.Policies.Tenant(r.Tenant)
	if !ok {
		return nil, strikes.Subject{}, notFound("unknown tenant %q", r.Tenant)
	}
	if r.Platform == commentv1.Platform_PLATFORM_UNSPECIFIED {
		return nil, strikes.Subject{}, invalid("platform is required")
	}
	platform := comments.PlatformName(r.Platform)
	pseud := r.Pseudonym
	if r.UserID != "" {
		pseud = s.cfg.Pseudonyms.Of(tenant.Code, platform, r.UserID)
	}
	if pseud == "" {
		return nil, strikes.Subject{}, invalid("user_id or pseudonym is required")
	}
	if !validPseudonym(pseud) {
		return nil, strikes.Subject{}, invalid("pseudonym must be letters and digits, at most 64")
	}
	return tenant, strikes.Subject{Tenant: tenant.Code, Platform: platform, Pseudonym: pseud}, nil
}

func validPseudonym(p string) bool {
	if len(p) > 64 {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// who checks the reason and operator every change carries.
func who(reason, operator string) error {
	for _, f := range []struct{ name, value string }{{"reason", reason}, {"operator", operator}} {
		switch {
		case strings.TrimSpace(f.value) == "":
			return invalid("%s is required", f.name)
		case len(f.value) > maxNote || !utf8.ValidString(f.value):
			return invalid("%s must be valid UTF-8 of at most %d bytes", f.name, maxNote)
		}
	}
	return nil
}

func (s *Service) userKeys(sub strikes.Subject) userKeys {
	return s.keys.user(sub.Tenant, sub.Pseudonym, sub.Platform)
}

func (s *Service) publishEvent(ctx context.Context, subject string, ev *sanctionsv1.AuditEvent) error {
	if err := s.cfg.Publisher.Publish(ctx, subject, ev.GetEventId(), ev); err != nil {
		return unavailable("publish audit event", err)
	}
	return nil
}

// UserRecord returns a user's strikes inside the windows, block state, appeals and history.
func (s *Service) UserRecord(ctx context.Context, req *sanctionsv1.GetUserRecordRequest) (*sanctionsv1.GetUserRecordResponse, error) {
	tenant, sub, err := s.resolve(userRef{req.GetTenant(), req.GetPlatform(), req.GetUserId(), req.GetPseudonym()})
	if err != nil {
		return nil, err
	}
	hist, err := s.strikes.History(ctx, sub)
	if err != nil {
		return nil, unavailable("read strikes", err)
	}
	now := s.cfg.Now()
	resp := &sanctionsv1.GetUserRecordResponse{Tenant: tenant.Code, Pseudonym: sub.Pseudonym}
	windows := groupWindows(tenant)
	counts := map[string]int32{}
	for _, e := range hist {
		if e.Platform != sub.Platform {
			continue
		}
		if w, ok := windows[e.Group]; ok && e.At.Before(now.Add(-w)) {
			continue
		}
		counts[e.Group]++
		resp.History = append(resp.History, &sanctionsv1.UserRecordEntry{Category: e.Group, CommentId: e.CommentID, At: timestamppb.New(e.At)})
	}
	sort.SliceStable(resp.History, func(i, j int) bool { return resp.History[i].GetAt().AsTime().Before(resp.History[j].GetAt().AsTime()) })
	for group, n := range counts {
		resp.Strikes = append(resp.Strikes, &sanctionsv1.StrikeCount{Category: group, Group: group, Count: n})
	}
	sort.Slice(resp.Strikes, func(i, j int) bool { return resp.Strikes[i].GetCategory() < resp.Strikes[j].GetCategory() })

	u := s.userKeys(sub)
	var blocked *redis.StringCmd
	var ttl *redis.DurationCmd
	var appeals *redis.MapStringStringCmd
	_, err = s.cfg.Redis.Pipelined(ctx, func(p redis.Pipeliner) error {
		blocked = p.Get(ctx, u.blocked())
		ttl = p.PTTL(ctx, u.blocked())
		appeals = p.HGetAll(ctx, u.appeals())
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, unavailable("read block", err)
	}
	if id, err := blocked.Result(); err == nil {
		resp.Blocked, resp.BlockDecisionId = true, id
		if d := ttl.Val(); d > 0 {
			resp.BlockedUntil = timestamppb.New(now.Add(d))
		}
	}
	for _, data := range appeals.Val() {
		var ev sanctionsv1.AuditEvent
		if proto.Unmarshal([]byte(data), &ev) == nil {
			resp.Appeals = append(resp.Appeals, &ev)
		}
	}
	sort.Slice(resp.Appeals, func(i, j int) bool { return resp.Appeals[i].GetEventId() < resp.Appeals[j].GetEventId() })
	return resp, nil
}

// groupWindows gives each strike group's window: the longest of its categories.
func groupWindows(t *policy.Tenant) map[string]time.Duration {
	out := map[string]time.Duration{}
	for _, c := range t.Categories {
		g := c.Group
		if g == "" {
			g = c.Code
		}
		if c.Window > out[g] {
			out[g] = c.Window
		}
	}
	return out
}

// Pardon removes the strike a comment counted. The audit event is published before the strike
// is removed, with an id that repeating the pardon reproduces: a failure in between leaves the
// strike in place and the client's retry completes it without a second event.
func (s *Service) Pardon(ctx context.Context, req *sanctionsv1.PardonRequest) (*sanctionsv1.AuditEvent, error) {
	tenant, sub, err := s.resolve(userRef{req.GetTenant(), req.GetPlatform(), req.GetUserId(), req.GetPseudonym()})
	if err != nil {
		return nil, err
	}
	if req.GetCommentId() == "" {
		return nil, invalid("comment_id is required")
	}
	if err := who(req.GetReason(), req.GetOperator()); err != nil {
		return nil, err
	}
	var groups []string
	if cat := req.GetCategory(); cat != "" {
		g, ok := groupOf(tenant, cat)
		if !ok {
			return nil, invalid("tenant %s has no category or group %q", tenant.Code, cat)
		}
		groups = []string{g}
	} else if groups, err = s.strikes.Groups(ctx, sub); err != nil {
		return nil, unavailable("list strike groups", err)
	}
	found, err := s.strikes.Find(ctx, sub, req.GetCommentId(), groups)
	if err != nil {
		return nil, unavailable("find strike", err)
	}
	if len(found) == 0 {
		return nil, notFound("comment %s counts no strike for this user", req.GetCommentId())
	}
	sort.Strings(found)
	ev := &sanctionsv1.AuditEvent{
		EventId:    "pardon:" + tenant.Code + ":" + sub.Platform + ":" + req.GetCommentId() + ":" + strings.Join(found, ","),
		Tenant:     tenant.Code,
		Operation:  sanctionsv1.Operation_OPERATION_PARDON,
		Platform:   req.GetPlatform(),
		Pseudonym:  sub.Pseudonym,
		DecisionId: decisionID(sub.Platform, req.GetCommentId()),
		CommentId:  req.GetCommentId(),
		Groups:     found,
		Operator:   req.GetOperator(),
		Reason:     req.GetReason(),
		At:         timestamppb.New(s.cfg.Now()),
	}
	if err := s.publishEvent(ctx, bus.Subject(tenant.Code, bus.EntityDecision, EventPardoned), ev); err != nil {
		return nil, err
	}
	if _, err := s.strikes.Remove(ctx, sub, req.GetCommentId(), found); err != nil {
		return nil, unavailable("remove strike", err)
	}
	return ev, nil
}

// groupOf maps a category code, or a group name, to its strike counter.
func groupOf(t *policy.Tenant, code string) (string, bool) {
	if c, ok := t.Categories[code]; ok {
		if c.Group != "" {
			return c.Group, true
		}
		return c.Code, true
	}
	_, ok := groupWindows(t)[code]
	return code, ok
}

// Unblock lifts a user's block, publishing the audit event first (see Pardon) and leaving a
// marker so that a redelivery of the blocking comment does not block the user again.
func (s *Service) Unblock(ctx context.Context, req *sanctionsv1.UnblockRequest) (*sanctionsv1.AuditEvent, error) {
	tenant, sub, err := s.resolve(userRef{req.GetTenant(), req.GetPlatform(), req.GetUserId(), req.GetPseudonym()})
	if err != nil {
		return nil, err
	}
	if err := who(req.GetReason(), req.GetOperator()); err != nil {
		return nil, err
	}
	u := s.userKeys(sub)
	decision, err := s.cfg.Redis.Get(ctx, u.blocked()).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return nil, notFound("the user is not blocked")
	case err != nil:
		return nil, unavailable("read block", err)
	}
	ev := &sanctionsv1.AuditEvent{
		EventId:    "unblock:" + tenant.Code + ":" + decision,
		Tenant:     tenant.Code,
		Operation:  sanctionsv1.Operation_OPERATION_UNBLOCK,
		Platform:   req.GetPlatform(),
		Pseudonym:  sub.Pseudonym,
		DecisionId: decision,
		Operator:   req.GetOperator(),
		Reason:     req.GetReason(),
		At:         timestamppb.New(s.cfg.Now()),
	}
	if err := s.publishEvent(ctx, bus.Subject(tenant.Code, bus.EntityDecision, EventUnblocked), ev); err != nil {
		return nil, err
	}
	_, err = s.cfg.Redis.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, u.unblocked(decision), ev.GetEventId(), s.cfg.DecisionTTL)
		p.Del(ctx, u.blocked())
		return nil
	})
	if err != nil {
		return nil, unavailable("lift block", err)
	}
	return ev, nil
}

// storedDecision reads a decision kept for idempotency.
func (s *Service) storedDecision(ctx context.Context, tenant, id string) (*sanctionsv1.Decision, error) {
	data, err := s.cfg.Redis.Get(ctx, s.keys.decision(tenant, id)).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		return nil, notFound("no decision %s is kept (decisions are kept %s)", id, s.cfg.DecisionTTL)
	case err != nil:
		return nil, unavailable("read decision", err)
	}
	var d sanctionsv1.Decision
	if err := proto.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("decode decision %s: %w", id, err)
	}
	return &d, nil
}

// RegisterAppeal records a citizen's appeal against a decision: one per decision.
func (s *Service) RegisterAppeal(ctx context.Context, req *sanctionsv1.RegisterAppealRequest) (*sanctionsv1.AuditEvent, error) {
	tenant, ok := s.cfg.Policies.Tenant(req.GetTenant())
	if !ok {
		return nil, notFound("unknown tenant %q", req.GetTenant())
	}
	if req.GetPlatform() == commentv1.Platform_PLATFORM_UNSPECIFIED || req.GetCommentId() == "" {
		return nil, invalid("platform and comment_id are required")
	}
	if err := who(req.GetGrounds(), req.GetOperator()); err != nil {
		return nil, err
	}
	platform := comments.PlatformName(req.GetPlatform())
	id := decisionID(platform, req.GetCommentId())
	d, err := s.storedDecision(ctx, tenant.Code, id)
	if err != nil {
		return nil, err
	}
	pseud := d.GetComment().GetAuthor().GetPseudonym()
	ev := &sanctionsv1.AuditEvent{
		EventId:    "appeal:" + tenant.Code + ":" + id,
		Tenant:     tenant.Code,
		Operation:  sanctionsv1.Operation_OPERATION_APPEAL,
		Platform:   req.GetPlatform(),
		Pseudonym:  pseud,
		DecisionId: id,
		CommentId:  req.GetCommentId(),
		Operator:   req.GetOperator(),
		Reason:     req.GetGrounds(),
		At:         timestamppb.New(s.cfg.Now()),
	}
	data, err := proto.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("encode appeal: %w", err)
	}
	key := s.keys.user(tenant.Code, pseud, platform).appeals()
	set, err := s.cfg.Redis.HSetNX(ctx, key, id, data).Result()
	if err != nil {
		return nil, unavailable("store appeal", err)
	}
	if !set {
		prev, err := s.cfg.Redis.HGet(ctx, key, id).Bytes()
		if err != nil {
			return nil, unavailable("read appeal", err)
		}
		var old sanctionsv1.AuditEvent
		if err := proto.Unmarshal(prev, &old); err != nil {
			return nil, fmt.Errorf("decode appeal: %w", err)
		}
		if old.GetReason() != ev.GetReason() || old.GetOperator() != ev.GetOperator() {
			return nil, fmt.Errorf("%w: decision %s already has an appeal, registered at %s", ErrExists, id, old.GetAt().AsTime().Format(time.RFC3339))
		}
		ev = &old
	}
	// Published after the record so that a retry republishes the stored event with its id.
	if err := s.publishEvent(ctx, bus.Subject(tenant.Code, bus.EntityDecision, EventAppealed), ev); err != nil {
		return nil, err
	}
	return ev, nil
}

// ListReviews returns the tenant's decisions waiting for review, oldest first.
func (s *Service) ListReviews(ctx context.Context, req *sanctionsv1.ListReviewsRequest) ([]*sanctionsv1.Decision, error) {
	tenant, ok := s.cfg.Policies.Tenant(req.GetTenant())
	if !ok {
		return nil, notFound("unknown tenant %q", req.GetTenant())
	}
	limit := int64(req.GetLimit())
	switch {
	case limit < 0 || limit > 1000:
		return nil, invalid("limit must be between 0 and 1000")
	case limit == 0:
		limit = 100
	}
	t := s.keys.tenant(tenant.Code)
	ids, err := s.cfg.Redis.ZRange(ctx, t.reviews(), 0, limit-1).Result()
	if err != nil {
		return nil, unavailable("read review queue", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = t.review(id)
	}
	vals, err := s.cfg.Redis.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, unavailable("read reviews", err)
	}
	out := make([]*sanctionsv1.Decision, 0, len(vals))
	for i, v := range vals {
		str, ok := v.(string)
		if !ok {
			continue // resolved between the two reads
		}
		var d sanctionsv1.Decision
		if err := proto.Unmarshal([]byte(str), &d); err != nil {
			return nil, fmt.Errorf("decode review %s: %w", ids[i], err)
		}
		out = append(out, &d)
	}
	return out, nil
}

// ResolveReview confirms or keeps a decision under review. The resolution is claimed first
// (SET NX), so two operators cannot resolve one review two ways; its effects (held actions,
// block, strike removal) are idempotent and the audit event has a fixed id, so a retry after a
// failure completes them without doing anything twice.
func (s *Service) ResolveReview(ctx context.Context, req *sanctionsv1.ResolveReviewRequest) (*sanctionsv1.AuditEvent, error) {
	tenant, ok := s.cfg.Policies.Tenant(req.GetTenant())
	if !ok {
		return nil, notFound("unknown tenant %q", req.GetTenant())
	}
	if req.GetDecisionId() == "" {
		return nil, invalid("decision_id is required")
	}
	if err := who(req.GetReason(), req.GetOperator()); err != nil {
		return nil, err
	}
	t := s.keys.tenant(tenant.Code)
	id := req.GetDecisionId()
	op := sanctionsv1.Operation_OPERATION_REVIEW_KEPT
	if req.GetConfirm() {
		op = sanctionsv1.Operation_OPERATION_REVIEW_CONFIRMED
	}
	var review, resolved *redis.StringCmd
	_, err := s.cfg.Redis.Pipelined(ctx, func(p redis.Pipeliner) error {
		review = p.Get(ctx, t.review(id))
		resolved = p.Get(ctx, t.resolved(id))
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, unavailable("read review", err)
	}
	data, err := review.Bytes()
	if errors.Is(err, redis.Nil) {
		prev, perr := resolved.Bytes()
		if perr != nil {
			return nil, notFound("decision %s is not waiting for review", id)
		}
		// Resolved and completed before: the same answer again is a no-op.
		return s.sameResolution(prev, op)
	}
	var d sanctionsv1.Decision
	if err := proto.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("decode review %s: %w", id, err)
	}
	c := d.GetComment()
	ev := &sanctionsv1.AuditEvent{
		EventId:    "review:" + tenant.Code + ":" + id,
		Tenant:     tenant.Code,
		Operation:  op,
		Platform:   c.GetPlatform(),
		Pseudonym:  c.GetAuthor().GetPseudonym(),
		DecisionId: id,
		CommentId:  c.GetCommentId(),
		Operator:   req.GetOperator(),
		Reason:     req.GetReason(),
		At:         timestamppb.New(s.cfg.Now()),
	}
	if op == sanctionsv1.Operation_OPERATION_REVIEW_CONFIRMED {
		for _, a := range d.GetHeldActions() {
			ev.ActionIds = append(ev.ActionIds, a.GetActionId())
		}
	} else {
		for _, sc := range d.GetStrikes() {
			g := sc.GetGroup()
			if g == "" {
				g = sc.GetCategory()
			}
			ev.Groups = appendUnique(ev.Groups, g)
		}
	}
	evData, err := proto.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("encode review event: %w", err)
	}
	set, err := s.cfg.Redis.SetArgs(ctx, t.resolved(id), evData, redis.SetArgs{Mode: "NX", TTL: s.cfg.DecisionTTL}).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, unavailable("claim review", err)
	}
	if set != "OK" {
		prev, err := s.cfg.Redis.Get(ctx, t.resolved(id)).Bytes()
		if err != nil {
			return nil, unavailable("read resolution", err)
		}
		var old sanctionsv1.AuditEvent
		if err := proto.Unmarshal(prev, &old); err != nil {
			return nil, fmt.Errorf("decode resolution: %w", err)
		}
		if old.GetOperation() != op {
			return nil, fmt.Errorf("%w: decision %s was already resolved as %s", ErrConflict, id, old.GetOperation())
		}
		ev = &old // an earlier attempt claimed it and failed midway: finish its work
	}
	sub := strikes.Subject{Tenant: tenant.Code, Platform: comments.PlatformName(c.GetPlatform()), Pseudonym: c.GetAuthor().GetPseudonym()}
	if ev.GetOperation() == sanctionsv1.Operation_OPERATION_REVIEW_CONFIRMED {
		if err := s.publishActions(ctx, tenant.Code, d.GetHeldActions()); err != nil {
			return nil, unavailable("request held actions", err)
		}
		if block := hasKindIn(d.GetHeldActions(), actionv1.Kind_KIND_BLOCK); block != nil {
			_, err := s.cfg.Redis.Pipelined(ctx, func(p redis.Pipeliner) error {
				s.recordBlock(ctx, p, s.userKeys(sub), id, block)
				return nil
			})
			if err != nil {
				return nil, unavailable("record block", err)
			}
		}
	} else if _, err := s.strikes.Remove(ctx, sub, c.GetCommentId(), ev.GetGroups()); err != nil {
		return nil, unavailable("remove strikes", err)
	}
	if err := s.publishEvent(ctx, bus.Subject(tenant.Code, bus.EntityDecision, EventReviewed), ev); err != nil {
		return nil, err
	}
	_, err = s.cfg.Redis.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRem(ctx, t.reviews(), id)
		p.Del(ctx, t.review(id))
		return nil
	})
	if err != nil {
		return nil, unavailable("dequeue review", err)
	}
	return ev, nil
}

func (s *Service) sameResolution(prev []byte, op sanctionsv1.Operation) (*sanctionsv1.AuditEvent, error) {
	var old sanctionsv1.AuditEvent
	if err := proto.Unmarshal(prev, &old); err != nil {
		return nil, fmt.Errorf("decode resolution: %w", err)
	}
	if old.GetOperation() != op {
		return nil, fmt.Errorf("%w: decision %s was already resolved as %s", ErrConflict, old.GetDecisionId(), old.GetOperation())
	}
	return &old, nil
}

// EraseUser erases what sanctions keeps about a user (GDPR art. 17) and publishes the erasure
// event. The erasure time is remembered first, so that comments of the user written before it
// and still in the COMMENTS stream are dropped rather than decided again.
func (s *Service) EraseUser(ctx context.Context, req *sanctionsv1.EraseUserRequest) (*sanctionsv1.AuditEvent, error) {
	tenant, sub, err := s.resolve(userRef{req.GetTenant(), req.GetPlatform(), req.GetUserId(), req.GetPseudonym()})
	if err != nil {
		return nil, err
	}
	if err := who(req.GetReason(), req.GetOperator()); err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	u := s.userKeys(sub)
	if err := s.cfg.Redis.Set(ctx, u.erased(), now.UnixMilli(), s.cfg.ErasureMemory).Err(); err != nil {
		return nil, unavailable("record erasure", err)
	}
	removed := 0
	ids, err := s.cfg.Redis.SMembers(ctx, u.decisions()).Result()
	if err != nil {
		return nil, unavailable("read the user's decisions", err)
	}
	t := s.keys.tenant(tenant.Code)
	for chunk := range slices.Chunk(ids, 100) {
		var dels []*redis.IntCmd
		_, err := s.cfg.Redis.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, id := range chunk {
				dels = append(dels, p.Del(ctx, s.keys.decision(tenant.Code, id), t.review(id), t.resolved(id)))
				p.ZRem(ctx, t.reviews(), id)
			}
			return nil
		})
		if err != nil {
			return nil, unavailable("erase decisions", err)
		}
		for _, d := range dels {
			removed += int(d.Val())
		}
	}
	iter := s.cfg.Redis.Scan(ctx, 0, u.pattern(), 200).Iterator()
	var batch []string
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		n, err := s.cfg.Redis.Del(ctx, batch...).Result()
		removed += int(n)
		batch = batch[:0]
		return err
	}
	for iter.Next(ctx) {
		if strings.HasPrefix(iter.Val(), s.cfg.KeyPrefix+"erased:") {
			continue
		}
		// One DEL per key: keys of different platforms may sit in different slots.
		batch = append(batch, iter.Val())
		if err := flush(); err != nil {
			return nil, unavailable("erase records", err)
		}
	}
	if err := iter.Err(); err != nil {
		return nil, unavailable("scan records", err)
	}
	ev := &sanctionsv1.AuditEvent{
		EventId:        "erasure:" + tenant.Code + ":" + sub.Platform + ":" + sub.Pseudonym + ":" + strconv.FormatInt(now.UnixMilli(), 10),
		Tenant:         tenant.Code,
		Operation:      sanctionsv1.Operation_OPERATION_ERASURE,
		Platform:       req.GetPlatform(),
		Pseudonym:      sub.Pseudonym,
		Operator:       req.GetOperator(),
		Reason:         req.GetReason(),
		At:             timestamppb.New(now),
		RecordsRemoved: int32(removed),
	}
	if err := s.publishEvent(ctx, UserErased(tenant.Code), ev); err != nil {
		return nil, err
	}
	return ev, nil
}
