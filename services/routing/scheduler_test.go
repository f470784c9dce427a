package routing_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/piazza-pa/piazza/pkg/bus"
	"github.com/piazza-pa/piazza/pkg/livepolicy"
	"github.com/piazza-pa/piazza/pkg/policy"
	"github.com/piazza-pa/piazza/pkg/testinfra"
	actionv1 "github.com/piazza-pa/piazza/proto/gen/piazza/action/v1"
	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	routingv1 "github.com/piazza-pa/piazza/proto/gen/piazza/routing/v1"
	"github.com/piazza-pa/piazza/services/routing"
	"github.com/piazza-pa/piazza/services/routing/smtptest"
)

// clock is a controllable clock shared by several replicas.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// webhookSink is an office's webhook endpoint that checks every signature.
type webhookSink struct {
	mu         sync.Mutex
	secret     []byte
	deliveries []string
	bad        []string
}

func (w *webhookSink) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	ts, _ := strconv.ParseInt(r.Header.Get(routing.HeaderTimestamp), 10, 64)
	w.mu.Lock()
	defer w.mu.Unlock()
	if r.Header.Get(routing.HeaderSignature) != routing.Sign(w.secret, ts, body) {
		w.bad = append(w.bad, r.Header.Get(routing.HeaderDelivery))
		http.Error(rw, "bad signature", http.StatusUnauthorized)
		return
	}
	var n routing.Notification
	if err := json.Unmarshal(body, &n); err != nil || n.ID != r.Header.Get(routing.HeaderDelivery) {
		w.bad = append(w.bad, "undecodable")
		http.Error(rw, "bad body", http.StatusBadRequest)
		return
	}
	if strings.Contains(string(body), "buca") {
		w.bad = append(w.bad, "citizen text in webhook")
	}
	w.deliveries = append(w.deliveries, n.ID)
}

// ladderEnv is a routing deployment whose replicas can be started and thrown away.
type ladderEnv struct {
	t        *testing.T
	rds      *testinfra.Redis
	js       jetstream.JetStream
	policies *livepolicy.Set
	clock    *clock
	smtp     *smtptest.Server
	hook     *webhookSink
	hookURL  string
}

func newLadderEnv(t *testing.T, escalation []string) *ladderEnv {
	t.Helper()
	srv := testinfra.StartNATS(t)
	set, err := policy.LoadDir("../../deploy/policies")
	if err != nil {
		t.Fatal(err)
	}
	monza, _ := set.Tenant("monza")
	monza.Routing.Escalation = escalation
	e := &ladderEnv{
		t: t, rds: testinfra.StartRedis(t), js: srv.JetStream(t), policies: livepolicy.Static(set),
		clock: &clock{}, smtp: smtptest.Start(t), hook: &webhookSink{secret: []byte("office-webhook-secret-0123456789")},
	}
	hs := httptest.NewServer(e.hook)
	t.Cleanup(hs.Close)
	e.hookURL = hs.URL
	return e
}

