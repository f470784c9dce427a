package connector

import (
	"context"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Poller reads one page or account once per call.
type Poller interface {
	// Poll reads what is new and returns how many comments it published.
	Poll(ctx context.Context) (int, error)
	// Name describes the poller for logs, without secrets.
	Name() string
	// TenantCode is the tenant the poller reads for.
	TenantCode() string
}

// Runner polls every Interval until its context ends, backing off after errors as RetryAfter
// says and logging an alert when an operator must act (an expired token, a missing permission).
type Runner struct {
	// Interval is the pause between two successful polls.
	Interval time.Duration
	// Logger receives the errors and alerts.
	Logger *slog.Logger
	// Failures counts failed polls by tenant, platform and whether an operator must act.
	Failures metric.Int64Counter
	// Published counts published comments by tenant.
	Published metric.Int64Counter
}

// Run polls p until ctx ends.
func (r Runner) Run(ctx context.Context, p Poller) {
	failures := 0
	for {
		n, err := p.Poll(ctx)
		if ctx.Err() != nil {
			return
		}
		wait := r.Interval
		tenant := attribute.String("tenant", p.TenantCode())
		if n > 0 && r.Published != nil {
			r.Published.Add(ctx, int64(n), metric.WithAttributes(tenant))
		}
		if err != nil {
			failures++
			var alert bool
			wait, alert = RetryAfter(err, failures)
			if r.Failures != nil {
				r.Failures.Add(ctx, 1, metric.WithAttributes(tenant, attribute.Bool("alert", alert)))
			}
			if alert {
				r.Logger.ErrorContext(ctx, "ALERT: poller cannot read; an operator must renew the token or permission",
					"poller", p.Name(), "tenant", p.TenantCode(), "retry_in", wait.String(), "err", err)
			} else {
				r.Logger.WarnContext(ctx, "poll failed; backing off", "poller", p.Name(), "tenant", p.TenantCode(),
					"retry_in", wait.String(), "err", err)
			}
		} else {
			failures = 0
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}
