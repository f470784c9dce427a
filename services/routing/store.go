package routing

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/proto"

	routingv1 "github.com/piazza-pa/piazza/proto/gen/piazza/routing/v1"
)

// ErrNotFound is returned for a request that does not exist in the tenant.
var ErrNotFound = errors.New("request not found")

// errConflict means the request changed between read and write; the caller reads again.
var errConflict = errors.New("request changed concurrently")

type store struct {
	rdb    redis.UniversalClient
	prefix string
	opens  *opener
}

func (s *Service) store() store {
	return store{rdb: s.cfg.Redis, prefix: s.cfg.KeyPrefix, opens: s.opens}
}

func (st store) requestKey(tenant, id string) string {
	return st.prefix + "request:{" + tenant + "}:" + id
}
func (st store) eventsKey(tenant, id string) string {
	return st.prefix + "request-events:{" + tenant + "}:" + id
}
func (st store) indexKey(tenant string) string     { return st.prefix + "requests:{" + tenant + "}" }
func (st store) deadlinesKey(tenant string) string { return st.prefix + "deadlines:{" + tenant + "}" }
func (st store) leaseKey(tenant, id string) string {
	return st.prefix + "lease:{" + tenant + "}:" + id
}
func (st store) deliveredKey(tenant, notification, channel string) string {
	return st.prefix + "delivered:{" + tenant + "}:" + notification + ":" + channel
}
func (st store) recurringKey(tenant, week string) string {
	return st.prefix + "recurring:{" + tenant + "}:" + week
}

// tenantsKey is the set of tenants that have requests, for the scheduler to visit. It holds no
// hash tag: it is touched alone, never inside a script with a tenant's keys.
func (st store) tenantsKey() string { return st.prefix + "routing-tenants" }

// statsKey is a HASH of the tenant's request counts by "office|state".
func (st store) statsKey(tenant string) string { return st.prefix + "request-stats:{" + tenant + "}" }

// dueKey is a ZSET of the tenant's requests awaiting the office's answer, member "office|id",
// score the first-answer deadline: the overdue ones are those scored before now.
func (st store) dueKey(tenant string) string { return st.prefix + "request-due:{" + tenant + "}" }

// forget takes an erased request out of the counts and the awaiting set.
func (st store) forget(ctx context.Context, r *routingv1.Request) error {
	_, err := st.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HIncrBy(ctx, st.statsKey(r.GetTenant()), statsField(r), -1)
		if m := dueMember(r); m != "" {
			p.ZRem(ctx, st.dueKey(r.GetTenant()), m)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("erase request counts: %w", err)
	}
	return nil
}

// statsField is the request's field in the counts by office and state.
func statsField(r *routingv1.Request) string {
	return r.GetOffice() + "|" + strings.ToLower(strings.TrimPrefix(r.GetState().String(), "STATE_"))
}

// awaitingAnswer reports whether the office owes the request an answer on a running clock
// (the states overdue() looks at).
func awaitingAnswer(r *routingv1.Request) bool {
	switch r.GetState() {
	case routingv1.State_STATE_RECEIVED, routingv1.State_STATE_ACKNOWLEDGED, routingv1.State_STATE_ASSIGNED, routingv1.State_STATE_REOPENED:
		return r.GetFirstAnswerDue() != nil
	}
	return false
}

// dueMember is the request's member of the awaiting set, empty when it awaits nothing.
func dueMember(r *routingv1.Request) string {
	if !awaitingAnswer(r) {
		return ""
	}
	return r.GetOffice() + "|" + r.GetRequestId()
}

func dueScore(r *routingv1.Request) int64 {
	if !awaitingAnswer(r) {
		return 0
	}
	return r.GetFirstAnswerDue().AsTime().UnixMilli()
}

// openScript stores a new request with its first event, its indexes and its recurring-problem
// count, once: a second call for the same id changes nothing and returns 0.
var openScript = redis.NewScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX') == false then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[5])
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[5])
if ARGV[6] ~= '' then
  redis.call('ZINCRBY', KEYS[5], 1, ARGV[6])
  redis.call('EXPIRE', KEYS[5], ARGV[7])
