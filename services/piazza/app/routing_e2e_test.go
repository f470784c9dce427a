package app_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/piazza-pa/piazza/pkg/bus"
	"github.com/piazza-pa/piazza/pkg/telemetry"
	"github.com/piazza-pa/piazza/pkg/testinfra"
	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	routingv1 "github.com/piazza-pa/piazza/proto/gen/piazza/routing/v1"
	"github.com/piazza-pa/piazza/services/ingest/platform/facebook/fakegraph"
	"github.com/piazza-pa/piazza/services/ingest/replay"
	"github.com/piazza-pa/piazza/services/piazza/app"
	"github.com/piazza-pa/piazza/services/routing"
	"github.com/piazza-pa/piazza/services/routing/smtptest"
)

// A public report and a private message to Monza, as Facebook would deliver them.
const routingE2EComments = `{"id":"rt-1","tenant":"monza","platform":"facebook","page_id":"monza-fb","post_id":"p9","post_text":"Lavori in via Italia: da lunedì chiusa al traffico","text":"Buongiorno, in via Borgazzi c'è una buca enorme sulla strada davanti al civico 12, quando la sistemate?","author":{"id":"fb-user-31","name":"Giulia Bianchi"}}
{"id":"rt-2","tenant":"monza","platform":"facebook","page_id":"monza-fb","channel":"private_message","text":"Buongiorno, il lampione in via Volta è spento da una settimana, potete intervenire?","author":{"id":"fb-user-32","name":"Paolo Neri"}}
`

// TestRoutingEndToEnd runs every service with the office e-mail going to a real SMTP server:
// the public request gets a public acknowledgement, the office gets the e-mail and answers
// over gRPC, and the citizen's reply naming the office head reaches the platform; the private
// message gets private replies only.
func TestRoutingEndToEnd(t *testing.T) {
	ctx := context.Background()
	nats := testinfra.StartNATS(t)
	common, rds := testbed(t, "rte2e", telemetry.Config{})
	common.NATSURL = nats.URL
	var adminToken string
	common.Security, adminToken = localSecurity(t, rds.Client, "rte2e:", common.Telemetry)
	fake, err := app.StartFakeFacebook()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fake.Close(context.Background()) })
	fake.RegisterPage("monza-fb", "Comune di Monza")
	mail := smtptest.Start(t)

	run := runServices(t)
	cls := run.start(app.StartClassifier(ctx, common, "127.0.0.1:0"))
	run.start(app.StartIngest(ctx, common, "127.0.0.1:0", app.IngestConfig{FacebookGraphURL: fake.URL, FacebookTokens: fake.Tokens}))
	// Routing's clock is a Monday morning, when Lavori Pubblici is open, so the e-mail goes out
	// at once whatever the hour the test runs.
	officeMorning := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)
	rt := run.start(app.StartRouting(ctx, common, "127.0.0.1:0", app.RoutingConfig{
		TickEvery: 50 * time.Millisecond,
		Now:       func() time.Time { return officeMorning },
		SMTP: &routing.SMTPConfig{
			Addr: mail.Addr, From: "piazza@comune.monza.example", Username: mail.Username, Password: mail.Password,
			TLS: mail.ClientTLS, Timeout: 5 * time.Second,
		},
	}))
	run.start(app.StartSanctions(ctx, common, "127.0.0.1:0", cls.Addr))

	nc, js, err := app.ConnectNATS(nats.URL, "routing-e2e-source")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	source := replay.BusPublisher{Bus: bus.NewPublisher(js, bus.Telemetry{})}
	var published []*commentv1.Comment
	if _, err := replay.Read(strings.NewReader(routingE2EComments), func(_ int, c *commentv1.Comment) error {
		if err := fake.Seed(c); err != nil {
			return err
		}
		published = append(published, c)
		return source.PublishComment(ctx, c)
	}); err != nil {
		t.Fatal(err)
	}
	public, private := published[0], published[1]

	client := routingv1.NewRoutingServiceClient(dialAs(t, rt.Addr, adminToken))
	byComment := map[string]*routingv1.Request{}
	testinfra.Eventually(t, 30*time.Second, func() error {
		list, err := client.ListRequests(ctx, &routingv1.ListRequestsRequest{Tenant: "monza"})
		if err != nil {
			return err
		}
		for _, r := range list.GetRequests() {
			byComment[r.GetCommentId()] = r
		}
		if byComment[public.GetCommentId()] == nil || byComment[private.GetCommentId()] == nil {
			return fmt.Errorf("%d requests opened, want both", len(list.GetRequests()))
		}
		return nil
	})
	req := byComment[public.GetCommentId()]
	if req.GetOffice() != "lavori_pubblici" || req.GetKind() != routingv1.Kind_KIND_REPORT || req.GetPlace() != "via borgazzi" {
		t.Errorf("public request %v: want a report at via borgazzi for lavori_pubblici", req)
	}

	// The public acknowledgement reaches the platform under the comment.
	waitAction(t, fake, fakegraph.ActionReply, public.GetCommentId(), "presa in carico")

	// The office receives the e-mail, over STARTTLS, with the request's id.
	testinfra.Eventually(t, 20*time.Second, func() error {
		for _, m := range mail.Messages() {
			if len(m.To) == 1 && m.To[0] == "lavoripubblici@comune.monza.example" && strings.Contains(m.Data, req.GetRequestId()) && m.TLS {
				return nil
			}
		}
		return fmt.Errorf("%d e-mails, none to Lavori Pubblici about %s", len(mail.Messages()), req.GetRequestId())
	})

	// The office answers over gRPC; the citizen's reply names the office and its head.
	if _, err := client.Answer(ctx, &routingv1.AnswerRequest{Tenant: "monza", RequestId: req.GetRequestId(), Text: "La buca sarà chiusa entro venerdì.", Actor: "lp-operatore"}); err != nil {
		t.Fatal(err)
	}
	waitAction(t, fake, fakegraph.ActionReply, public.GetCommentId(), "Ing. Luca Bianchi")

	// The private message: acknowledged in private, never in public.
	waitAction(t, fake, fakegraph.ActionPrivateReply, private.GetCommentId(), "presa in carico")
	for _, a := range fake.Server.Actions() {
		if a.ObjectID == private.GetCommentId() && a.Kind != fakegraph.ActionPrivateReply {
			t.Errorf("the private message got a %s action", a.Kind)
		}
	}
}

