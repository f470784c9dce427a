package ingest_test

import (
	"context"
	"net/http/httptest"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	actionv1 "github.com/piazza-pa/piazza/proto/gen/piazza/action/v1"
	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	"github.com/piazza-pa/piazza/services/ingest"
	"github.com/piazza-pa/piazza/services/ingest/connector"
	"github.com/piazza-pa/piazza/services/ingest/platform/facebook/fakegraph"
)

func TestPlatformUsageIsExported(t *testing.T) {
	fake := fakegraph.New(fakegraph.Options{PageCallLimit: 10})
	fake.AddToken("tok", "monza-fb")
	post, err := fake.AddPost("monza-fb", fakegraph.Post{Message: "avviso"})
	if err != nil {
		t.Fatal(err)
	}
	cm, err := fake.AddComment(post.ID, fakegraph.Comment{Message: "testo", From: fakegraph.User{ID: "1", Name: "A"}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	reader := sdkmetric.NewManualReader()
	conns, err := ingest.Build(ingest.Config{FacebookGraphURL: srv.URL, FacebookTokens: map[string]string{"monza-fb": "tok"}, YouTubeTokens: map[string]string{"monza-yt": "yt"}},
		ingest.Deps{Sink: &connector.Sink{}, TenantFor: func(string, string) (string, bool) { return "monza", true }, Meter: sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))})
	if err != nil {
		t.Fatal(err)
	}
	usage := func() map[string]int64 {
		var rm metricdata.ResourceMetrics
		if err := reader.Collect(context.Background(), &rm); err != nil {
			t.Fatal(err)
		}
		out := map[string]int64{}
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				if m.Name != "piazza.ingest.platform_usage" {
					continue
				}
				for _, dp := range m.Data.(metricdata.Gauge[int64]).DataPoints {
					p, _ := dp.Attributes.Value("platform")
					page, _ := dp.Attributes.Value("page")
					out[p.AsString()+"/"+page.AsString()] = dp.Value
				}
			}
		}
		return out
	}
	if got := usage(); got["facebook/monza-fb"] != 0 || got["youtube/monza-yt"] != 0 {
		t.Errorf("usage before any call %v, want 0 for both", got)
	}
	_, err = conns.Platforms[commentv1.Platform_PLATFORM_FACEBOOK].Execute(context.Background(), &actionv1.Action{
		ActionId: "a", Tenant: "monza", Platform: commentv1.Platform_PLATFORM_FACEBOOK, Kind: actionv1.Kind_KIND_HIDE, PageId: "monza-fb", CommentId: cm.ID,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := usage()["facebook/monza-fb"]; got <= 0 {
		t.Errorf("facebook usage after a call %d%%, want above 0 (the fake counts 1 call of 10)", got)
	}
}
