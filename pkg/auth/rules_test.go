package auth_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/piazza-pa/piazza/pkg/auth"
	classifierv1 "github.com/piazza-pa/piazza/proto/gen/piazza/classifier/v1"
	routingv1 "github.com/piazza-pa/piazza/proto/gen/piazza/routing/v1"
	sanctionsv1 "github.com/piazza-pa/piazza/proto/gen/piazza/sanctions/v1"
)

// The service descriptors of every server Piazza runs; the generated packages register their
// files in protoregistry when imported.
var _ = []grpc.ServiceDesc{classifierv1.ClassifierService_ServiceDesc, sanctionsv1.SanctionsService_ServiceDesc, routingv1.RoutingService_ServiceDesc, healthpb.Health_ServiceDesc}

// method is one rpc of a registered service.
type method struct {
	full  string
	input protoreflect.MessageType
}

// piazzaMethods walks every service of every registered file of the piazza.* packages.
func piazzaMethods(t *testing.T) []method {
	t.Helper()
	var out []method
	protoregistry.GlobalFiles.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		if !strings.HasPrefix(string(fd.Package()), "piazza.") {
			return true
		}
		for i := 0; i < fd.Services().Len(); i++ {
			sd := fd.Services().Get(i)
			for j := 0; j < sd.Methods().Len(); j++ {
				md := sd.Methods().Get(j)
				mt, err := protoregistry.GlobalTypes.FindMessageByName(md.Input().FullName())
				if err != nil {
					t.Fatalf("input of %s: %v", md.FullName(), err)
				}
				out = append(out, method{full: "/" + string(sd.FullName()) + "/" + string(md.Name()), input: mt})
			}
		}
		return true
	})
	sort.Slice(out, func(i, j int) bool { return out[i].full < out[j].full })
	if len(out) < 7 {
		t.Fatalf("found only %d piazza methods: are the generated packages imported?", len(out))
	}
	return out
}

// TestEveryMethodHasARule fails when an rpc of any Piazza service — or of health and
// reflection, which every server registers — has no entry in the policy table, when an entry's
// tenant reader or office scope does not fit the method's request type, and when an entry names
// a method that no longer exists.
func TestEveryMethodHasARule(t *testing.T) {
	rules := auth.DefaultRules()
	if err := rules.Validate(); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, m := range piazzaMethods(t) {
		seen[m.full] = true
		a, ok := rules[m.full]
		if !ok {
			t.Errorf("%s has no rule in auth.DefaultRules: every rpc must say which roles may call it", m.full)
			continue
		}
		if a.Public || a.AnyRole {
			t.Errorf("%s: a Piazza rpc must name its roles, not be public or open to any role", m.full)
			continue
		}
		req := m.input.New().Interface()
		if _, ok := a.Tenants(req); !ok {
			t.Errorf("%s: the rule's tenant reader does not fit %T", m.full, req)
		}
		switch a.Office {
		case auth.OfficeField:
			if _, ok := req.(interface{ GetOffice() string }); !ok {
				t.Errorf("%s: office scope OfficeField but %T has no office field", m.full, req)
			}
		case auth.OfficeOfRequest:
			if _, ok := req.(interface{ GetRequestId() string }); !ok {
				t.Errorf("%s: office scope OfficeOfRequest but %T has no request_id field", m.full, req)
			}
		}
	}
	for _, sd := range []grpc.ServiceDesc{healthpb.Health_ServiceDesc} {
		for _, s := range append(methodNames(sd.Methods), streamNames(sd.Streams)...) {
			full := "/" + sd.ServiceName + "/" + s
			seen[full] = true
			if a, ok := rules[full]; !ok || !a.Public {
				t.Errorf("%s must stay public (health checks need no credential)", full)
			}
		}
	}
	for full := range rules {
		if strings.HasPrefix(full, "/grpc.") {
			continue
		}
		if !seen[full] {
			t.Errorf("rule %s names no registered method", full)
		}
	}
}

func methodNames(ms []grpc.MethodDesc) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.MethodName)
	}
	return out
}

func streamNames(ss []grpc.StreamDesc) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.StreamName)
	}
	return out
}

// expected is the policy written out again, independently of DefaultRules: per method, the
// roles that may call it within their tenant. A change to the table must change this too.
var expected = map[string][]auth.Role{
	"/piazza.classifier.v1.ClassifierService/Classify":      {auth.RoleService, auth.RoleOperator, auth.RoleAdmin},
	"/piazza.classifier.v1.ClassifierService/ClassifyBatch": {auth.RoleService, auth.RoleAdmin},
	"/piazza.classifier.v1.ClassifierService/GetPolicy":     {auth.RoleService, auth.RoleOperator, auth.RoleOffice, auth.RoleAuditor, auth.RoleAdmin},
	"/piazza.sanctions.v1.SanctionsService/GetUserRecord":   {auth.RoleOperator, auth.RoleAuditor, auth.RoleAdmin},
	"/piazza.sanctions.v1.SanctionsService/ListReviews":     {auth.RoleOperator, auth.RoleAuditor, auth.RoleAdmin},
	"/piazza.sanctions.v1.SanctionsService/Pardon":          {auth.RoleOperator, auth.RoleAdmin},
	"/piazza.sanctions.v1.SanctionsService/Unblock":         {auth.RoleOperator, auth.RoleAdmin},
	"/piazza.sanctions.v1.SanctionsService/RegisterAppeal":  {auth.RoleOperator, auth.RoleAdmin},
	"/piazza.sanctions.v1.SanctionsService/ResolveReview":   {auth.RoleOperator, auth.RoleAdmin},
	"/piazza.sanctions.v1.SanctionsService/EraseUser":       {auth.RoleAdmin},
	"/piazza.routing.v1.RoutingService/ListRequests":        {auth.RoleOffice, auth.RoleOperator, auth.RoleAuditor, auth.RoleAdmin},
	"/piazza.routing.v1.RoutingService/GetRequest":          {auth.RoleOffice, auth.RoleOperator, auth.RoleAuditor, auth.RoleAdmin},
	"/piazza.routing.v1.RoutingService/Answer":              {auth.RoleOffice, auth.RoleAdmin},
	"/piazza.routing.v1.RoutingService/Acknowledge":         {auth.RoleOffice, auth.RoleAdmin},
	"/piazza.routing.v1.RoutingService/Reassign":            {auth.RoleOffice, auth.RoleOperator, auth.RoleAdmin},
	"/piazza.routing.v1.RoutingService/WaitForCitizen":      {auth.RoleOffice, auth.RoleAdmin},
	"/piazza.routing.v1.RoutingService/Close":               {auth.RoleOffice, auth.RoleAdmin},
	"/piazza.routing.v1.RoutingService/Reopen":              {auth.RoleOffice, auth.RoleOperator, auth.RoleAdmin},
	"/piazza.routing.v1.RoutingService/ListRecurring":       {auth.RoleOperator, auth.RoleAuditor, auth.RoleAdmin},
}

