package app_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/protobuf/proto"

	"github.com/piazza-pa/piazza/pkg/bus"
	"github.com/piazza-pa/piazza/pkg/telemetry"
	"github.com/piazza-pa/piazza/pkg/testinfra"
	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	routingv1 "github.com/piazza-pa/piazza/proto/gen/piazza/routing/v1"
	sanctionsv1 "github.com/piazza-pa/piazza/proto/gen/piazza/sanctions/v1"
	"github.com/piazza-pa/piazza/services/ingest/platform/facebook/fakegraph"
	"github.com/piazza-pa/piazza/services/ingest/replay"
	"github.com/piazza-pa/piazza/services/piazza/app"
)

// The comments of the end-to-end run: the same Monza user insults twice, a citizen reports a
// pothole, another thanks the Comune.
const e2eComments = `{"id":"e2e-1","tenant":"monza","platform":"facebook","page_id":"monza-fb","post_id":"p1","post_text":"Lavori in via Italia: da lunedì chiusa al traffico","text":"Sindaco sei un idiota e un buffone","author":{"id":"fb-user-77","name":"Mario Rossi"},"created_at":"2026-11-16T10:00:00+01:00"}
{"id":"e2e-2","tenant":"monza","platform":"facebook","page_id":"monza-fb","post_id":"p1","post_text":"Lavori in via Italia: da lunedì chiusa al traffico","text":"Buongiorno, in via Borgazzi c'è una buca enorme sulla strada davanti al civico 12, quando la sistemate?","author":{"id":"fb-user-12","name":"Giulia Bianchi"},"created_at":"2026-11-16T10:05:00+01:00"}
{"id":"e2e-3","tenant":"monza","platform":"facebook","page_id":"monza-fb","post_id":"p1","post_text":"Lavori in via Italia: da lunedì chiusa al traffico","text":"Grazie per l'avviso, buona giornata!","author":{"id":"fb-user-13","name":"Anna Verdi"},"created_at":"2026-11-16T10:06:00+01:00"}
{"id":"e2e-4","tenant":"monza","platform":"facebook","page_id":"monza-fb","post_id":"p1","post_text":"Lavori in via Italia: da lunedì chiusa al traffico","text":"Sei proprio un idiota, sindaco","author":{"id":"fb-user-77","name":"Mario Rossi"},"created_at":"2026-11-16T11:00:00+01:00"}
`

// failOnce makes the first handling of each message that matches fail after the handler's
// effects are durable, as a consumer killed between the Redis write and the ack would.
type failOnce struct {
	mu   sync.Mutex
	seen map[uint64]bool
}