end
redis.call('HINCRBY', KEYS[6], ARGV[8], 1)
if ARGV[9] ~= '' then redis.call('ZADD', KEYS[7], ARGV[10], ARGV[9]) end
return 1
`)

// recurringTTL keeps a week's counts for a year.
const recurringTTL = 53 * 7 * 24 * time.Hour

func (st store) open(ctx context.Context, req *routingv1.Request, ev *routingv1.RequestEvent, nextCheck time.Time, recurringMember string) (bool, error) {
	reqData, err := proto.Marshal(req)
	if err != nil {
		return false, fmt.Errorf("encode request: %w", err)
	}
	evData, err := proto.Marshal(ev)
	if err != nil {
		return false, fmt.Errorf("encode event: %w", err)
	}
	t, id := req.GetTenant(), req.GetRequestId()
	keys := []string{st.requestKey(t, id), st.eventsKey(t, id), st.indexKey(t), st.deadlinesKey(t), st.recurringKey(t, isoWeek(req.GetReceivedAt().AsTime())),
		st.statsKey(t), st.dueKey(t)}
	args := []any{reqData, evData, req.GetReceivedAt().AsTime().UnixMilli(), nextCheck.UnixMilli(), id,
		recurringMember, int64(recurringTTL / time.Second),
		statsField(req), dueMember(req), dueScore(req)}
	return st.opens.open(st.tenantsKey(), &openCall{ctx: ctx, tenant: t, keys: keys, args: args})
}

func (st store) get(ctx context.Context, tenant, id string) (*routingv1.Request, error) {
	b, err := st.rdb.Get(ctx, st.requestKey(tenant, id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read request: %w", err)
	}
	var r routingv1.Request
	if err := proto.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("decode request: %w", err)
	}
	return &r, nil
}

func (st store) history(ctx context.Context, tenant, id string) ([]*routingv1.RequestEvent, error) {
	raw, err := st.rdb.LRange(ctx, st.eventsKey(tenant, id), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	out := make([]*routingv1.RequestEvent, 0, len(raw))
	for _, b := range raw {
		var ev routingv1.RequestEvent
		if err := proto.Unmarshal([]byte(b), &ev); err != nil {
			return nil, fmt.Errorf("decode event: %w", err)
		}
		out = append(out, &ev)
	}
	return out, nil
}

// commitScript appends one event and stores the request it produced, only when the history
// still has the length the change was computed from (optimistic concurrency: two writers of
// the same version cannot both succeed). ARGV[4] is the next scheduler check in ms, or -1 to
// take the request off the schedule.
var commitScript = redis.NewScript(`
if redis.call('LLEN', KEYS[2]) ~= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('RPUSH', KEYS[2], ARGV[3])
if tonumber(ARGV[4]) < 0 then
  redis.call('ZREM', KEYS[3], ARGV[5])
else
  redis.call('ZADD', KEYS[3], ARGV[4], ARGV[5])
end
if ARGV[6] ~= ARGV[7] then
  redis.call('HINCRBY', KEYS[4], ARGV[6], -1)
  redis.call('HINCRBY', KEYS[4], ARGV[7], 1)
