package routing_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/piazza-pa/piazza/pkg/bus"
	"github.com/piazza-pa/piazza/pkg/decisions"
	"github.com/piazza-pa/piazza/pkg/livepolicy"
	"github.com/piazza-pa/piazza/pkg/policy"
	"github.com/piazza-pa/piazza/pkg/testinfra"
	actionv1 "github.com/piazza-pa/piazza/proto/gen/piazza/action/v1"
	classifierv1 "github.com/piazza-pa/piazza/proto/gen/piazza/classifier/v1"
	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	routingv1 "github.com/piazza-pa/piazza/proto/gen/piazza/routing/v1"
	sanctionsv1 "github.com/piazza-pa/piazza/proto/gen/piazza/sanctions/v1"
	"github.com/piazza-pa/piazza/services/routing"
)

type env struct {
	svc    *routing.Service
	js     jetstream.JetStream
	client routingv1.RoutingServiceClient
	now    time.Time
}

func setup(t *testing.T) *env {
	t.Helper()
	srv := testinfra.StartNATS(t)
	rds := testinfra.StartRedis(t)
	js := srv.JetStream(t)
	set, err := policy.LoadDir("../../deploy/policies")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{js: js, now: time.Date(2026, 11, 16, 10, 0, 0, 0, time.UTC)}
	e.svc, err = routing.New(routing.Config{
		Redis: rds.Client, Policies: livepolicy.Static(set), Publisher: bus.NewPublisher(js, bus.Telemetry{}),
		KeyPrefix: "test:", Now: func() time.Time { return e.now },
	})
	if err != nil {
		t.Fatal(err)
	}
	e.client = routingv1.NewRoutingServiceClient(serveGRPC(t, e.svc))
	return e
}

