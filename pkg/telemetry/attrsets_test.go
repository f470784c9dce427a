package telemetry_test

import (
	"context"
	"strconv"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/piazza-pa/piazza/pkg/telemetry"
)

// A counter recorded through AttrSets exports the same series as one recorded with
// metric.WithAttributes, past the cache's bound too.
func TestAttrSetsRecordTheSameSeriesAsWithAttributes(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader), sdkmetric.WithCardinalityLimit(10_000))
	counter, err := mp.Meter("test").Int64Counter("decisions")
	if err != nil {
		t.Fatal(err)
	}
	sets := telemetry.NewAttrSets("tenant", "violating")
	ctx := context.Background()
	const tenants = 5000 // past the bound of cached sets
	for i := range tenants {
		for range 2 {
			counter.Add(ctx, 1, sets.Option("t"+strconv.Itoa(i), "true"))
		}
	}
	counter.Add(ctx, 1, sets.Option("monza")) // a missing value is empty
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	points := rm.ScopeMetrics[0].Metrics[0].Data.(metricdata.Sum[int64]).DataPoints
	if len(points) != tenants+1 {
		t.Fatalf("%d series, want %d", len(points), tenants+1)
	}
	for _, p := range points {
		tenant, _ := p.Attributes.Value("tenant")
		violating, _ := p.Attributes.Value("violating")
		want := int64(2)
		if tenant.AsString() == "monza" {
			want = 1
			if violating.AsString() != "" {
				t.Errorf("monza: violating %q, want empty", violating.AsString())
			}
		} else if violating.AsString() != "true" {
			t.Errorf("%s: violating %q, want true", tenant.AsString(), violating.AsString())
		}
		if p.Value != want || p.Attributes.Len() != 2 {
			t.Errorf("%v: %d, want %d with 2 attributes", p.Attributes.ToSlice(), p.Value, want)
		}
	}
}

func BenchmarkCounterAttributes(b *testing.B) {
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	counter, _ := mp.Meter("test").Int64Counter("decisions")
	ctx := context.Background()
	tenants := []string{"maglione", "bussero", "canegrate", "monza", "crespiatica"}
	b.Run("WithAttributes", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			counter.Add(ctx, 1, metricWithAttributes(tenants[i%5], "true"))
		}
	})
	b.Run("AttrSets", func(b *testing.B) {
		sets := telemetry.NewAttrSets("tenant", "violating")
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			counter.Add(ctx, 1, sets.Option(tenants[i%5], "true"))
		}
	})
}

func metricWithAttributes(tenant, violating string) metric.MeasurementOption {
	return metric.WithAttributes(attribute.String("tenant", tenant), attribute.String("violating", violating))
}
