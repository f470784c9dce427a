package connector

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/piazza-pa/piazza/pkg/comments"
	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
)

// Publisher publishes a comment with its deduplicating message id.
type Publisher interface {
	PublishComment(ctx context.Context, c *commentv1.Comment) error
}

// DefaultSeenTTL is how long a published comment's id is remembered: longer than Meta's 36 hours
// of webhook retries and than any poller's overlap.
const DefaultSeenTTL = 72 * time.Hour

// Sink publishes comments once. JetStream's duplicate window absorbs copies that arrive within
// minutes; the Sink's Redis record absorbs those that arrive later (a webhook retried for hours,
// a poller re-reading after a crash between publish and cursor save).
type Sink struct {
	// Redis keeps the ids of the comments published.
	Redis redis.UniversalClient
	// KeyPrefix starts every Redis key.
	KeyPrefix string
	// Publisher publishes on the bus.
	Publisher Publisher
	// TTL is how long a published id is remembered; DefaultSeenTTL when zero.
	TTL time.Duration
}

func (s *Sink) key(c *commentv1.Comment) string {
	return s.KeyPrefix + "ingest:seen:{" + c.GetTenant() + "}:" + comments.MessageID(c)
}

// Publish publishes c unless it was published before; it reports whether it did. The record is
// written after the publish, so a crash in between repeats the publish (absorbed by the
// message id) rather than losing the comment.
func (s *Sink) Publish(ctx context.Context, c *commentv1.Comment) (bool, error) {
	if c.GetTenant() == "" || c.GetCommentId() == "" {
		return false, errors.New("publish comment: tenant and comment id are required")
	}
	key := s.key(c)
	n, err := s.Redis.Exists(ctx, key).Result()
	if err != nil {
		return false, fmt.Errorf("publish comment: check seen: %w", err)
	}
	if n > 0 {
		return false, nil
	}
	if err := s.Publisher.PublishComment(ctx, c); err != nil {
		return false, fmt.Errorf("publish comment %s: %w", comments.MessageID(c), err)
	}
	ttl := s.TTL
	if ttl <= 0 {
		ttl = DefaultSeenTTL
	}
	if err := s.Redis.Set(ctx, key, 1, ttl).Err(); err != nil {
		return true, fmt.Errorf("publish comment: record seen: %w", err)
	}
	return true, nil
}

// Cursors persists the pollers' positions in Redis, one string per key.
type Cursors struct {
	// Redis stores the cursors; use persistence (AOF) in production.
	Redis redis.UniversalClient
	// KeyPrefix starts every Redis key.
	KeyPrefix string
}

func (c Cursors) key(tenant, name string) string {
	return c.KeyPrefix + "ingest:cursor:{" + tenant + "}:" + name
}

// Get returns the cursor saved under name for tenant, "" when none was.
func (c Cursors) Get(ctx context.Context, tenant, name string) (string, error) {
	v, err := c.Redis.Get(ctx, c.key(tenant, name)).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read cursor %s: %w", name, err)
	}
	return v, nil
}

// Set saves the cursor under name for tenant.
func (c Cursors) Set(ctx context.Context, tenant, name, value string) error {
	if err := c.Redis.Set(ctx, c.key(tenant, name), value, 0).Err(); err != nil {
		return fmt.Errorf("save cursor %s: %w", name, err)
	}
	return nil
}