end
if ARGV[8] ~= '' then redis.call('ZREM', KEYS[5], ARGV[8]) end
if ARGV[9] ~= '' then redis.call('ZADD', KEYS[5], ARGV[10], ARGV[9]) end
return 1
`)

// commit stores next, the result of applying ev to prev (the request at version
// next.Version-1). nextCheck is when the scheduler looks at the request again; the zero time
// takes it off the schedule. The tenant's counts by office and state, and its set of requests
// awaiting an answer, change in the same script. It returns errConflict when another writer
// got there first.
func (st store) commit(ctx context.Context, prev, next *routingv1.Request, ev *routingv1.RequestEvent, nextCheck time.Time) error {
	reqData, err := proto.Marshal(next)
	if err != nil {
		return fmt.Errorf("encode request: %w", err)
	}
	evData, err := proto.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encode event: %w", err)
	}
	score := int64(-1)
	if !nextCheck.IsZero() {
		score = nextCheck.UnixMilli()
	}
	t, id := next.GetTenant(), next.GetRequestId()
	n, err := commitScript.Run(ctx, st.rdb,
		[]string{st.requestKey(t, id), st.eventsKey(t, id), st.deadlinesKey(t), st.statsKey(t), st.dueKey(t)},
		next.GetVersion()-1, reqData, evData, score, id,
		statsField(prev), statsField(next), dueMember(prev), dueMember(next), dueScore(next),
	).Int()
	if err != nil {
		return fmt.Errorf("commit request: %w", err)
	}
	if n == 0 {
		return errConflict
	}
	return nil
}

// reschedule sets when the scheduler looks at a request next, or takes it off the schedule.
func (st store) reschedule(ctx context.Context, tenant, id string, at time.Time) error {
	var err error
	if at.IsZero() {
		err = st.rdb.ZRem(ctx, st.deadlinesKey(tenant), id).Err()
	} else {
		err = st.rdb.ZAdd(ctx, st.deadlinesKey(tenant), redis.Z{Score: float64(at.UnixMilli()), Member: id}).Err()
	}
	if err != nil {
		return fmt.Errorf("reschedule request: %w", err)
	}
	return nil
}

// due returns up to limit requests of a tenant whose next check is at or before now.
func (st store) due(ctx context.Context, tenant string, now time.Time, limit int64) ([]string, error) {
	ids, err := st.rdb.ZRangeByScore(ctx, st.deadlinesKey(tenant), &redis.ZRangeBy{
		Min: "-inf", Max: fmt.Sprint(now.UnixMilli()), Count: limit,
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("due requests: %w", err)
	}
	return ids, nil
}

func (st store) tenants(ctx context.Context) ([]string, error) {
	ts, err := st.rdb.SMembers(ctx, st.tenantsKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("tenants with requests: %w", err)
	}
	return ts, nil
}

// lease is a short exclusive claim on one request, so that of several routing replicas only one
// works on it at a time. A lease that outlives its holder (a crash) expires by itself.
type lease struct {
	st    store
	key   string
	token string
}

var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

// acquire takes the lease on a request for ttl; ok is false when someone else holds it.
func (st store) acquire(ctx context.Context, tenant, id string, ttl time.Duration) (l lease, ok bool, err error) {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return lease{}, false, fmt.Errorf("lease token: %w", err)
	}
	l = lease{st: st, key: st.leaseKey(tenant, id), token: hex.EncodeToString(b[:])}
	ok, err = st.rdb.SetNX(ctx, l.key, l.token, ttl).Result()
	if err != nil {
		return lease{}, false, fmt.Errorf("acquire lease: %w", err)
	}
	return l, ok, nil
}

// release gives the lease back if it is still ours.
func (l lease) release(ctx context.Context) error {
	if err := releaseScript.Run(ctx, l.st.rdb, []string{l.key}, l.token).Err(); err != nil {
		return fmt.Errorf("release lease: %w", err)
	}
	return nil
}

// list returns ids newest first, starting at offset.
func (st store) list(ctx context.Context, tenant string, offset, count int64) ([]string, error) {
	ids, err := st.rdb.ZRevRange(ctx, st.indexKey(tenant), offset, offset+count-1).Result()
	if err != nil {
		return nil, fmt.Errorf("list requests: %w", err)
	}
	return ids, nil
}

func eventName(t routingv1.EventType) string {
	return strings.ToLower(strings.TrimPrefix(t.String(), "EVENT_TYPE_"))
}

// isoWeek names the ISO week of t (in UTC) by its Monday, YYYY-MM-DD.
func isoWeek(t time.Time) string {
	t = t.UTC()
	offset := (int(t.Weekday()) + 6) % 7 // days since Monday
	return time.Date(t.Year(), t.Month(), t.Day()-offset, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
}
