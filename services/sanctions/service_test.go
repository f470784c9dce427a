package sanctions_test

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/piazza-pa/piazza/pkg/bus"
	"github.com/piazza-pa/piazza/pkg/livepolicy"
	"github.com/piazza-pa/piazza/pkg/policy"
	"github.com/piazza-pa/piazza/pkg/pseudonym"
	"github.com/piazza-pa/piazza/pkg/testinfra"
	actionv1 "github.com/piazza-pa/piazza/proto/gen/piazza/action/v1"
	classifierv1 "github.com/piazza-pa/piazza/proto/gen/piazza/classifier/v1"
	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	sanctionsv1 "github.com/piazza-pa/piazza/proto/gen/piazza/sanctions/v1"
	"github.com/piazza-pa/piazza/services/classifier"
	"github.com/piazza-pa/piazza/services/classifier/rules"
	"github.com/piazza-pa/piazza/services/sanctions"
)

type env struct {
	svc    *sanctions.Service
	js     jetstream.JetStream
	client sanctionsv1.SanctionsServiceClient
	redis  *testinfra.Redis
	// classifier is the connection to the real classifier server.
	classifier *grpc.ClientConn
	policies   *livepolicy.Set
	pseud      *pseudonym.Keyed
}

// serve registers on a gRPC server over a real loopback listener and returns a client connection.
func serve(t testing.TB, register func(*grpc.Server)) *grpc.ClientConn {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer()
	register(gs)
	go func() { _ = gs.Serve(l) }()
	t.Cleanup(gs.Stop)
	conn, err := grpc.NewClient(l.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// setup starts NATS, Redis and the classifier, and a sanctions service whose configuration the
// options may change.
func setup(t testing.TB, opts ...func(*sanctions.Config)) *env {
	t.Helper()
	srv := testinfra.StartNATS(t)
	rds := testinfra.StartRedis(t)
	js := srv.JetStream(t)
	set, err := policy.LoadDir("../../deploy/policies")
	if err != nil {
		t.Fatal(err)
	}
	policies := livepolicy.Static(set)
	engine, err := rules.NewEngine()
	if err != nil {
		t.Fatal(err)
	}
	cls, err := classifier.NewServer(engine, policies, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	cconn := serve(t, func(s *grpc.Server) { classifierv1.RegisterClassifierServiceServer(s, cls) })
	pseud, err := pseudonym.New([]byte("sanctions-test-key-123"))
	if err != nil {
		t.Fatal(err)
	}
	// The service's own client gives up fast when Redis is down, so that the tests of an outage
	// see the error the consumer would act on without waiting through dial retries.
	ropts, err := redis.ParseURL(rds.URL)
	if err != nil {
		t.Fatal(err)
	}
	ropts.MaxRetries, ropts.DialerRetries, ropts.DialTimeout = -1, 1, 200*time.Millisecond
	rdb := redis.NewClient(ropts)
	t.Cleanup(func() { _ = rdb.Close() })
	cfg := sanctions.Config{
		Redis: rdb, Classifier: classifierv1.NewClassifierServiceClient(cconn), Policies: policies,
		Publisher: bus.NewPublisher(js, bus.Telemetry{}), Pseudonyms: pseud, KeyPrefix: "test:",
		Now: func() time.Time { return time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC) },
	}
	for _, o := range opts {
		o(&cfg)
	}
	svc, err := sanctions.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sconn := serve(t, func(s *grpc.Server) { sanctionsv1.RegisterSanctionsServiceServer(s, sanctions.NewGRPCServer(svc)) })
	return &env{svc: svc, js: js, client: sanctionsv1.NewSanctionsServiceClient(sconn), redis: rds, classifier: cconn, policies: policies, pseud: pseud}
}

var day0 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

func comment(tenant, id, user, text string, n int) *commentv1.Comment {
	return &commentv1.Comment{
		Tenant: tenant, Platform: commentv1.Platform_PLATFORM_FACEBOOK, CommentId: id, PageId: tenant + "-fb",
		Channel: commentv1.Channel_CHANNEL_COMMENT, Text: text, PostText: "Avviso: lavori in via Roma",
		Author:    &commentv1.Author{Id: user, Name: "Utente " + user},
		CreatedAt: timestamppb.New(day0.Add(time.Duration(n) * time.Hour)),
	}
}

func (e *env) handle(t testing.TB, c *commentv1.Comment) error {
	t.Helper()
	data, err := proto.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return e.svc.HandleComment(context.Background(), &bus.Message{Subject: bus.CommentReceived(c.GetTenant()), Data: data, NumDelivered: 1})
}

func (e *env) decide(t testing.TB, c *commentv1.Comment) *sanctionsv1.Decision {
	t.Helper()
	d, err := e.svc.Decide(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func has(codes []string, code string) bool {
	for _, c := range codes {
		if c == code {
			return true
		}
	}
	return false
}

func TestLaddersClimbPerTenantPolicy(t *testing.T) {
	insult := "Sei un idiota, vergognati"
	tests := []struct {
		tenant string
		// wantBlockAt is the strike at which the user is blocked; 0 means never.
		wantBlockAt int
		// wantFirst must be among the first violation's actions.
		wantFirst string
	}{
		{"monza", 2, "delete"},
		{"canegrate", 3, "warn"},
		{"maglione", 0, "delete"},
		{"bussero", 0, "delete"},
	}
	for _, tt := range tests {
		t.Run(tt.tenant, func(t *testing.T) {
			e := setup(t)
			for i := 1; i <= 4; i++ {
				d := e.decide(t, comment(tt.tenant, fmt.Sprint(tt.tenant, "-", i), "u1", insult, i))
				if len(d.GetStrikes()) == 0 {
					t.Fatalf("strike %d: no strike recorded; verdict %v", i, d.GetVerdict().GetCategories())
				}
				if got := d.GetStrikes()[0].GetCount(); int(got) != i {
					t.Errorf("comment %d counted as strike %d", i, got)
				}
				blocked := has(d.GetActionCodes(), "block")
				if wantBlock := tt.wantBlockAt != 0 && i >= tt.wantBlockAt; blocked != wantBlock {
					t.Errorf("strike %d: block=%v, want %v (actions %v)", i, blocked, wantBlock, d.GetActionCodes())
				}
				if i == 1 && !has(d.GetActionCodes(), tt.wantFirst) {
					t.Errorf("first violation actions %v, want %s", d.GetActionCodes(), tt.wantFirst)
				}
				if !d.GetNoReply() || d.GetEvidenceSha256() == "" || len(d.GetCitations()) == 0 {
					t.Errorf("decision lacks no_reply, evidence hash or citations: %v", d)
				}
			}
		})
	}
}

func TestRedeliveryCountsOnceAndRepeatsTheDecision(t *testing.T) {
	e := setup(t)
	c := comment("monza", "r1", "u2", "Sindaco sei un idiota", 1)
	first := e.decide(t, c)
	for i := 0; i < 3; i++ {
		if err := e.handle(t, c); err != nil {
			t.Fatal(err)
		}
	}
	again := e.decide(t, c)
	if !proto.Equal(first, again) {
		t.Errorf("redelivery changed the decision:\nfirst %v\nagain %v", first, again)
	}
	rec, err := e.client.GetUserRecord(context.Background(), &sanctionsv1.GetUserRecordRequest{Tenant: "monza", Platform: commentv1.Platform_PLATFORM_FACEBOOK, UserId: "u2"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.GetHistory()) != 1 || rec.GetBlocked() {
		t.Errorf("record %v, want one strike and no block", rec)
	}
	// The decision and its actions reached the streams once.
	ctx := context.Background()
	st, _ := e.js.Stream(ctx, bus.StreamDecisions)
	info, _ := st.Info(ctx)
	if info.State.Msgs != 1 {
		t.Errorf("%d decisions published, want 1", info.State.Msgs)
	}
}

func TestCleanCommentIsLeftAlone(t *testing.T) {
	e := setup(t)
	d := e.decide(t, comment("monza", "ok1", "u3", "Grazie mille per l'informazione, buona giornata", 1))
	if len(d.GetStrikes()) != 0 || len(d.GetActions()) != 0 || fmt.Sprint(d.GetActionCodes()) != "[none]" {
		t.Errorf("clean comment decided %v", d)
	}
}

func TestActionsCarryWhatTheEnforcerNeeds(t *testing.T) {
	e := setup(t)
	e.decide(t, comment("monza", "b1", "u4", "Sei un idiota", 1))
	d := e.decide(t, comment("monza", "b2", "u4", "Sei proprio un idiota", 2))
	var kinds []actionv1.Kind
	for _, a := range d.GetActions() {
		kinds = append(kinds, a.GetKind())
		if a.GetActionId() == "" || a.GetPageId() != "monza-fb" || a.GetCommentId() != "b2" || a.GetReason() == "" {
			t.Errorf("action %v lacks ids or reason", a)
		}
		if a.GetKind() == actionv1.Kind_KIND_BLOCK && a.GetAuthorId() != "u4" {
			t.Errorf("block targets %q, want the platform user id", a.GetAuthorId())
		}
	}
	if fmt.Sprint(kinds) != "[KIND_DELETE KIND_BLOCK]" {
		t.Errorf("actions %v, want delete then block", kinds)
	}
}

func TestPoisonComments(t *testing.T) {
	e := setup(t)
	for name, c := range map[string]*commentv1.Comment{
		"no tenant":        {Platform: commentv1.Platform_PLATFORM_FACEBOOK, CommentId: "x", Text: "a"},
		"no id":            {Tenant: "monza", Platform: commentv1.Platform_PLATFORM_FACEBOOK, Text: "a"},
		"unknown tenant":   {Tenant: "atlantide", Platform: commentv1.Platform_PLATFORM_FACEBOOK, CommentId: "x", Text: "a"},
		"no platform":      {Tenant: "monza", CommentId: "x", Text: "a"},
		"no text to judge": {Tenant: "monza", Platform: commentv1.Platform_PLATFORM_FACEBOOK, CommentId: "x"},
	} {
		if err := e.handle(t, c); !bus.IsPermanent(err) {
			t.Errorf("%s: %v, want a permanent error", name, err)
		}
	}
	data, _ := proto.Marshal(comment("monza", "x", "u", "ciao", 1))
	err := e.svc.HandleComment(context.Background(), &bus.Message{Subject: bus.CommentReceived("bussero"), Data: data})
	if !bus.IsPermanent(err) {
		t.Errorf("tenant mismatch with the subject: %v, want permanent", err)
	}
}

func TestUserRecordErrors(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	for _, tt := range []struct {
		req  *sanctionsv1.GetUserRecordRequest
		want codes.Code
	}{
		{&sanctionsv1.GetUserRecordRequest{Tenant: "atlantide", Platform: commentv1.Platform_PLATFORM_FACEBOOK, UserId: "u"}, codes.NotFound},
		{&sanctionsv1.GetUserRecordRequest{Tenant: "monza", Platform: commentv1.Platform_PLATFORM_FACEBOOK}, codes.InvalidArgument},
		{&sanctionsv1.GetUserRecordRequest{Tenant: "monza", UserId: "u"}, codes.InvalidArgument},
	} {
		_, err := e.client.GetUserRecord(ctx, tt.req)
		if got := status.Code(err); got != tt.want {
			t.Errorf("GetUserRecord(%v) = %s, want %s", tt.req, got, tt.want)
		}
	}
}
