package auth_test

import (
	"context"
	"errors"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/piazza-pa/piazza/pkg/auth"
	classifierv1 "github.com/piazza-pa/piazza/proto/gen/piazza/classifier/v1"
	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	routingv1 "github.com/piazza-pa/piazza/proto/gen/piazza/routing/v1"
)

func bearer(tok string) context.Context {
	return metadata.NewIncomingContext(context.Background(), metadata.Pairs("authorization", "Bearer "+tok))
}

func TestGuardEdges(t *testing.T) {
	creds := staticTokens{
		"monza-op":  {ID: "a", Tenant: "monza", Role: auth.RoleOperator},
		"urp":       {ID: "b", Tenant: "monza", Role: auth.RoleOffice, Office: "urp"},
		"svc":       {ID: "c", Tenant: auth.Region, Role: auth.RoleService},
		"region-op": {ID: "d", Tenant: auth.Region, Role: auth.RoleOperator},
	}
	storeDown := errors.New("redis: connection refused")
	lookup := func(_ context.Context, tenant, id string) (string, bool, error) {
		switch id {
		case "down":
			return "", false, storeDown
		case "mine":
			return "urp", true, nil
		}
		return "", false, nil
	}
	g, err := auth.NewGuard(auth.GuardConfig{Tokens: creds, Offices: lookup})
	if err != nil {
		t.Fatal(err)
	}
	noLookup, err := auth.NewGuard(auth.GuardConfig{Tokens: creds})
	if err != nil {
		t.Fatal(err)
	}
	const (
		get    = "/piazza.routing.v1.RoutingService/GetRequest"
		list   = "/piazza.routing.v1.RoutingService/ListRequests"
		batch  = "/piazza.classifier.v1.ClassifierService/ClassifyBatch"
		policy = "/piazza.classifier.v1.ClassifierService/GetPolicy"
	)
	comments := func(tenants ...string) *classifierv1.ClassifyBatchRequest {
		r := &classifierv1.ClassifyBatchRequest{}
		for _, tn := range tenants {
			r.Comments = append(r.Comments, &commentv1.Comment{Tenant: tn})
		}
		return r
	}
	for _, tc := range []struct {
		name   string
		g      *auth.Guard
		ctx    context.Context
		method string
		req    any
		want   codes.Code
	}{
		{"office, own request", g, bearer("urp"), get, &routingv1.GetRequestRequest{Tenant: "monza", RequestId: "mine"}, codes.OK},
		{"office, store down", g, bearer("urp"), get, &routingv1.GetRequestRequest{Tenant: "monza", RequestId: "down"}, codes.Unavailable},
		{"office, no lookup configured", noLookup, bearer("urp"), get, &routingv1.GetRequestRequest{Tenant: "monza", RequestId: "mine"}, codes.PermissionDenied},
		{"office, list without office", g, bearer("urp"), list, &routingv1.ListRequestsRequest{Tenant: "monza"}, codes.PermissionDenied},
		{"office, policy summary of its Comune", g, bearer("urp"), policy, &classifierv1.GetPolicyRequest{Tenant: "monza"}, codes.OK},
		{"tenant operator, no tenant in the request", g, bearer("monza-op"), list, &routingv1.ListRequestsRequest{}, codes.PermissionDenied},
		{"service, batch of two Comuni", g, bearer("svc"), batch, comments("monza", "bussero"), codes.OK},
		{"regional operator, any Comune", g, bearer("region-op"), list, &routingv1.ListRequestsRequest{Tenant: "bussero"}, codes.OK},
		{"unknown method", g, bearer("svc"), "/piazza.routing.v1.RoutingService/DropEverything", &routingv1.ListRequestsRequest{Tenant: "monza"}, codes.PermissionDenied},
		{"unknown method without credential", g, context.Background(), "/x.Y/Z", nil, codes.Unauthenticated},
		{"wrong scheme", g, metadata.NewIncomingContext(context.Background(), metadata.Pairs("authorization", "Basic dXNlcjpwYXNz")), list, &routingv1.ListRequestsRequest{Tenant: "monza"}, codes.Unauthenticated},
		{"health without credential", g, context.Background(), "/grpc.health.v1.Health/Check", nil, codes.OK},
	} {
		ctx, err := tc.g.Authorize(tc.ctx, tc.method, tc.req)
		if got := status.Code(err); got != tc.want {
			t.Errorf("%s: got %v, want %s", tc.name, err, tc.want)
			continue
		}
		if err != nil && errors.Is(err, storeDown) {
			t.Errorf("%s: the store's error reaches the caller: %v", tc.name, err)
		}
		if err == nil && tc.method != "/grpc.health.v1.Health/Check" {
			if id, ok := auth.FromContext(ctx); !ok || id.ID == "" {
				t.Errorf("%s: handler context has no identity", tc.name)
			}
		}
	}
}

func TestRulesValidate(t *testing.T) {
	for name, r := range map[string]auth.Rules{
		"no roles":        {"/a/B": {Tenants: auth.TenantField}},
		"no tenant":       {"/a/B": {Roles: []auth.Role{auth.RoleOperator}}},
		"office no scope": {"/a/B": {Roles: []auth.Role{auth.RoleOffice}, Tenants: auth.TenantField}},
	} {
		if err := r.Validate(); err == nil {
			t.Errorf("%s: validated", name)
		}
		if _, err := auth.NewGuard(auth.GuardConfig{Rules: r}); err == nil {
			t.Errorf("%s: guard built", name)
		}
	}
}