// staticTokens is a Verifier over a fixed map, for the table-level matrix; the token store
// itself is tested against Redis in tokens_test.go.
type staticTokens map[string]auth.Identity

func (s staticTokens) Verify(_ context.Context, tok string) (auth.Identity, error) {
	id, ok := s[tok]
	if !ok {
		return auth.Identity{}, auth.ErrInvalidCredential
	}
	return id, nil
}

// BuildRequest fills a request of any Piazza rpc for tenant: its tenant field, its comment's or
// comments' tenant, its office and request id.
func buildRequest(mt protoreflect.MessageType, tenant, office, requestID string) proto.Message {
	m := mt.New()
	fields := m.Descriptor().Fields()
	if f := fields.ByName("tenant"); f != nil {
		m.Set(f, protoreflect.ValueOfString(tenant))
	}
	if f := fields.ByName("office"); f != nil {
		m.Set(f, protoreflect.ValueOfString(office))
	}
	if f := fields.ByName("request_id"); f != nil {
		m.Set(f, protoreflect.ValueOfString(requestID))
	}
	if f := fields.ByName("comment"); f != nil {
		c := m.Mutable(f).Message()
		c.Set(c.Descriptor().Fields().ByName("tenant"), protoreflect.ValueOfString(tenant))
	}
	if f := fields.ByName("comments"); f != nil {
		l := m.Mutable(f).List()
		c := l.NewElement()
		c.Message().Set(c.Message().Descriptor().Fields().ByName("tenant"), protoreflect.ValueOfString(tenant))
		l.Append(c)
	}
	return m.Interface()
}

// TestMatrix checks every rpc × role × own/other tenant against the expected policy: a tenant
// role succeeds only on its own tenant and only where its role is listed; the regional roles
// (admin, service) wherever their role is listed.
func TestMatrix(t *testing.T) {
	creds := staticTokens{
		"operator": {ID: "t1", Tenant: "monza", Role: auth.RoleOperator},
		"office":   {ID: "t2", Tenant: "monza", Role: auth.RoleOffice, Office: "urp"},
		"auditor":  {ID: "t3", Tenant: "monza", Role: auth.RoleAuditor},
		"admin":    {ID: "t4", Tenant: auth.Region, Role: auth.RoleAdmin},
		"service":  {ID: "t5", Tenant: auth.Region, Role: auth.RoleService},
	}
	offices := func(_ context.Context, tenant, id string) (string, bool, error) {
		if id == "r1" && (tenant == "monza" || tenant == "bussero") {
			return "urp", true, nil
		}
		return "", false, nil
	}
	g, err := auth.NewGuard(auth.GuardConfig{Tokens: creds, Offices: offices})
	if err != nil {
		t.Fatal(err)
	}
	methods := piazzaMethods(t)
	for _, m := range methods {
		if _, ok := expected[m.full]; !ok {
			t.Errorf("%s: add it to the expected matrix of this test", m.full)
		}
	}
	cells := 0
	for _, m := range methods {
		for _, role := range auth.AllRoles() {
			for _, own := range []bool{true, false} {
				tenant := "monza"
				if !own {
					tenant = "bussero"
				}
				id := creds[string(role)]
				want := slices.Contains(expected[m.full], role) && (own || id.Regional())
				ctx := metadata.NewIncomingContext(context.Background(), metadata.Pairs("authorization", "Bearer "+string(role)))
				_, err := g.Authorize(ctx, m.full, buildRequest(m.input, tenant, "urp", "r1"))
				cells++
				name := fmt.Sprintf("%s as %s on %s tenant", m.full, role, map[bool]string{true: "own", false: "other"}[own])
				switch {
				case want && err != nil:
					t.Errorf("%s: got %v, want allowed", name, err)
				case !want && status.Code(err) != codes.PermissionDenied:
					t.Errorf("%s: got %v, want PermissionDenied", name, err)
				case !want && status.Convert(err).Message() != "permission denied":
					t.Errorf("%s: error text %q says more than \"permission denied\"", name, status.Convert(err).Message())
				}
			}
		}
	}
	t.Logf("%d cells over %d methods", cells, len(methods))
}