// serveGRPC serves svc over a real loopback listener and returns a client connection.
func serveGRPC(t *testing.T, svc *routing.Service) *grpc.ClientConn {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer()
	routingv1.RegisterRoutingServiceServer(gs, routing.NewGRPCServer(svc))
	go func() { _ = gs.Serve(l) }()
	t.Cleanup(gs.Stop)
	conn, err := grpc.NewClient(l.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

func decision(tenant, id string, channel commentv1.Channel, anonymous bool, labels []string, topic string) *sanctionsv1.Decision {
	v := &classifierv1.Verdict{Tenant: tenant, CommentId: id, Topic: topic, TopicConfidence: 0.9}
	for _, l := range labels {
		v.Categories = append(v.Categories, &classifierv1.CategoryScore{Category: l, Score: 0.9})
	}
	return &sanctionsv1.Decision{
		DecisionId: "decision:facebook:" + id,
		Comment: &commentv1.Comment{
			Tenant: tenant, Platform: commentv1.Platform_PLATFORM_FACEBOOK, CommentId: id, PageId: tenant + "-fb",
			Channel: channel, Text: "testo della richiesta", Author: &commentv1.Author{Id: "u1", Pseudonym: "uabc", Anonymous: anonymous},
			CreatedAt: timestamppb.New(time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)),
		},
		Verdict: v,
	}
}

// istanza is a request to file a formal application.
func istanza(tenant, id string) *sanctionsv1.Decision {
	d := decision(tenant, id, commentv1.Channel_CHANNEL_COMMENT, false, []string{"request"}, "social")
	d.Comment.Text = "Buongiorno, come presento la domanda per il contributo affitti?"
	return d
}

// actions drains the ACTIONS work queue and returns what routing asked for.
func (e *env) actions(t *testing.T) []*actionv1.Action {
	t.Helper()
	ctx := context.Background()
	// Every action published so far has a stream sequence up to the stream's last one: its
	// publisher had the acknowledgement. Read until that one, however late the delivery.
	st, err := e.js.Stream(ctx, bus.StreamActions)
	if err != nil {
		t.Fatal(err)
	}
	last := st.CachedInfo().State.LastSeq
	cons, err := e.js.CreateOrUpdateConsumer(ctx, bus.StreamActions, jetstream.ConsumerConfig{Durable: "test", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatal(err)
	}
	read := cons.CachedInfo().Delivered.Stream
	var out []*actionv1.Action
	for read < last {
		batch, err := cons.Fetch(int(last-read), jetstream.FetchMaxWait(10*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for m := range batch.Messages() {
			got++
			var a actionv1.Action
			if err := proto.Unmarshal(m.Data(), &a); err != nil {
				t.Fatal(err)
			}
			out = append(out, &a)
			if md, err := m.Metadata(); err == nil {
				read = md.Sequence.Stream
			}
			_ = m.Ack()
		}
		if got == 0 {
			t.Fatalf("requested actions up to stream sequence %d not delivered (read up to %d): %v", last, read, batch.Error())
		}
	}
	return out
}

func TestDispositions(t *testing.T) {
	tests := []struct {
		name      string
		d         *sanctionsv1.Decision
		want      routing.Disposition
		wantKind  actionv1.Kind
		wantText  string
		wantCount int
	}{
		{"public request routed with a public acknowledgement", decision("monza", "c1", commentv1.Channel_CHANNEL_COMMENT, false, []string{"request"}, "roads"),
			routing.DispositionRouted, actionv1.Kind_KIND_REPLY, "presa in carico", 1},
		{"private request answered in private", decision("crespiatica", "c2", commentv1.Channel_CHANNEL_PRIVATE_MESSAGE, false, []string{"request"}, "registry"),
			routing.DispositionRouted, actionv1.Kind_KIND_PRIVATE_REPLY, "", 1},
		{"emergency redirected to the numbers", decision("canegrate", "c3", commentv1.Channel_CHANNEL_COMMENT, false, []string{"emergency"}, ""),
			routing.DispositionEmergency, actionv1.Kind_KIND_REPLY, "112", 0},
		{"anonymous report refused where the tenant refuses them", decision("crespiatica", "c4", commentv1.Channel_CHANNEL_COMMENT, true, []string{"request"}, "roads"),
			routing.DispositionRefused, actionv1.Kind_KIND_REPLY, "", 0},
		{"Bussero points to the official channel and forwards to the URP", decision("bussero", "c8", commentv1.Channel_CHANNEL_COMMENT, false, []string{"request"}, "roads"),
			routing.DispositionRouted, actionv1.Kind_KIND_REPLY, "non sostituiscono i canali", 1},
		{"istanza pointed to the website, nothing opened", istanza("canegrate", "c9"),
			routing.DispositionIstanza, actionv1.Kind_KIND_REPLY, "https://", 0},
		{"clean comment untouched", decision("monza", "c5", commentv1.Channel_CHANNEL_COMMENT, false, nil, ""),
			routing.DispositionNone, actionv1.Kind_KIND_UNSPECIFIED, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t)
			got, err := e.svc.Dispose(context.Background(), tt.d)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("disposition %s, want %s", got, tt.want)
			}
			acts := e.actions(t)
			if tt.wantKind == actionv1.Kind_KIND_UNSPECIFIED {
				if len(acts) != 0 {
					t.Errorf("actions %v, want none", acts)
				}
			} else if len(acts) != 1 || acts[0].GetKind() != tt.wantKind || !strings.Contains(acts[0].GetText(), tt.wantText) {
				t.Errorf("actions %v, want one %s containing %q", acts, tt.wantKind, tt.wantText)
			}
			list, err := e.client.ListRequests(context.Background(), &routingv1.ListRequestsRequest{Tenant: tt.d.GetComment().GetTenant()})
			if err != nil {
				t.Fatal(err)
			}
			if len(list.GetRequests()) != tt.wantCount {
				t.Errorf("%d requests opened, want %d", len(list.GetRequests()), tt.wantCount)
			}
		})
	}
}

func TestSanctionedCommentGetsNoReply(t *testing.T) {
	e := setup(t)
	d := decision("monza", "c6", commentv1.Channel_CHANNEL_COMMENT, false, []string{"insult", "request"}, "roads")
	d.NoReply = true
	d.Strikes = []*sanctionsv1.StrikeCount{{Category: "insult", Count: 1}}
	got, err := e.svc.Dispose(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	if got != routing.DispositionNoReply || len(e.actions(t)) != 0 {
		t.Errorf("disposition %s with actions, want no_reply and none", got)
	}
}

func TestRequestLifecycleOverGRPC(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	d := decision("monza", "c7", commentv1.Channel_CHANNEL_COMMENT, false, []string{"request"}, "roads")
	for i := 0; i < 2; i++ { // a redelivered decision opens nothing new
		if _, err := e.svc.Dispose(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	list, err := e.client.ListRequests(ctx, &routingv1.ListRequestsRequest{Tenant: "monza"})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.GetRequests()) != 1 {
		t.Fatalf("%d requests, want 1", len(list.GetRequests()))
	}
	r := list.GetRequests()[0]
	if r.GetOffice() == "" || r.GetState() != routingv1.State_STATE_ACKNOWLEDGED {
		t.Errorf("request %v: want an office and acknowledged", r)
	}
	if !r.GetFirstAnswerDue().AsTime().After(r.GetReceivedAt().AsTime()) {
		t.Errorf("first answer due %v is not after received %v", r.GetFirstAnswerDue().AsTime(), r.GetReceivedAt().AsTime())
	}
	e.actions(t) // the acknowledgement

	for _, filter := range []*routingv1.ListRequestsRequest{
		{Tenant: "monza", Office: "no-such-office"},
		{Tenant: "monza", State: routingv1.State_STATE_CLOSED},
	} {
		got, err := e.client.ListRequests(ctx, filter)
		if err != nil || len(got.GetRequests()) != 0 {
			t.Errorf("ListRequests(%v) = %d, %v; want none", filter, len(got.GetRequests()), err)
		}
	}

	ans, err := e.client.Answer(ctx, &routingv1.AnswerRequest{Tenant: "monza", RequestId: r.GetRequestId(), Text: "La buca sarà chiusa entro venerdì."})
	if err != nil {
		t.Fatal(err)
	}
	if ans.GetRequest().GetState() != routingv1.State_STATE_ANSWERED {
		t.Errorf("state after answer %s", ans.GetRequest().GetState())
	}
	set, _ := policy.LoadDir("../../deploy/policies")
	monza, _ := set.Tenant("monza")
	head := monza.Offices[r.GetOffice()].Head
	acts := e.actions(t)
	if len(acts) != 1 || acts[0].GetKind() != actionv1.Kind_KIND_REPLY || !strings.Contains(acts[0].GetText(), head) ||
		!strings.Contains(acts[0].GetText(), "entro venerdì") {
		t.Errorf("answer actions %v, want a public reply naming %q with the answer", acts, head)
	}
	got, err := e.client.GetRequest(ctx, &routingv1.GetRequestRequest{Tenant: "monza", RequestId: r.GetRequestId()})
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, ev := range got.GetHistory() {
		types = append(types, ev.GetType().String())
	}
	if fmt.Sprint(types) != "[EVENT_TYPE_OPENED EVENT_TYPE_ANSWERED]" {
		t.Errorf("history %v", types)
	}
}

func TestGRPCErrors(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	tests := []struct {
		name string
		call func() error
		want codes.Code
	}{
		{"unknown tenant", func() error {
			_, err := e.client.ListRequests(ctx, &routingv1.ListRequestsRequest{Tenant: "atlantide"})
			return err
		}, codes.NotFound},
		{"unknown request", func() error {
			_, err := e.client.GetRequest(ctx, &routingv1.GetRequestRequest{Tenant: "monza", RequestId: "req-0"})
			return err
		}, codes.NotFound},
		{"empty answer", func() error {
			_, err := e.client.Answer(ctx, &routingv1.AnswerRequest{Tenant: "monza", RequestId: "req-0"})
			return err
		}, codes.InvalidArgument},
		{"bad page token", func() error {
			_, err := e.client.ListRequests(ctx, &routingv1.ListRequestsRequest{Tenant: "monza", PageToken: "zzz"})
			return err
		}, codes.InvalidArgument},
	}
	for _, tt := range tests {
		if got := status.Code(tt.call()); got != tt.want {
			t.Errorf("%s: code %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestListPagination(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	for i := 0; i < 7; i++ {
		if _, err := e.svc.Dispose(ctx, decision("bussero", fmt.Sprint("p", i), commentv1.Channel_CHANNEL_COMMENT, false, []string{"request"}, "waste")); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	token := ""
	for pages := 0; pages < 10; pages++ {
		resp, err := e.client.ListRequests(ctx, &routingv1.ListRequestsRequest{Tenant: "bussero", PageSize: 3, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range resp.GetRequests() {
			seen[r.GetRequestId()] = true
		}
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	if len(seen) != 7 {
		t.Errorf("paged through %d requests, want 7", len(seen))
	}
}

// Routing consumes only the decisions sanctions publishes on bus.DecisionMade
// (decisions.ForRouting). Every decision left out must be one routing would dispose of as
// "none", touching nothing: tried over every combination of labels, thread, no-reply and
// strikes, with a request waiting for its citizen in the thread the replies belong to.
func TestDecisionsLeftOutOfRoutingAreDisposedOfAsNone(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	parent := decision("monza", "p1", commentv1.Channel_CHANNEL_COMMENT, false, []string{"request"}, "roads")
	if got, err := e.svc.Dispose(ctx, parent); err != nil || got != routing.DispositionRouted {
		t.Fatalf("opening the parent request: %s %v", got, err)
	}
	list, err := e.client.ListRequests(ctx, &routingv1.ListRequestsRequest{Tenant: "monza"})
	if err != nil || len(list.GetRequests()) != 1 {
		t.Fatalf("list: %v %v", list, err)
	}
	if _, err := e.client.WaitForCitizen(ctx, &routingv1.WaitForCitizenRequest{Tenant: "monza", RequestId: list.GetRequests()[0].GetRequestId(), Actor: "urp", Question: "serve il civico"}); err != nil {
		t.Fatal(err)
	}
	e.actions(t)

	n, left := 0, 0
	for _, labels := range [][]string{nil, {"insult"}, {"spam"}, {"request"}, {"emergency"}, {"insult", "request"}} {
		for _, inThread := range []bool{false, true} {
			for _, noReply := range []bool{false, true} {
				for _, struck := range []bool{false, true} {
					n++
					d := decision("monza", fmt.Sprintf("x%d", n), commentv1.Channel_CHANNEL_COMMENT, false, labels, "roads")
					if inThread {
						d.Comment.ParentId = "p1"
					}
					d.NoReply = noReply
					if struck {
						d.Strikes = []*sanctionsv1.StrikeCount{{Category: "insult", Count: 1}}
					}
					if decisions.ForRouting(d) {
						continue
					}
					left++
					got, err := e.svc.Dispose(ctx, d)
					if err != nil || got != routing.DispositionNone {
						t.Errorf("labels %v, thread %v, no reply %v, strikes %v: left out of routing but disposed of as %q (%v)", labels, inThread, noReply, struck, got, err)
					}
				}
			}
		}
	}
	if left == 0 || left == n {
		t.Fatalf("%d of %d decisions left out of routing: the table does not try both sides", left, n)
	}
	if acts := e.actions(t); len(acts) != 0 {
		t.Errorf("decisions left out of routing asked for actions: %v", acts)
	}
	got, err := e.client.GetRequest(ctx, &routingv1.GetRequestRequest{Tenant: "monza", RequestId: list.GetRequests()[0].GetRequestId()})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetRequest().GetState() != routingv1.State_STATE_WAITING {
		t.Errorf("the waiting request is now %s: a decision left out of routing changed it", got.GetRequest().GetState())
	}
}

// Opening a request sends the tenant's registration and the open script in one pipeline; when
// Redis has lost its script cache (a restart), the script is loaded and the pipeline sent again.
func TestOpeningSurvivesALostScriptCache(t *testing.T) {
	srv := testinfra.StartNATS(t)
	rds := testinfra.StartRedis(t)
	set, err := policy.LoadDir("../../deploy/policies")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 16, 10, 0, 0, 0, time.UTC)
	svc, err := routing.New(routing.Config{
		Redis: rds.Client, Policies: livepolicy.Static(set), Publisher: bus.NewPublisher(srv.JetStream(t), bus.Telemetry{}),
		KeyPrefix: "test:", Now: func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i, flush := range []bool{false, true, false} {
		if flush {
			if err := rds.Client.ScriptFlush(ctx).Err(); err != nil {
				t.Fatal(err)
			}
		}
		d := decision("monza", fmt.Sprintf("s%d", i), commentv1.Channel_CHANNEL_COMMENT, false, []string{"request"}, "roads")
		if got, err := svc.Dispose(ctx, d); err != nil || got != routing.DispositionRouted {
			t.Fatalf("request %d (script cache flushed: %v): %s %v", i, flush, got, err)
		}
	}
	if n, err := rds.Client.ZCard(ctx, "test:requests:{monza}").Result(); err != nil || n != 3 {
		t.Errorf("%d requests indexed (%v), want 3", n, err)
	}
	if ts, err := rds.Client.SMembers(ctx, "test:routing-tenants").Result(); err != nil || len(ts) != 1 || ts[0] != "monza" {
		t.Errorf("tenants with requests %v (%v), want [monza]", ts, err)
	}
}