// replica starts one routing service on the shared Redis and NATS, as a new process would.
func (e *ladderEnv) replica() *routing.Service {
	e.t.Helper()
	mailer, err := routing.NewMailer(routing.SMTPConfig{
		Addr: e.smtp.Addr, From: "piazza@comune.monza.example", Username: e.smtp.Username, Password: e.smtp.Password,
		TLS: e.smtp.ClientTLS, Timeout: 5 * time.Second,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	hooks, err := routing.NewWebhooks([]routing.Webhook{{Tenant: "monza", URL: e.hookURL, Secret: e.hook.secret}}, nil, e.clock.Now)
	if err != nil {
		e.t.Fatal(err)
	}
	svc, err := routing.New(routing.Config{
		Redis: e.rds.Client, Policies: e.policies, Publisher: bus.NewPublisher(e.js, bus.Telemetry{}),
		KeyPrefix: "ladder:", Now: e.clock.Now, Notifiers: []routing.Notifier{mailer, hooks},
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return svc
}

var messageID = regexp.MustCompile(`(?m)^Message-ID: <([^>]+)>`)

// TestEscalationLadderFiresOnceAcrossRestart opens a request that its office never answers and
// walks a controllable clock through three weeks with two replicas ticking side by side; the
// replicas are thrown away and replaced halfway. Every milestone must fire exactly once, in
// order, in the recipient's office hours, with one e-mail and one signed webhook each.
func TestEscalationLadderFiresOnceAcrossRestart(t *testing.T) {
	ladder := []string{routing.StepRemindOffice, routing.StepOfficeHead, routing.StepURP, routing.StepPotereSostitutivo, routing.StepTellCitizen}
	e := newLadderEnv(t, ladder)
	ctx := context.Background()
	start := time.Date(2026, 11, 16, 10, 0, 0, 0, time.UTC) // Monday, 11:00 in Monza
	e.clock.Set(start)
	replicas := []*routing.Service{e.replica(), e.replica()}
	d := decision("monza", "ladder-1", commentv1.Channel_CHANNEL_COMMENT, false, []string{"request"}, "roads")
	if _, err := replicas[0].Dispose(ctx, d); err != nil {
		t.Fatal(err)
	}
	id := routing.RequestID(d.GetComment())
	client := grpcClient(t, replicas[0])

	// Lavori Pubblici opens on Mondays, Wednesdays and Fridays: the first answer is due on Friday
	// 27 November and the steps follow two of its working days apart, the last past Christmas.
	// The SMTP server fails once in the middle: the step is retried, not lost nor doubled.
	failAt := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	restartAt := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(2027, 1, 8, 0, 0, 0, 0, time.UTC)
	restarted, failed := false, false
	for now := start; now.Before(end); now = now.Add(30 * time.Minute) {
		e.clock.Set(now)
		if !failed && !now.Before(failAt) {
			e.smtp.FailNext(1)
			failed = true
		}
		if !restarted && !now.Before(restartAt) {
			replicas = []*routing.Service{e.replica(), e.replica()}
			client = grpcClient(t, replicas[0])
			restarted = true
		}
		var wg sync.WaitGroup
		for _, r := range replicas {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// A failed delivery is an error of this tick and is retried at the next one.
				if _, err := r.Tick(ctx); err != nil {
					t.Logf("%s: %v", now, err)
				}
			}()
		}
		wg.Wait()
	}

	got, err := client.GetRequest(ctx, &routingv1.GetRequestRequest{Tenant: "monza", RequestId: id})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ev := range got.GetHistory() {
		name := strings.TrimPrefix(ev.GetType().String(), "EVENT_TYPE_")
		if ev.GetStep() != "" {
			name += ":" + ev.GetStep()
		}
		names = append(names, name)
	}
	want := []string{"OPENED", "NOTIFIED", "WARNED:ack", "WARNED:first_answer",
		"ESCALATED:remind_office", "ESCALATED:office_head", "ESCALATED:urp", "ESCALATED:potere_sostitutivo", "ESCALATED:tell_citizen"}
	if !slices.Equal(names, want) {
		t.Fatalf("history\n got %v\nwant %v", names, want)
	}
	if got.GetRequest().GetEscalationLevel() != int32(len(ladder)) {
		t.Errorf("escalation level %d, want %d", got.GetRequest().GetEscalationLevel(), len(ladder))
	}
	rebuilt, err := routing.Rebuild(got.GetHistory())
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(rebuilt, got.GetRequest()) {
		t.Errorf("stored request differs from the one rebuilt from its history:\nstored  %v\nrebuilt %v", got.GetRequest(), rebuilt)
	}

	// Office hours only: each event at a time its recipient's office is open.
	set := e.policies.Current()
	monza, _ := set.Tenant("monza")
	officeCal := routing.OfficeCalendar(monza, monza.Offices["lavori_pubblici"])
	urpCal := routing.OfficeCalendar(monza, monza.Offices["urp"])
	for _, ev := range got.GetHistory()[1:] {
		cal := officeCal
		if s := ev.GetStep(); s == routing.StepURP || s == routing.StepPotereSostitutivo || s == routing.StepTellCitizen {
			cal = urpCal
		}
		if at := ev.GetAt().AsTime(); !cal.InOfficeHours(at) {
			t.Errorf("%s/%s at %s, outside office hours", ev.GetType(), ev.GetStep(), at.In(monza.Location))
		}
	}
	first := got.GetRequest().GetFirstAnswerDue().AsTime()
	for _, ev := range got.GetHistory() {
		if ev.GetType() == routingv1.EventType_EVENT_TYPE_ESCALATED && ev.GetAt().AsTime().Before(first) {
			t.Errorf("%s escalated at %s, before the deadline %s", ev.GetStep(), ev.GetAt().AsTime(), first)
		}
	}

	// One e-mail per notification, to the right people, over TLS.
	mails := e.smtp.Messages()
	byID := map[string]smtptest.Message{}
	for _, m := range mails {
		mm := messageID.FindStringSubmatch(m.Data)
		if mm == nil {
			t.Fatalf("mail without Message-ID: %q", m.Data)
		}
		if _, dup := byID[mm[1]]; dup {
			t.Errorf("mail %s delivered twice", mm[1])
		}
		byID[mm[1]] = m
		if !m.TLS {
			t.Errorf("mail %s delivered without STARTTLS", mm[1])
		}
	}
	if len(mails) != 7 {
		t.Errorf("%d e-mails, want 7 (new request, ack reminder, warning, four escalations)", len(mails))
	}
	wantTo := map[string]string{
		"escalated-urp":                "urp@comune.monza.example",
		"escalated-potere_sostitutivo": "segretario.generale@comune.monza.example",
		"escalated-remind_office":      "lavoripubblici@comune.monza.example",
		"notified":                     "lavoripubblici@comune.monza.example",
	}
	for suffix, to := range wantTo {
		found := false
		for mid, m := range byID {
			if strings.Contains(mid, suffix) {
				found = true
				if !slices.Equal(m.To, []string{to}) {
					t.Errorf("mail %s to %v, want %s", mid, m.To, to)
				}
			}
		}
		if !found {
			t.Errorf("no mail for %s", suffix)
		}
	}
	e.hook.mu.Lock()
	if len(e.hook.bad) > 0 || len(e.hook.deliveries) != 8 || len(slices.Compact(slices.Sorted(slices.Values(e.hook.deliveries)))) != 8 {
		t.Errorf("webhooks: %d good deliveries (want 8 distinct: every milestone), bad %v", len(e.hook.deliveries), e.hook.bad)
	}
	e.hook.mu.Unlock()

	// The citizen gets the interim reply once when the deadline nears and is told whom to
	// contact once at the end of the ladder, both in public under the comment.
	var interim, late []*actionv1.Action
	for _, a := range drainActions(t, e.js) {
		switch {
		case strings.Contains(a.GetActionId(), "tell_citizen"):
			late = append(late, a)
		case strings.Contains(a.GetActionId(), "warned-first_answer"):
			interim = append(interim, a)
		}
	}
	if len(late) != 1 || late[0].GetKind() != actionv1.Kind_KIND_REPLY || !strings.Contains(late[0].GetText(), monza.Offices["lavori_pubblici"].Head) {
		t.Errorf("late replies %v, want one public reply naming the office head", late)
	}
	if len(interim) != 1 || interim[0].GetKind() != actionv1.Kind_KIND_REPLY || !strings.Contains(interim[0].GetText(), "27/11/2026") {
		t.Errorf("interim replies %v, want one public reply with the deadline", interim)
	}
}

// TestNotificationsWaitForOfficeHours opens a request on Saturday night: the office hears of
// it when it opens on Monday, not before.
func TestNotificationsWaitForOfficeHours(t *testing.T) {
	e := newLadderEnv(t, []string{routing.StepRemindOffice})
	ctx := context.Background()
	sat := time.Date(2026, 11, 21, 22, 0, 0, 0, time.UTC)
	e.clock.Set(sat)
	svc := e.replica()
	d := decision("monza", "weekend-1", commentv1.Channel_CHANNEL_COMMENT, false, []string{"request"}, "roads")
	d.Comment.CreatedAt = nil
	if _, err := svc.Dispose(ctx, d); err != nil {
		t.Fatal(err)
	}
	monday := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC) // 09:00 in Monza, when the office opens
	for now := sat; now.Before(monday); now = now.Add(15 * time.Minute) {
		e.clock.Set(now)
		if _, err := svc.Tick(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(e.smtp.Messages()); n != 0 {
		t.Fatalf("%d e-mails on a weekend", n)
	}
	e.clock.Set(monday)
	st, err := svc.Tick(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Fired != 1 || len(e.smtp.Messages()) != 1 {
		t.Errorf("Monday 09:00: fired %d, %d e-mails; want the new-request notice", st.Fired, len(e.smtp.Messages()))
	}
}

func TestWebhookRejectsWrongSecret(t *testing.T) {
	sink := &webhookSink{secret: []byte("the-office-secret-0123456789")}
	hs := httptest.NewServer(sink)
	t.Cleanup(hs.Close)
	hooks, err := routing.NewWebhooks([]routing.Webhook{{Tenant: "monza", URL: hs.URL, Secret: []byte("another-secret-0123456789")}}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := hooks.Notify(context.Background(), routing.Notification{ID: "n1", Tenant: "monza"}); err == nil {
		t.Error("a delivery with the wrong secret succeeded")
	}
	if err := hooks.Notify(context.Background(), routing.Notification{ID: "n2", Tenant: "bussero"}); err != nil {
		t.Errorf("a notification for another tenant reached the webhook: %v", err)
	}
	if _, err := routing.NewWebhooks([]routing.Webhook{{Tenant: "monza", URL: hs.URL, Secret: []byte("short")}}, nil, nil); err == nil {
		t.Error("a short webhook secret was accepted")
	}
}

func TestMailerRefusesWrongCredentials(t *testing.T) {
	srv := smtptest.Start(t)
	m, err := routing.NewMailer(routing.SMTPConfig{Addr: srv.Addr, From: "piazza@example.it", Username: srv.Username, Password: "wrong", TLS: srv.ClientTLS})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Notify(context.Background(), routing.Notification{ID: "x", To: []string{"a@example.it"}, Subject: "s", Body: "b"}); err == nil || !strings.Contains(err.Error(), "auth") {
		t.Errorf("Notify with a wrong password: %v, want an auth error", err)
	}
	// A server certificate the client does not trust stops the delivery before AUTH.
	m, _ = routing.NewMailer(routing.SMTPConfig{Addr: srv.Addr, From: "piazza@example.it", Username: srv.Username, Password: srv.Password})
	if err := m.Notify(context.Background(), routing.Notification{ID: "y", To: []string{"a@example.it"}}); err == nil || !strings.Contains(err.Error(), "starttls") {
		t.Errorf("Notify to an untrusted server: %v, want a starttls error", err)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d messages accepted", n)
	}
}

func grpcClient(t *testing.T, svc *routing.Service) routingv1.RoutingServiceClient {
	t.Helper()
	return routingv1.NewRoutingServiceClient(serveGRPC(t, svc))
}

func drainActions(t *testing.T, js jetstream.JetStream) []*actionv1.Action {
	t.Helper()
	e := &env{js: js}
	return e.actions(t)
}
