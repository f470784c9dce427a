package routing

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// requestGauges exports the open work of every office: requests by state, and those past
// their first-answer deadline. Redis keeps the counts exact (they change in the same scripts
// that change a request), so any replica reports the same figures.
type requestGauges struct {
	svc *Service

	mu      sync.Mutex
	at      time.Time
	byState map[[3]string]int64 // tenant, office, state
	overdue map[[2]string]int64 // tenant, office
}

func (s *Service) registerGauges(mp metric.MeterProvider) error {
	meter := mp.Meter("github.com/piazza-pa/piazza/services/routing")
	requests, err := meter.Int64ObservableGauge("piazza.routing.requests", metric.WithDescription("Requests by tenant, office and state"))
	if err != nil {
		return fmt.Errorf("routing metrics: %w", err)
	}
	overdue, err := meter.Int64ObservableGauge("piazza.routing.overdue", metric.WithDescription("Requests past their first-answer deadline without an answer, by tenant and office"))
	if err != nil {
		return fmt.Errorf("routing metrics: %w", err)
	}
	g := &requestGauges{svc: s}
	_, err = meter.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		byState, late := g.read(ctx)
		for k, v := range byState {
			o.ObserveInt64(requests, v, metric.WithAttributes(attribute.String("tenant", k[0]), attribute.String("office", k[1]), attribute.String("state", k[2])))
		}
		for k, v := range late {
			o.ObserveInt64(overdue, v, metric.WithAttributes(attribute.String("tenant", k[0]), attribute.String("office", k[1])))
		}
		return nil
	}, requests, overdue)
	if err != nil {
		return fmt.Errorf("routing metrics: %w", err)
	}
	return nil
}

func (g *requestGauges) read(ctx context.Context) (map[[3]string]int64, map[[2]string]int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.byState != nil && time.Since(g.at) < g.svc.cfg.GaugeRefresh {
		return g.byState, g.overdue
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	st := g.svc.store()
	tenants, err := st.tenants(ctx)
	if err != nil {
		return g.byState, g.overdue
	}
	byState, late := map[[3]string]int64{}, map[[2]string]int64{}
	now := strconv.FormatInt(g.svc.cfg.Now().UnixMilli(), 10)
	for _, t := range tenants {
		counts, err := st.rdb.HGetAll(ctx, st.statsKey(t)).Result()
		if err != nil {
			return g.byState, g.overdue
		}
		for field, v := range counts {
			office, state, _ := strings.Cut(field, "|")
			if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
				byState[[3]string{t, office, state}] = n
				late[[2]string{t, office}] += 0 // an office with requests shows 0 overdue, not nothing
			}
		}
		members, err := st.rdb.ZRangeByScore(ctx, st.dueKey(t), &redis.ZRangeBy{Min: "-inf", Max: "(" + now}).Result()
		if err != nil {
			return g.byState, g.overdue
		}
		for _, m := range members {
			office, _, _ := strings.Cut(m, "|")
			late[[2]string{t, office}]++
		}
	}
	g.byState, g.overdue, g.at = byState, late, time.Now()
	return byState, late
}
