package auth_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/metadata"

	"github.com/piazza-pa/piazza/pkg/auth"
	"github.com/piazza-pa/piazza/pkg/testinfra"
	routingv1 "github.com/piazza-pa/piazza/proto/gen/piazza/routing/v1"
)

// BenchmarkAuthorize is the Guard's cost per call once the token is verified (the table lookup,
// role, tenant and office checks), with a token store in Redis and its 5-second cache.
func BenchmarkAuthorize(b *testing.B) {
	rds := testinfra.StartRedis(b)
	store := auth.NewTokenStore(auth.TokenStoreConfig{Redis: rds.Client, KeyPrefix: "bench:"})
	tok, _, err := store.Create(context.Background(), auth.Identity{Tenant: "monza", Role: auth.RoleOffice, Office: "urp"}, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	g, err := auth.NewGuard(auth.GuardConfig{Tokens: store})
	if err != nil {
		b.Fatal(err)
	}
	ctx := metadata.NewIncomingContext(context.Background(), metadata.Pairs("authorization", "Bearer "+tok))
	req := &routingv1.ListRequestsRequest{Tenant: "monza", Office: "urp"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := g.Authorize(ctx, "/piazza.routing.v1.RoutingService/ListRequests", req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyUncached is one token check that goes to Redis every time (cache off): the
// cost of a call whose token is not in the process's cache.
func BenchmarkVerifyUncached(b *testing.B) {
	rds := testinfra.StartRedis(b)
	store := auth.NewTokenStore(auth.TokenStoreConfig{Redis: rds.Client, KeyPrefix: "bench:", CacheFor: -1})
	tok, _, err := store.Create(context.Background(), auth.Identity{Tenant: auth.Region, Role: auth.RoleService}, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := store.Verify(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}
