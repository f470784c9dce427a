package routing

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/proto"

	routingv1 "github.com/piazza-pa/piazza/proto/gen/piazza/routing/v1"
)

// ErrNotFound is returned for a request that does not exist in the tenant.
var ErrNotFound = errors.New("request not found")

type store struct {
	rdb    redis.UniversalClient
	prefix string
}

func (s *Service) store() store { return store{rdb: s.cfg.Redis, prefix: s.cfg.KeyPrefix} }

func (st store) requestKey(tenant, id string) string {
	return st.prefix + "request:{" + tenant + "}:" + id
}
func (st store) eventsKey(tenant, id string) string {
	return st.prefix + "request-events:{" + tenant + "}:" + id
}
func (st store) indexKey(tenant string) string     { return st.prefix + "requests:{" + tenant + "}" }
func (st store) deadlinesKey(tenant string) string { return st.prefix + "deadlines:{" + tenant + "}" }

// openScript stores a new request with its first event and indexes, once: a second call for the
// same id changes nothing and returns 0.
var openScript = redis.NewScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX') == false then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[5])
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[5])
return 1
`)

func (st store) open(ctx context.Context, req *routingv1.Request, ev *routingv1.RequestEvent) (bool, error) {
	reqData, err := proto.Marshal(req)
	if err != nil {
		return false, fmt.Errorf("encode request: %w", err)
	}
	evData, err := proto.Marshal(ev)
	if err != nil {
		return false, fmt.Errorf("encode event: %w", err)
	}
	t, id := req.GetTenant(), req.GetRequestId()
	n, err := openScript.Run(ctx, st.rdb,
		[]string{st.requestKey(t, id), st.eventsKey(t, id), st.indexKey(t), st.deadlinesKey(t)},
		reqData, evData, req.GetReceivedAt().AsTime().UnixMilli(), req.GetFirstAnswerDue().AsTime().UnixMilli(), id,
	).Int()
	if err != nil {
		return false, fmt.Errorf("open request: %w", err)
	}
	return n == 1, nil
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

// update stores the request's new state and appends its event, in one transaction.
func (st store) update(ctx context.Context, req *routingv1.Request, ev *routingv1.RequestEvent) error {
	reqData, err := proto.Marshal(req)
	if err != nil {
		return fmt.Errorf("encode request: %w", err)
	}
	evData, err := proto.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encode event: %w", err)
	}
	t, id := req.GetTenant(), req.GetRequestId()
	_, err = st.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, st.requestKey(t, id), reqData, 0)
		p.RPush(ctx, st.eventsKey(t, id), evData)
		if req.GetState() == routingv1.State_STATE_ANSWERED || req.GetState() == routingv1.State_STATE_CLOSED {
			p.ZRem(ctx, st.deadlinesKey(t), id)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("update request: %w", err)
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
