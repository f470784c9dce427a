// Package strikes keeps users' violations in Redis so that a sanction ladder can count them.
//
// Key layout (every key of one user shares the hash tag {<tenant>:<pseudonym>}, so one script
// may touch them all on Redis Cluster):
//
//	<prefix>strikes:{<tenant>:<pseudonym>}:<platform>:<group>   ZSET member=<comment id>, score=violation time (ms)
//
// A comment is a set member, so recording it again — a redelivery, a duplicate publish, two
// consumers racing — never adds a second strike. Members older than the group's window are
// removed whenever the key is written, and the key expires when its newest member leaves the
// window.
package strikes

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Store records and counts strikes.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
}

// NewStore returns a store whose keys start with prefix (e.g. "piazza:").
func NewStore(rdb redis.UniversalClient, prefix string) *Store {
	return &Store{rdb: rdb, prefix: prefix}
}

// Violation is one strike to record in one counter group.
type Violation struct {
	// Group is the counter: a category, or a group of categories counted together.
	Group string
	// Window is how long a strike counts.
	Window time.Duration
}

// Subject names whose strikes: a user of a tenant on a platform.
type Subject struct {
	Tenant, Platform, Pseudonym string
}

func (s *Store) key(sub Subject, group string) string {
	return s.prefix + "strikes:{" + sub.Tenant + ":" + sub.Pseudonym + "}:" + sub.Platform + ":" + group
}

func (s *Store) pattern(sub Subject) string {
	return s.prefix + "strikes:{" + sub.Tenant + ":" + sub.Pseudonym + "}:*"
}

// record adds the comment to every group's set (NX: once only), drops strikes older than the
// window as of now, and returns for each group whether the comment was new and how many strikes
// fall in the window ending at the violation's time: that is this comment's strike number, the
// same on every redelivery.
var record = redis.NewScript(`
local at = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local out = {}
for i, key in ipairs(KEYS) do
  local window = tonumber(ARGV[3 + i])
  local added = redis.call('ZADD', key, 'NX', at, ARGV[1])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. (now - window))
  local count = redis.call('ZCOUNT', key, at - window, at)
  local newest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  if newest[2] then
    local ttl = tonumber(newest[2]) + window - now
    if ttl > 0 then redis.call('PEXPIRE', key, ttl) else redis.call('DEL', key) end
  end
  out[2*i-1] = added
  out[2*i] = count
end
return out
`)

// Count is one group's result of Record.
type Count struct {
	Group string
	// New is false when the comment had already been counted.
	New bool
	// Strikes is the number of strikes in the window ending at the violation, this one included.
	Strikes int
}

// Record counts the comment as a violation in each group, atomically and idempotently.
// at is when the violation happened; now is the clock used for expiry.
func (s *Store) Record(ctx context.Context, sub Subject, commentID string, at, now time.Time, vs []Violation) ([]Count, error) {
	if len(vs) == 0 {
		return nil, nil
	}
	keys := make([]string, len(vs))
	args := make([]any, 0, 3+len(vs))
	args = append(args, commentID, at.UnixMilli(), now.UnixMilli())
	for i, v := range vs {
		keys[i] = s.key(sub, v.Group)
		args = append(args, v.Window.Milliseconds())
	}
	res, err := record.Run(ctx, s.rdb, keys, args...).Int64Slice()
	if err != nil {
		return nil, fmt.Errorf("record strikes: %w", err)
	}
	out := make([]Count, len(vs))
	for i, v := range vs {
		out[i] = Count{Group: v.Group, New: res[2*i] == 1, Strikes: int(res[2*i+1])}
	}
	return out, nil
}

// Entry is one counted strike.
type Entry struct {
	Platform, Group, CommentID string
	At                         time.Time
}

// History lists a user's strikes still inside their windows, oldest first per group.
func (s *Store) History(ctx context.Context, sub Subject) ([]Entry, error) {
	var out []Entry
	iter := s.rdb.Scan(ctx, 0, s.pattern(sub), 100).Iterator()
	for iter.Next(ctx) {
		key := iter.Val()
		rest := strings.TrimPrefix(key, s.prefix+"strikes:{"+sub.Tenant+":"+sub.Pseudonym+"}:")
		platform, group, ok := strings.Cut(rest, ":")
		if !ok {
			continue
		}
		zs, err := s.rdb.ZRangeWithScores(ctx, key, 0, -1).Result()
		if err != nil {
			return nil, fmt.Errorf("read strikes: %w", err)
		}
		for _, z := range zs {
			out = append(out, Entry{Platform: platform, Group: group, CommentID: fmt.Sprint(z.Member), At: time.UnixMilli(int64(z.Score))})
		}
	}
	if err := iter.Err(); err != nil {
		return nil, fmt.Errorf("scan strikes: %w", err)
	}
	return out, nil
}

// CountInWindow counts a group's strikes inside window as of now.
func (s *Store) CountInWindow(ctx context.Context, sub Subject, group string, window time.Duration, now time.Time) (int, error) {
	n, err := s.rdb.ZCount(ctx, s.key(sub, group), strconv.FormatInt(now.Add(-window).UnixMilli(), 10), "+inf").Result()
	if err != nil {
		return 0, fmt.Errorf("count strikes: %w", err)
	}
	return int(n), nil
}
