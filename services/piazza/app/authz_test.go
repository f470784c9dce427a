package app_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/piazza-pa/piazza/pkg/auth"
	"github.com/piazza-pa/piazza/pkg/bus"
	"github.com/piazza-pa/piazza/pkg/telemetry"
	"github.com/piazza-pa/piazza/pkg/testinfra"
	classifierv1 "github.com/piazza-pa/piazza/proto/gen/piazza/classifier/v1"
	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	routingv1 "github.com/piazza-pa/piazza/proto/gen/piazza/routing/v1"
	"github.com/piazza-pa/piazza/services/ingest/replay"
	"github.com/piazza-pa/piazza/services/piazza/app"
)

// localSecurity turns authentication on for a test deployment and returns a regional admin
// token for the test's own calls.
func localSecurity(t *testing.T, rdb redis.UniversalClient, prefix string, tel *telemetry.Providers) (app.Security, string) {
	t.Helper()
	sec, store, err := app.LocalSecurity(context.Background(), rdb, prefix, tel.Logger)
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := store.Create(context.Background(), auth.Identity{Tenant: auth.Region, Role: auth.RoleAdmin, Label: "test"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return sec, tok
}

// dialAs opens a connection to addr whose calls carry token (none when empty).
func dialAs(t *testing.T, addr, token string) *grpc.ClientConn {
	t.Helper()
	opts := []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	if token != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(auth.BearerToken{Token: token, AllowInsecure: true}))
	}
	conn, err := grpc.NewClient(addr, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// syncBuffer is a log sink several goroutines write to.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// pipeline is the four services running as in production, with authentication on.
type pipeline struct {
	tel        *telemetry.Providers
	tokens     *auth.TokenStore
	admin      string
	js         jetstream.JetStream
	source     replay.BusPublisher
	fake       *app.FakeFacebook
	classifier string
	sanctions  string
	routing    string
}

// startPipeline starts NATS, Redis and the four services; spans and logs go where given.
func startPipeline(t *testing.T, spans *tracetest.InMemoryExporter, logs io.Writer, pages map[string]string) *pipeline {
	t.Helper()
	nats := testinfra.StartNATS(t)
	return startPipelineOn(t, spans, logs, pages, func(string) string { return nats.URL })
}

// startPipelineOn is startPipeline with each service (and "source", the test's publisher)
// connecting to the NATS URL natsURL gives it.
func startPipelineOn(t *testing.T, spans *tracetest.InMemoryExporter, logs io.Writer, pages map[string]string, natsURL func(service string) string) *pipeline {
	t.Helper()
	ctx := context.Background()
	if spans == nil {
		spans = tracetest.NewInMemoryExporter()
	}
	common, rds := testbed(t, "authz", telemetry.Config{SpanExporter: spans, LogOutput: logs, LogLevel: slog.LevelDebug})
	tel := common.Telemetry
	p := &pipeline{tel: tel}
	sec, store, err := app.LocalSecurity(ctx, rds.Client, "authz:", tel.Logger)
	if err != nil {
		t.Fatal(err)
	}
	p.tokens = store
	if p.admin, _, err = store.Create(ctx, auth.Identity{Tenant: auth.Region, Role: auth.RoleAdmin}, time.Hour); err != nil {
		t.Fatal(err)
	}
	common.Security = sec
	if p.fake, err = app.StartFakeFacebook(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.fake.Close(context.Background()) })
	for page, name := range pages {
		p.fake.RegisterPage(page, name)
	}
	run := runServices(t)
	start := run.start
	as := func(service string) app.Common {
		c := common
		c.NATSURL = natsURL(service)
		return c
	}
	cls := start(app.StartClassifier(ctx, as("classifier"), "127.0.0.1:0"))
	start(app.StartIngest(ctx, as("ingest"), "127.0.0.1:0", app.IngestConfig{FacebookGraphURL: p.fake.URL, FacebookTokens: p.fake.Tokens}))
	rt := start(app.StartRouting(ctx, as("routing"), "127.0.0.1:0", app.RoutingConfig{}))
	sn := start(app.StartSanctions(ctx, as("sanctions"), "127.0.0.1:0", cls.Addr))
	p.classifier, p.sanctions, p.routing = cls.Addr, sn.Addr, rt.Addr
	for _, s := range run.services {
		if err := app.CheckHealth(ctx, s.Addr); err != nil {
			t.Fatalf("%s not healthy without a credential: %v", s.Name, err)
		}
	}
	nc, js, err := app.ConnectNATS(natsURL("source"), "authz-source")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	p.js = js
	p.source = replay.BusPublisher{Bus: bus.NewPublisher(js, bus.Telemetry{Tracer: tel.Tracer, Propagator: tel.Propagator})}
	return p
}

// publish seeds each JSON Lines comment on the fake platform and publishes it as ingest does.
func (p *pipeline) publish(t *testing.T, jsonl string) []*commentv1.Comment {
	t.Helper()
	var out []*commentv1.Comment
	_, err := replay.Read(strings.NewReader(jsonl), func(_ int, c *commentv1.Comment) error {
		if err := p.fake.Seed(c); err != nil {
			return err
		}
		out = append(out, c)
		return p.source.PublishComment(context.Background(), c)
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// token issues a credential for who.
func (p *pipeline) token(t *testing.T, who auth.Identity) string {
	t.Helper()
	tok, _, err := p.tokens.Create(context.Background(), who, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// requestsOf waits until the tenant has n requests and returns them by office.
func (p *pipeline) requestsOf(t *testing.T, tenant string, n int) map[string]*routingv1.Request {
	t.Helper()
	client := routingv1.NewRoutingServiceClient(dialAs(t, p.routing, p.admin))
	out := map[string]*routingv1.Request{}
	testinfra.Eventually(t, 30*time.Second, func() error {
		resp, err := client.ListRequests(context.Background(), &routingv1.ListRequestsRequest{Tenant: tenant})
		if err != nil {
			return err
		}
		if len(resp.GetRequests()) != n {
			return fmt.Errorf("%s has %d requests, want %d", tenant, len(resp.GetRequests()), n)
		}
		clear(out)
		for _, r := range resp.GetRequests() {
			out[r.GetOffice()] = r
		}
		return nil
	})
	if len(out) != n {
		t.Fatalf("%s: %d requests on %d offices, want one office each", tenant, n, len(out))
	}
	return out
}

// Citizens' requests of two Comuni: in Monza one for the roads office and one for the waste
// office, in Bussero one for its roads office.
const officeComments = `{"id":"az-1","tenant":"monza","platform":"facebook","page_id":"monza-fb","post_id":"p1","text":"Buongiorno, in via Borgazzi c'è una buca enorme sulla strada davanti al civico 12, quando la sistemate?","author":{"id":"fb-user-31","name":"Paola Galli"}}
{"id":"az-2","tenant":"monza","platform":"facebook","page_id":"monza-fb","post_id":"p1","text":"Buongiorno, in via Lecco i rifiuti non vengono raccolti da una settimana, i cassonetti sono pieni: quando passate?","author":{"id":"fb-user-32","name":"Marco Riva"}}
{"id":"az-3","tenant":"bussero","platform":"facebook","page_id":"bussero-fb","post_id":"p9","text":"Buongiorno, in via Roma c'è una buca enorme sulla strada davanti al civico 3, quando la sistemate?","author":{"id":"fb-user-33","name":"Sara Conti"}}
`

// TestOfficeConfinement is the isolation the offices rely on: an office credential of Comune A
// lists, reads, answers and reassigns its own office's requests, and none of another office of
// A nor of Comune B — an unknown request id is refused in the same words as another office's.
func TestOfficeConfinement(t *testing.T) {
	p := startPipeline(t, nil, io.Discard, map[string]string{"monza-fb": "Comune di Monza", "bussero-fb": "Comune di Bussero"})
	p.publish(t, officeComments)
	monza := p.requestsOf(t, "monza", 2)
	bussero := p.requestsOf(t, "bussero", 1)
	roads, waste := monza["lavori_pubblici"], monza["igiene_urbana"]
	if roads == nil || waste == nil {
		t.Fatalf("monza requests by office: %v; want lavori_pubblici and igiene_urbana", keys(monza))
	}
	var other *routingv1.Request
	for _, r := range bussero {
		other = r
	}
	ctx := context.Background()
	office := routingv1.NewRoutingServiceClient(dialAs(t, p.routing, p.token(t, auth.Identity{Tenant: "monza", Role: auth.RoleOffice, Office: "lavori_pubblici"})))

	// Its own office: allowed.
	own, err := office.ListRequests(ctx, &routingv1.ListRequestsRequest{Tenant: "monza", Office: "lavori_pubblici"})
	if err != nil || len(own.GetRequests()) != 1 || own.GetRequests()[0].GetRequestId() != roads.GetRequestId() {
		t.Fatalf("own office's list: %v, %v; want the roads request only", own, err)
	}
	if _, err := office.GetRequest(ctx, &routingv1.GetRequestRequest{Tenant: "monza", RequestId: roads.GetRequestId()}); err != nil {
		t.Errorf("own request: %v", err)
	}
	if _, err := office.Answer(ctx, &routingv1.AnswerRequest{Tenant: "monza", RequestId: roads.GetRequestId(), Text: "Interverremo entro venerdì."}); err != nil {
		t.Errorf("answer own request: %v", err)
	}

	denied := []struct {
		name string
		call func() error
	}{
		{"list all of Monza's offices", func() error {
			_, err := office.ListRequests(ctx, &routingv1.ListRequestsRequest{Tenant: "monza"})
			return err
		}},
		{"list another office of Monza", func() error {
			_, err := office.ListRequests(ctx, &routingv1.ListRequestsRequest{Tenant: "monza", Office: "igiene_urbana"})
			return err
		}},
		{"list Bussero", func() error {
			_, err := office.ListRequests(ctx, &routingv1.ListRequestsRequest{Tenant: "bussero", Office: other.GetOffice()})
			return err
		}},
		{"read another office's request", func() error {
			_, err := office.GetRequest(ctx, &routingv1.GetRequestRequest{Tenant: "monza", RequestId: waste.GetRequestId()})
			return err
		}},
		{"read Bussero's request", func() error {
			_, err := office.GetRequest(ctx, &routingv1.GetRequestRequest{Tenant: "bussero", RequestId: other.GetRequestId()})
			return err
		}},
		{"read Bussero's request named under Monza", func() error {
			_, err := office.GetRequest(ctx, &routingv1.GetRequestRequest{Tenant: "monza", RequestId: other.GetRequestId()})
			return err
		}},
		{"read an unknown request", func() error {
			_, err := office.GetRequest(ctx, &routingv1.GetRequestRequest{Tenant: "monza", RequestId: "no-such-request"})
			return err
		}},
		{"answer another office's request", func() error {
			_, err := office.Answer(ctx, &routingv1.AnswerRequest{Tenant: "monza", RequestId: waste.GetRequestId(), Text: "x"})
			return err
		}},
		{"answer Bussero's request", func() error {
			_, err := office.Answer(ctx, &routingv1.AnswerRequest{Tenant: "bussero", RequestId: other.GetRequestId(), Text: "x"})
			return err
		}},
		{"reassign another office's request to itself", func() error {
			_, err := office.Reassign(ctx, &routingv1.ReassignRequest{Tenant: "monza", RequestId: waste.GetRequestId(), ToOffice: "lavori_pubblici"})
			return err
		}},
		{"reassign Bussero's request", func() error {
			_, err := office.Reassign(ctx, &routingv1.ReassignRequest{Tenant: "bussero", RequestId: other.GetRequestId(), ToOffice: other.GetOffice()})
			return err
		}},
		{"act on its own request claiming another office", func() error {
			_, err := office.Close(ctx, &routingv1.CloseRequest{Tenant: "monza", RequestId: roads.GetRequestId(), Office: "igiene_urbana"})
			return err
		}},
	}
	for _, d := range denied {
		err := d.call()
		if status.Code(err) != codes.PermissionDenied || status.Convert(err).Message() != "permission denied" {
			t.Errorf("%s: got %v, want PermissionDenied saying only \"permission denied\"", d.name, err)
		}
	}
	// The other office's request is untouched.
	admin := routingv1.NewRoutingServiceClient(dialAs(t, p.routing, p.admin))
	got, err := admin.GetRequest(ctx, &routingv1.GetRequestRequest{Tenant: "monza", RequestId: waste.GetRequestId()})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetRequest().GetOffice() != "igiene_urbana" || got.GetRequest().GetState() == routingv1.State_STATE_ANSWERED {
		t.Errorf("waste request after the refused calls: office %s state %s", got.GetRequest().GetOffice(), got.GetRequest().GetState())
	}
}

// TestCredentialErrors: no credential, a malformed, an unknown, a revoked token are
// Unauthenticated; health checks need none; errors name nothing.
func TestCredentialErrors(t *testing.T) {
	p := startPipeline(t, nil, io.Discard, nil)
	ctx := context.Background()
	req := &classifierv1.GetPolicyRequest{Tenant: "monza"}
	revoked := p.token(t, auth.Identity{Tenant: "monza", Role: auth.RoleOperator})
	if err := p.tokens.Revoke(ctx, strings.SplitN(strings.TrimPrefix(revoked, auth.TokenPrefix), "_", 2)[0]); err != nil {
		t.Fatal(err)
	}
	for name, tok := range map[string]string{"none": "", "malformed": "not-a-token", "unknown": auth.TokenPrefix + "aaaaaaaaaaaaaaaa_bbbb", "revoked": revoked} {
		_, err := classifierv1.NewClassifierServiceClient(dialAs(t, p.classifier, tok)).GetPolicy(ctx, req)
		if status.Code(err) != codes.Unauthenticated || strings.Contains(status.Convert(err).Message(), "monza") {
			t.Errorf("%s token: got %v, want Unauthenticated naming nothing", name, err)
		}
	}
	for _, addr := range []string{p.classifier, p.sanctions, p.routing} {
		resp, err := healthpb.NewHealthClient(dialAs(t, addr, "")).Check(ctx, &healthpb.HealthCheckRequest{})
		if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("health of %s without a credential: %v %v", addr, resp, err)
		}
	}
}

// TestServedMatrix calls every rpc of every service, as every role, on its own tenant and on
// another, over the real servers: the cells the policy allows reach the handler (whatever it
// answers), every other cell is PermissionDenied.
func TestServedMatrix(t *testing.T) {
	p := startPipeline(t, nil, io.Discard, map[string]string{"monza-fb": "Comune di Monza", "bussero-fb": "Comune di Bussero"})
	p.publish(t, officeComments)
	monza := p.requestsOf(t, "monza", 2)
	bussero := p.requestsOf(t, "bussero", 1)
	var other *routingv1.Request
	for _, r := range bussero {
		other = r
	}
	target := map[string]*routingv1.Request{"monza": monza["lavori_pubblici"], "bussero": other}
	roles := map[auth.Role]auth.Identity{
		auth.RoleOperator: {Tenant: "monza", Role: auth.RoleOperator},
		auth.RoleOffice:   {Tenant: "monza", Role: auth.RoleOffice, Office: "lavori_pubblici"},
		auth.RoleAuditor:  {Tenant: "monza", Role: auth.RoleAuditor},
		auth.RoleAdmin:    {Tenant: auth.Region, Role: auth.RoleAdmin},
		auth.RoleService:  {Tenant: auth.Region, Role: auth.RoleService},
	}
	conns := map[auth.Role]map[string]*grpc.ClientConn{}
	for role, who := range roles {
		tok := p.token(t, who)
		conns[role] = map[string]*grpc.ClientConn{}
		for svc, addr := range map[string]string{"piazza.classifier.v1.ClassifierService": p.classifier, "piazza.sanctions.v1.SanctionsService": p.sanctions, "piazza.routing.v1.RoutingService": p.routing} {
			conns[role][svc] = dialAs(t, addr, tok)
		}
	}
	rules := auth.DefaultRules()
	cells, allowed := 0, 0
	for _, m := range servedMethods(t) {
		access := rules[m.full]
		for _, role := range auth.AllRoles() {
			for _, tenant := range []string{"monza", "bussero"} {
				want := slices.Contains(access.Roles, role) && (tenant == "monza" || roles[role].Tenant == auth.Region)
				r := target[tenant]
				req := fillRequest(m.input, tenant, r.GetOffice(), r.GetRequestId())
				resp := m.output.New().Interface()
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				err := conns[role][m.service].Invoke(ctx, m.full, req, resp)
				cancel()
				cells++
				code := status.Code(err)
				switch {
				case want && (code == codes.PermissionDenied || code == codes.Unauthenticated):
					t.Errorf("%s as %s on %s: got %v, want it to reach the service", m.full, role, tenant, err)
				case want:
					allowed++
				case code != codes.PermissionDenied:
					t.Errorf("%s as %s on %s: got %v, want PermissionDenied", m.full, role, tenant, err)
				}
			}
		}
	}
	t.Logf("%d cells, %d allowed", cells, allowed)
}

type servedMethod struct {
	full, service string
	input, output protoreflect.MessageType
}

// servedMethods lists every rpc of the three Piazza services from the registry.
func servedMethods(t *testing.T) []servedMethod {
	t.Helper()
	var out []servedMethod
	for _, name := range []string{"piazza.classifier.v1.ClassifierService", "piazza.sanctions.v1.SanctionsService", "piazza.routing.v1.RoutingService"} {
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(name))
		if err != nil {
			t.Fatal(err)
		}
		sd := d.(protoreflect.ServiceDescriptor)
		for i := 0; i < sd.Methods().Len(); i++ {
			md := sd.Methods().Get(i)
			in, err1 := protoregistry.GlobalTypes.FindMessageByName(md.Input().FullName())
			outT, err2 := protoregistry.GlobalTypes.FindMessageByName(md.Output().FullName())
			if err1 != nil || err2 != nil {
				t.Fatalf("%s: %v %v", md.FullName(), err1, err2)
			}
			out = append(out, servedMethod{full: "/" + name + "/" + string(md.Name()), service: name, input: in, output: outT})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].full < out[j].full })
	return out
}

// fillRequest builds a request of any rpc for tenant: its tenant field, its comment's or
// comments' tenant, its office and request id.
func fillRequest(mt protoreflect.MessageType, tenant, office, requestID string) proto.Message {
	m := mt.New()
	fields := m.Descriptor().Fields()
	set := func(msg protoreflect.Message, name, v string) {
		if f := msg.Descriptor().Fields().ByName(protoreflect.Name(name)); f != nil && f.Kind() == protoreflect.StringKind && !f.IsList() {
			msg.Set(f, protoreflect.ValueOfString(v))
		}
	}
	set(m, "tenant", tenant)
	set(m, "office", office)
	set(m, "request_id", requestID)
	if f := fields.ByName("comment"); f != nil {
		set(m.Mutable(f).Message(), "tenant", tenant)
	}
	if f := fields.ByName("comments"); f != nil {
		l := m.Mutable(f).List()
		c := l.NewElement()
		set(c.Message(), "tenant", tenant)
		l.Append(c)
	}
	return m.Interface()
}

// TestPipelineUnderNATSPermissions runs the services against a NATS server started from the
// shipped deploy/nats/nats-server.conf, each service with its own user: the whole flow —
// comments in, decisions, requests, the reply on the platform — works within the permissions.
func TestPipelineUnderNATSPermissions(t *testing.T) {
	passwords := map[string]string{}
	for _, user := range []string{"ingest", "sanctions", "routing", "ops"} {
		passwords[user] = "pw-" + user + "-" + strings.Repeat("x", 12)
		t.Setenv("NATS_"+strings.ToUpper(user)+"_PASSWORD", passwords[user])
	}
	opts, err := server.ProcessConfigFile("../../../deploy/nats/nats-server.conf")
	if err != nil {
		t.Fatal(err)
	}
	opts.Host, opts.Port, opts.HTTPPort = "127.0.0.1", -1, 0
	opts.StoreDir = t.TempDir()
	opts.NoLog, opts.NoSigs = true, true
	ns, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start")
	}
	urlAs := func(service string) string {
		user := service
		if service == "source" {
			user = "ingest" // the test publishes comments as ingest's connectors do
		}
		if service == "classifier" {
			user = "ops" // the classifier never touches NATS; Start* does not connect it
		}
		return fmt.Sprintf("nats://%s:%s@%s", user, passwords[user], strings.TrimPrefix(ns.ClientURL(), "nats://"))
	}
	p := startPipelineOn(t, nil, io.Discard, map[string]string{"monza-fb": "Comune di Monza", "bussero-fb": "Comune di Bussero"}, urlAs)
	published := p.publish(t, officeComments)
	p.requestsOf(t, "monza", 2)
	p.requestsOf(t, "bussero", 1)
	testinfra.Eventually(t, 20*time.Second, func() error {
		replies := 0
		for _, a := range p.fake.Server.Actions() {
			if a.Kind == "reply" {
				replies++
			}
		}
		if replies < len(published) {
			return fmt.Errorf("%d replies on the platform, want %d (one acknowledgement per request)", replies, len(published))
		}
		return nil
	})
}
