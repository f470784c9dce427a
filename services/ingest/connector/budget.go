package connector

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Budget is a token bucket of platform calls for one tenant: every call a tenant's connectors
// make takes a token, so a Comune with a busy page waits for its own tokens and never uses up
// the calls of the others. It is safe for concurrent use.
type Budget struct {
	mu     sync.Mutex
	rate   float64 // tokens per second
	burst  float64
	tokens float64
	last   time.Time
	until  time.Time // no call before this (a platform asked to wait)
	now    func() time.Time
}

// NewBudget returns a Budget of perSecond calls with bursts of burst.
func NewBudget(perSecond float64, burst int) *Budget {
	if perSecond <= 0 {
		perSecond = 1
	}
	if burst < 1 {
		burst = 1
	}
	return &Budget{rate: perSecond, burst: float64(burst), tokens: float64(burst), now: time.Now}
}

// PauseUntil stops every call of the budget until t, as a platform's rate-limit answer asks.
func (b *Budget) PauseUntil(t time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if t.After(b.until) {
		b.until = t
	}
}

// reserve takes a token and returns how long to wait before using it.
func (b *Budget) reserve() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if !b.last.IsZero() {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	b.last = now
	b.tokens--
	wait := time.Duration(0)
	if b.tokens < 0 {
		wait = time.Duration(-b.tokens / b.rate * float64(time.Second))
	}
	if pause := b.until.Sub(now); pause > wait {
		wait = pause
	}
	return wait
}

// Wait blocks until the budget allows one more call or ctx ends.
func (b *Budget) Wait(ctx context.Context) error {
	wait := b.reserve()
	if wait <= 0 {
		return nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for call budget: %w", ctx.Err())
	}
}

// Transport returns an http.RoundTripper that takes a token of the budget before each request
// it sends through base (http.DefaultTransport when nil).
func (b *Budget) Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return budgetTransport{b: b, base: base}
}

type budgetTransport struct {
	b    *Budget
	base http.RoundTripper
}

func (t budgetTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := t.b.Wait(r.Context()); err != nil {
		return nil, err
	}
	return t.base.RoundTrip(r)
}

// Budgets hands out one Budget per tenant, created on first use with the same rate.
type Budgets struct {
	// PerSecond and Burst size each tenant's bucket.
	PerSecond float64
	Burst     int

	mu sync.Mutex
	m  map[string]*Budget
}

// For returns the tenant's Budget.
func (bs *Budgets) For(tenant string) *Budget {
	bs.mu.Lock()
	defer bs.mu.Unlock()
	if bs.m == nil {
		bs.m = map[string]*Budget{}
	}
	b, ok := bs.m[tenant]
	if !ok {
		b = NewBudget(bs.PerSecond, bs.Burst)
		bs.m[tenant] = b
	}
	return b
}

// HTTPClient returns an HTTP client whose calls take tokens of the tenant's budget.
func (bs *Budgets) HTTPClient(tenant string, base *http.Client) *http.Client {
	c := &http.Client{}
	if base != nil {
		*c = *base
	}
	c.Transport = bs.For(tenant).Transport(c.Transport)
	return c
}
