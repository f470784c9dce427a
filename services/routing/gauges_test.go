package routing_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/piazza-pa/piazza/pkg/bus"
	"github.com/piazza-pa/piazza/pkg/livepolicy"
	"github.com/piazza-pa/piazza/pkg/policy"
	"github.com/piazza-pa/piazza/pkg/testinfra"
	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	"github.com/piazza-pa/piazza/services/routing"
)

// gaugeValues collects a gauge's points as "tenant/office/state=value" (state omitted when the
// gauge has none).
func gaugeValues(t *testing.T, r *sdkmetric.ManualReader, name string) map[string]int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			for _, dp := range m.Data.(metricdata.Gauge[int64]).DataPoints {
				tenant, _ := dp.Attributes.Value("tenant")
				office, _ := dp.Attributes.Value("office")
				key := tenant.AsString() + "/" + office.AsString()
				if state, ok := dp.Attributes.Value("state"); ok {
					key += "/" + state.AsString()
				}
				out[key] = dp.Value
			}
		}
	}
	return out
}

func TestGaugesCountRequestsByStateAndOverdue(t *testing.T) {
	rds := testinfra.StartRedis(t)
	js := testinfra.StartNATS(t).JetStream(t)
	set, err := policy.LoadDir("../../deploy/policies")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 16, 10, 0, 0, 0, time.UTC)
	reader := sdkmetric.NewManualReader()
	svc, err := routing.New(routing.Config{
		Redis: rds.Client, Policies: livepolicy.Static(set), Publisher: bus.NewPublisher(js, bus.Telemetry{}),
		KeyPrefix: "gauges:", Now: func() time.Time { return now }, Meter: sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)),
		GaugeRefresh: time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i, topic := range []string{"roads", "roads", "waste"} {
		if _, err := svc.Dispose(ctx, decision("monza", fmt.Sprint("g", i), commentv1.Channel_CHANNEL_COMMENT, false, []string{"request"}, topic)); err != nil {
			t.Fatal(err)
		}
	}
	states := gaugeValues(t, reader, "piazza.routing.requests")
	total := int64(0)
	for _, v := range states {
		total += v
	}
	zero := true
	for _, v := range gaugeValues(t, reader, "piazza.routing.overdue") {
		zero = zero && v == 0
	}
	if total != 3 || !zero {
		t.Fatalf("requests by state %v (want 3 in all), none overdue yet", states)
	}
	// A month later nobody has answered: all three are overdue.
	now = now.AddDate(0, 1, 0)
	testinfra.Eventually(t, 20*time.Second, func() error {
		late := gaugeValues(t, reader, "piazza.routing.overdue")
		sum := int64(0)
		for _, v := range late {
			sum += v
		}
		if sum != 3 {
			return fmt.Errorf("overdue %v, want 3 in all", late)
		}
		return nil
	})
}
