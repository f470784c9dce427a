package enforcer

import (
	"context"
	"fmt"
	"sync"
	"time"

	actionv1 "github.com/piazza-pa/piazza/proto/gen/piazza/action/v1"
)

// Throttle wraps a Platform so that, after the platform answered with a rate limit, no call
// for the same page or account is sent before the time the platform asked to wait: the action
// fails at once with a transient error and the consumer redelivers it later. One page's limit
// does not hold back another's. A pause longer than MaxHold (a YouTube quota spent until the
// Pacific midnight) would outlast the consumer's redeliveries, so the action is then recorded
// as a permanent failure for human review instead of being dead-lettered.
type Throttle struct {
	// Platform carries the actions out.
	Platform Platform
	// Wait returns how long the platform asked to wait after err, zero when err is no rate
	// limit.
	Wait func(err error) time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// MaxHold is the longest pause an action waits through; 10 minutes when zero.
	MaxHold time.Duration

	mu     sync.Mutex
	paused map[string]time.Time
}

var _ Platform = (*Throttle)(nil)

// ThrottledError is returned while a page is paused; it is transient unless the pause is
// longer than the Throttle's MaxHold.
type ThrottledError struct {
	// Until is when calls resume.
	Until time.Time
	// TooLong reports a pause longer than MaxHold.
	TooLong bool
}

// Permanent reports whether the action should go to human review rather than wait.
func (e ThrottledError) Permanent() bool { return e.TooLong }

func (e ThrottledError) Error() string {
	return fmt.Sprintf("platform asked to wait until %s", e.Until.UTC().Format(time.RFC3339))
}

func (t *Throttle) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

// Execute performs a unless its page is paused.
func (t *Throttle) Execute(ctx context.Context, a *actionv1.Action) (Outcome, error) {
	page := a.GetPageId()
	t.mu.Lock()
	until, ok := t.paused[page]
	t.mu.Unlock()
	if now := t.now(); ok && now.Before(until) {
		hold := t.MaxHold
		if hold <= 0 {
			hold = 10 * time.Minute
		}
		return Outcome{}, ThrottledError{Until: until, TooLong: until.Sub(now) > hold}
	}
	out, err := t.Platform.Execute(ctx, a)
	if err != nil {
		if d := t.Wait(err); d > 0 {
			t.mu.Lock()
			if t.paused == nil {
				t.paused = map[string]time.Time{}
			}
			t.paused[page] = t.now().Add(d)
			t.mu.Unlock()
		}
	}
	return out, err
}