func (f *failOnce) middleware(next bus.Handler) bus.Handler {
	return func(ctx context.Context, m *bus.Message) error {
		if err := next(ctx, m); err != nil {
			return err
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if !f.seen[m.Sequence] {
			f.seen[m.Sequence] = true
			return errors.New("injected: crash before ack")
		}
		return nil
	}
}

func TestEndToEnd(t *testing.T) {
	ctx := context.Background()
	nats := testinfra.StartNATS(t)
	spans := tracetest.NewInMemoryExporter()
	common, rds := testbed(t, "e2e", telemetry.Config{SpanExporter: spans})
	tel := common.Telemetry
	common.NATSURL = nats.URL
	var adminToken string
	common.Security, adminToken = localSecurity(t, rds.Client, "e2e:", tel)
	fake, err := app.StartFakeFacebook()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fake.Close(context.Background()) })
	fake.RegisterPage("monza-fb", "Comune di Monza")

	run := runServices(t)
	cls := run.start(app.StartClassifier(ctx, common, "127.0.0.1:0"))
	run.start(app.StartIngest(ctx, common, "127.0.0.1:0", app.IngestConfig{FacebookGraphURL: fake.URL, FacebookTokens: fake.Tokens}))
	rt := run.start(app.StartRouting(ctx, common, "127.0.0.1:0", app.RoutingConfig{}))
	crash := &failOnce{seen: map[uint64]bool{}}
	sanctionsCommon := common
	sanctionsCommon.Middlewares = []bus.Middleware{crash.middleware}
	sn := run.start(app.StartSanctions(ctx, sanctionsCommon, "127.0.0.1:0", cls.Addr))
	services := run.services
	for _, s := range services {
		if err := app.CheckHealth(ctx, s.Addr); err != nil {
			t.Fatalf("%s not healthy: %v", s.Name, err)
		}
	}

	// The source: every comment seeded on the fake Facebook and published by ingest's replay.
	nc, js, err := app.ConnectNATS(nats.URL, "e2e-source")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	pub := bus.NewPublisher(js, bus.Telemetry{Tracer: tel.Tracer, Propagator: tel.Propagator})
	source := replay.BusPublisher{Bus: pub}
	var published []*commentv1.Comment
	_, err = replay.Read(strings.NewReader(e2eComments), func(_ int, c *commentv1.Comment) error {
		if err := fake.Seed(c); err != nil {
			return err
		}
		published = append(published, c)
		return source.PublishComment(ctx, c)
	})
	if err != nil {
		t.Fatal(err)
	}
	insult1, request, insult2 := published[0], published[1], published[3]

	// A duplicate publish (same message id) and a re-ingest under another message id.
	if err := source.PublishComment(ctx, proto.Clone(insult1).(*commentv1.Comment)); err != nil {
		t.Fatal(err)
	}
	if err := pub.Publish(ctx, bus.CommentReceived("monza"), "reingested:"+insult1.GetCommentId(), insult1); err != nil {
		t.Fatal(err)
	}
	// A malformed message: dead-lettered, and the pipeline keeps going.
	if err := pub.PublishRaw(ctx, bus.CommentReceived("monza"), "garbage-1", []byte("\xff\x00not a protobuf"), nil); err != nil {
		t.Fatal(err)
	}
	late := `{"id":"e2e-5","tenant":"monza","platform":"facebook","page_id":"monza-fb","post_id":"p1","text":"Ottimo lavoro, grazie","author":{"id":"fb-user-14","name":"Luca Neri"}}`
	c5, err := replay.Parse([]byte(late))
	if err != nil {
		t.Fatal(err)
	}
	if err := fake.Seed(c5); err != nil {
		t.Fatal(err)
	}
	if err := source.PublishComment(ctx, c5); err != nil {
		t.Fatal(err)
	}
	published = append(published, c5)

	// Every published comment gets exactly one decision.
	testinfra.Eventually(t, 30*time.Second, func() error {
		n, err := decisionCount(ctx, js, "monza")
		if err != nil {
			return err
		}
		if n != len(published) {
			return fmt.Errorf("%d decisions, want %d", n, len(published))
		}
		return nil
	})
	decisions := readDecisions(t, js)
	if len(decisions) != len(published) {
		t.Fatalf("%d distinct decisions for %d comments", len(decisions), len(published))
	}
	d1, d4 := decisions["decision:facebook:"+insult1.GetCommentId()], decisions["decision:facebook:"+insult2.GetCommentId()]
	if d1 == nil || d4 == nil {
		t.Fatalf("missing decisions for the insults: %v", keys(decisions))
	}
	// Concurrent consumers may decide the two insults in either order: between them they are
	// strikes 1 and 2 (the duplicates and the redelivery counted nothing), and the one decided
	// second is blocked, as Monza blocks at the 2nd insult.
	s1, s4 := strikeCount(d1, "insult"), strikeCount(d4, "insult")
	if s1+s4 != 3 || s1*s4 != 2 {
		t.Errorf("insults are strikes %d and %d, want 1 and 2 (duplicates and redelivery must not count)", s1, s4)
	}
	first, second := d1, d4
	if s1 == 2 {
		first, second = d4, d1
	}
	if !contains(second.GetActionCodes(), "block") || contains(first.GetActionCodes(), "block") {
		t.Errorf("Monza blocks at the 2nd insult; actions %v and %v", d1.GetActionCodes(), d4.GetActionCodes())
	}

	// The user record over gRPC agrees.
	sconn := dialAs(t, sn.Addr, adminToken)
	rec, err := sanctionsv1.NewSanctionsServiceClient(sconn).GetUserRecord(ctx, &sanctionsv1.GetUserRecordRequest{
		Tenant: "monza", Platform: commentv1.Platform_PLATFORM_FACEBOOK, UserId: "fb-user-77",
	})
	if err != nil {
		t.Fatal(err)
	}
	if !rec.GetBlocked() || len(rec.GetHistory()) != 2 {
		t.Errorf("user record blocked=%v history=%d, want blocked with 2 strikes", rec.GetBlocked(), len(rec.GetHistory()))
	}

	// A request is opened for the competent office, and listed over gRPC.
	rconn := dialAs(t, rt.Addr, adminToken)
	var reqs *routingv1.ListRequestsResponse
	testinfra.Eventually(t, 20*time.Second, func() error {
		reqs, err = routingv1.NewRoutingServiceClient(rconn).ListRequests(ctx, &routingv1.ListRequestsRequest{Tenant: "monza"})
		if err != nil {
			return err
		}
		if len(reqs.GetRequests()) != 1 {
			return fmt.Errorf("%d requests, want 1", len(reqs.GetRequests()))
		}
		return nil
	})
	r := reqs.GetRequests()[0]
	if r.GetCommentId() != request.GetCommentId() || r.GetTopic() != "roads" || r.GetOffice() == "" || r.GetFirstAnswerDue() == nil {
		t.Errorf("request %v: want the pothole report, topic roads, an office and a deadline", r)
	}

	// The fake platform received the actions: the insults deleted, the author blocked, the
	// request acknowledged in public.
	testinfra.Eventually(t, 20*time.Second, func() error {
		acts := fake.Server.Actions()
		want := map[string]bool{"delete:" + insult1.GetCommentId(): false, "delete:" + insult2.GetCommentId(): false, "reply:" + request.GetCommentId(): false, "block:": false}
		for _, a := range acts {
			k := string(a.Kind) + ":" + a.ObjectID
			if a.Kind == fakegraph.ActionBlock {
				k = "block:"
			}
			if _, ok := want[k]; ok {
				want[k] = true
			}
		}
		for k, ok := range want {
			if !ok {
				return fmt.Errorf("platform has not received %s (actions: %d)", k, len(acts))
			}
		}
		return nil
	})
	deletes := 0
	for _, a := range fake.Server.Actions() {
		if a.Kind == fakegraph.ActionDelete && a.ObjectID == insult1.GetCommentId() {
			deletes++
		}
	}
	if deletes != 1 {
		t.Errorf("first insult deleted %d times on the platform, want 1", deletes)
	}

	// The malformed message is in the dead-letter stream with its reason.
	dl := deadLetterReasons(t, js)
	if len(dl) != 1 || !strings.Contains(dl[0], "decode comment") {
		t.Errorf("dead letters %q, want one with a decode reason", dl)
	}

	// One trace spans ingest → sanctions → classifier → routing → enforcer for the request.
	testinfra.Eventually(t, 10*time.Second, func() error {
		if err := traceCovers(spans, request.GetCommentId(), []string{
			"publish piazza.*.comment.received", "sanctions.decide", "classifier.classify", "routing.dispose", "enforcer.execute",
		}); err != nil {
			return err
		}
		return classificationCall(spans, request.GetCommentId())
	})
}