// waitAction waits until the fake platform has received an action of kind on object whose text
// contains want.
func waitAction(t *testing.T, fake *app.FakeFacebook, kind fakegraph.ActionKind, object, want string) {
	t.Helper()
	testinfra.Eventually(t, 20*time.Second, func() error {
		for _, a := range fake.Server.Actions() {
			if a.Kind == kind && a.ObjectID == object && strings.Contains(a.Text, want) {
				return nil
			}
		}
		return fmt.Errorf("no %s on %s containing %q (actions: %d)", kind, object, want, len(fake.Server.Actions()))
	})
}

func TestRoutingConfigFromEnv(t *testing.T) {
	dir := t.TempDir()
	pwFile := dir + "/smtp_password"
	if err := os.WriteFile(pwFile, []byte("s3cret-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"PIAZZA_ROUTING_TICK":         "5s",
		"PIAZZA_SMTP_ADDR":            "smtp.example.it:587",
		"PIAZZA_SMTP_USERNAME":        "piazza",
		"PIAZZA_SMTP_PASSWORD_FILE":   pwFile,
		"PIAZZA_ROUTING_WEBHOOKS":     "monza=https://hooks.example.it/monza, monza/urp=https://urp.example.it/hook",
		"PIAZZA_WEBHOOK_SECRET_MONZA": "monza-webhook-secret-0123456789",
		"PIAZZA_ESCALATION_EVERY":     "8wh",
		"PIAZZA_SMTP_FROM":            "piazza@comune.monza.it",
		"PIAZZA_SLA_OVERRIDES":        "../../routing/testdata/sla_overrides.yaml",
	}
	rc := app.RoutingConfigFromEnv(func(k string) string { return env[k] })
	if rc.TickEvery != 5*time.Second || rc.SMTP == nil || rc.SMTP.Password != "s3cret-from-file" || rc.SMTP.AllowPlaintext ||
		len(rc.Webhooks) != 2 || rc.Webhooks[1].Office != "urp" || string(rc.Webhooks[0].Secret) != env["PIAZZA_WEBHOOK_SECRET_MONZA"] ||
		rc.EscalationEvery.String() != "8wh" || len(rc.SLAOverrides) != 2 {
		t.Errorf("config %+v", rc)
	}

	// Mistakes stop the service at start, with every one named.
	bad := map[string]string{"PIAZZA_ROUTING_TICK": "soon", "PIAZZA_ROUTING_WEBHOOKS": "monza", "PIAZZA_ESCALATION_EVERY": "2 days"}
	rc = app.RoutingConfigFromEnv(func(k string) string { return bad[k] })
	_, err := app.StartRouting(context.Background(), app.Common{}, "127.0.0.1:0", rc)
	for _, want := range []string{"PIAZZA_ROUTING_TICK", "PIAZZA_ROUTING_WEBHOOKS", "PIAZZA_ESCALATION_EVERY"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("StartRouting with a bad %s: %v", want, err)
		}
	}
}
