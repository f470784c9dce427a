// Package strikes keeps users' violations in Redis so that a sanction ladder can count them.
//
// Key layout (every key of one user shares the hash tag {<tenant>:<pseudonym>}, so one script
// may touch them all on Redis Cluster; the sanctions package documents the other keys of a user):
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
	"errors"
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
// are inside the window as of now: that is this comment's strike number. Counting every strike
// in the window (not only those older than the comment) keeps the numbers increasing when
// consumers decide a user's comments out of order; a redelivered comment replays its stored
// decision, so its number does not change either.
var record = redis.NewScript(`
local at = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local out = {}
for i, key in ipairs(KEYS) do
  local window = tonumber(ARGV[3 + i])
  local added = redis.call('ZADD', key, 'NX', at, ARGV[1])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. (now - window))
  local count = redis.call('ZCOUNT', key, now - window, '+inf')
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
	// Strikes is the number of the user's strikes inside the window as of now, this one included:
	// the comment's strike number. Comments decided out of order still get increasing numbers.
	Strikes int
}

// Record counts the comment as a violation in each group, atomically and idempotently.
// at is when the violation happened; now is the clock used for expiry.
func (s *Store) Record(ctx context.Context, sub Subject, commentID string, at, now time.Time, vs []Violation) ([]Count, error) {
	if len(vs) == 0 {
		return nil, nil
	}
	keys, args := s.scriptArgs(sub, commentID, at, now, vs)
	res, err := record.Run(ctx, s.rdb, keys, args...).Int64Slice()
	if err != nil {
		return nil, fmt.Errorf("record strikes: %w", err)
	}
	return counts(vs, res), nil
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

// Strike is one comment to record, for RecordBatch.
type Strike struct {
	Subject   Subject
	CommentID string
	// At is when the violation happened; Now is the clock used for expiry.
	At, Now    time.Time
	Violations []Violation
}

// RecordBatch records many strikes in one pipelined round trip, each atomically and
// idempotently as Record does; out[i] holds the counts of strikes[i]. A replay or a backfill
// uses it; it returns the first error after the whole batch has been sent, and since every
// strike is idempotent the caller may simply send the batch again.
func (s *Store) RecordBatch(ctx context.Context, strikes []Strike) ([][]Count, error) {
	out, err := s.recordBatch(ctx, strikes)
	if redis.HasErrorPrefix(err, "NOSCRIPT") {
		if lerr := record.Load(ctx, s.rdb).Err(); lerr != nil {
			return nil, fmt.Errorf("load strike script: %w", lerr)
		}
		out, err = s.recordBatch(ctx, strikes)
	}
	return out, err
}

func (s *Store) recordBatch(ctx context.Context, strikes []Strike) ([][]Count, error) {
	cmds := make([]*redis.Cmd, len(strikes))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, st := range strikes {
			if len(st.Violations) == 0 {
				continue
			}
			keys, args := s.scriptArgs(st.Subject, st.CommentID, st.At, st.Now, st.Violations)
			cmds[i] = record.EvalSha(ctx, p, keys, args...)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("record strikes: %w", err)
	}
	out := make([][]Count, len(strikes))
	for i, cmd := range cmds {
		if cmd == nil {
			continue
		}
		res, err := cmd.Int64Slice()
		if err != nil {
			return nil, fmt.Errorf("record strikes: %w", err)
		}
		out[i] = counts(strikes[i].Violations, res)
	}
	return out, nil
}

func (s *Store) scriptArgs(sub Subject, commentID string, at, now time.Time, vs []Violation) ([]string, []any) {
	keys := make([]string, len(vs))
	args := make([]any, 0, 3+len(vs))
	args = append(args, commentID, at.UnixMilli(), now.UnixMilli())
	for i, v := range vs {
		keys[i] = s.key(sub, v.Group)
		args = append(args, v.Window.Milliseconds())
	}
	return keys, args
}

func counts(vs []Violation, res []int64) []Count {
	out := make([]Count, len(vs))
	for i, v := range vs {
		out[i] = Count{Group: v.Group, New: res[2*i] == 1, Strikes: int(res[2*i+1])}
	}
	return out
}

// Groups lists the counters the user has strikes in on the subject's platform.
func (s *Store) Groups(ctx context.Context, sub Subject) ([]string, error) {
	hist, err := s.History(ctx, sub)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, e := range hist {
		if e.Platform == sub.Platform && !seen[e.Group] {
			seen[e.Group] = true
			out = append(out, e.Group)
		}
	}
	return out, nil
}

// Find returns the groups, among groups, in which the comment counts as a strike.
func (s *Store) Find(ctx context.Context, sub Subject, commentID string, groups []string) ([]string, error) {
	cmds := make([]*redis.FloatCmd, len(groups))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, g := range groups {
			cmds[i] = p.ZScore(ctx, s.key(sub, g), commentID)
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("find strike: %w", err)
	}
	var out []string
	for i, cmd := range cmds {
		switch err := cmd.Err(); {
		case err == nil:
			out = append(out, groups[i])
		case !errors.Is(err, redis.Nil):
			return nil, fmt.Errorf("find strike: %w", err)
		}
	}
	return out, nil
}

// remove takes a comment out of the given counters at once.
var remove = redis.NewScript(`
local n = 0
for _, key in ipairs(KEYS) do
  n = n + redis.call('ZREM', key, ARGV[1])
end
return n
`)

// Remove takes the comment's strike out of the given groups (a pardon) and returns how many it
// removed. Removing a strike that is not there is not an error.
func (s *Store) Remove(ctx context.Context, sub Subject, commentID string, groups []string) (int, error) {
	if len(groups) == 0 {
		return 0, nil
	}
	keys := make([]string, len(groups))
	for i, g := range groups {
		keys[i] = s.key(sub, g)
	}
	n, err := remove.Run(ctx, s.rdb, keys, commentID).Int()
	if err != nil {
		return 0, fmt.Errorf("remove strike: %w", err)
	}
	return n, nil
}