// classificationCall checks that the gRPC call that classified a comment is traced: in the
// comment's own trace when it was classified alone (Classify), or in the batch's trace that
// its classification span links to (ClassifyBatch).
func classificationCall(exp *tracetest.InMemoryExporter, commentID string) error {
	all := exp.GetSpans()
	traceID := ""
	for _, s := range all {
		for _, a := range s.Attributes {
			if s.Name == "publish piazza.*.comment.received" && string(a.Key) == "messaging.message.id" && a.Value.AsString() == "facebook:"+commentID {
				traceID = s.SpanContext.TraceID().String()
			}
		}
	}
	inTrace := func(id, name string) bool {
		for _, s := range all {
			if s.SpanContext.TraceID().String() == id && s.Name == name {
				return true
			}
		}
		return false
	}
	for _, s := range all {
		if s.Name != "classifier.classify" || s.SpanContext.TraceID().String() != traceID {
			continue
		}
		if len(s.Links) == 0 {
			if inTrace(traceID, "piazza.classifier.v1.ClassifierService/Classify") {
				return nil
			}
			return fmt.Errorf("comment %s was classified alone, and its trace has no Classify call", commentID)
		}
		for _, l := range s.Links {
			if inTrace(l.SpanContext.TraceID().String(), "piazza.classifier.v1.ClassifierService/ClassifyBatch") {
				return nil
			}
		}
		return fmt.Errorf("comment %s's classification links to no trace with a ClassifyBatch call", commentID)
	}
	return fmt.Errorf("comment %s's trace has no classification span", commentID)
}

func subjectCount(ctx context.Context, js jetstream.JetStream, stream, subject string) (int, error) {
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return 0, err
	}
	info, err := s.Info(ctx, jetstream.WithSubjectFilter(subject))
	if err != nil {
		return 0, err
	}
	return int(info.State.Subjects[subject]), nil
}

// decisionCount counts a tenant's decisions in the audit stream, on both decision subjects.
func decisionCount(ctx context.Context, js jetstream.JetStream, tenant string) (int, error) {
	total := 0
	for _, subject := range bus.DecisionSubjects(tenant) {
		n, err := subjectCount(ctx, js, bus.StreamDecisions, subject)
		if err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}

func readDecisions(t *testing.T, js jetstream.JetStream) map[string]*sanctionsv1.Decision {
	t.Helper()
	out := map[string]*sanctionsv1.Decision{}
	var msgs []*jetstream.RawStreamMsg
	for _, subject := range bus.DecisionSubjects("*") {
		msgs = append(msgs, readStream(t, js, bus.StreamDecisions, subject)...)
	}
	for _, m := range msgs {
		var d sanctionsv1.Decision
		if err := proto.Unmarshal(m.Data, &d); err != nil {
			t.Fatal(err)
		}
		if _, dup := out[d.GetDecisionId()]; dup {
			t.Errorf("decision %s published twice", d.GetDecisionId())
		}
		out[d.GetDecisionId()] = &d
	}
	return out
}

func readStream(t *testing.T, js jetstream.JetStream, stream, subject string) []*jetstream.RawStreamMsg {
	t.Helper()
	all, err := testinfra.StreamMessages(context.Background(), js, stream)
	if err != nil {
		t.Fatal(err)
	}
	var out []*jetstream.RawStreamMsg
	for _, m := range all {
		if ok, _ := subjectMatches(subject, m.Subject); ok {
			out = append(out, m)
		}
	}
	return out
}

func subjectMatches(pattern, subject string) (bool, error) {
	p, s := strings.Split(pattern, "."), strings.Split(subject, ".")
	for i := range p {
		if p[i] == ">" {
			return true, nil
		}
		if i >= len(s) || (p[i] != "*" && p[i] != s[i]) {
			return false, nil
		}
	}
	return len(p) == len(s), nil
}

func deadLetterReasons(t *testing.T, js jetstream.JetStream) []string {
	t.Helper()
	var out []string
	for _, m := range readStream(t, js, bus.StreamDeadLetter, ">") {
		out = append(out, m.Header.Get(bus.HeaderDeadLetterReason))
	}
	return out
}

func strikeCount(d *sanctionsv1.Decision, category string) int {
	for _, s := range d.GetStrikes() {
		if s.GetCategory() == category {
			return int(s.GetCount())
		}
	}
	return 0
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// traceCovers checks that the trace of the publish span of commentID holds spans with every
// wanted name.
func traceCovers(exp *tracetest.InMemoryExporter, commentID string, names []string) error {
	all := exp.GetSpans()
	var traceID string
	for _, s := range all {
		if s.Name != "publish piazza.*.comment.received" {
			continue
		}
		for _, a := range s.Attributes {
			if string(a.Key) == "messaging.message.id" && a.Value.AsString() == "facebook:"+commentID {
				traceID = s.SpanContext.TraceID().String()
			}
		}
	}
	if traceID == "" {
		return fmt.Errorf("no publish span for comment %s among %d spans", commentID, len(all))
	}
	have := map[string]bool{}
	for _, s := range all {
		if s.SpanContext.TraceID().String() == traceID {
			have[s.Name] = true
		}
	}
	for _, n := range names {
		if !have[n] {
			return fmt.Errorf("trace %s has no span %q (has %v)", traceID, n, keys(have))
		}
	}
	return nil
}
