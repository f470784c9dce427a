package app_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/piazza-pa/piazza/pkg/auth"
	"github.com/piazza-pa/piazza/pkg/testinfra"
	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	routingv1 "github.com/piazza-pa/piazza/proto/gen/piazza/routing/v1"
	sanctionsv1 "github.com/piazza-pa/piazza/proto/gen/piazza/sanctions/v1"
)

// The citizens of the privacy run: names, platform ids and texts that must never reach the
// telemetry. One insults twice (deleted, then blocked: the enforcer handles the raw id), one
// asks for a repair, one publishes a phone number and an e-mail address, one says thanks.
const privacyComments = `{"id":"pv-1","tenant":"monza","platform":"facebook","page_id":"monza-fb","post_id":"p1","text":"Sindaco sei un idiota e un buffone","author":{"id":"fb-uid-5550001","name":"Ermenegildo Brambillasca"}}
{"id":"pv-2","tenant":"monza","platform":"facebook","page_id":"monza-fb","post_id":"p1","text":"Buongiorno, in via Zucchi c'è un lampione spento da giorni davanti al civico 41, quando lo riparate?","author":{"id":"fb-uid-5550002","name":"Gioconda Pirovano"}}
{"id":"pv-3","tenant":"monza","platform":"facebook","page_id":"monza-fb","post_id":"p1","text":"Per informazioni chiamate mia cugina al 347 918 2736 oppure scrivete a gioconda.pirovano@example.it","author":{"id":"fb-uid-5550003","name":"Ottavio Sangalli"}}
{"id":"pv-4","tenant":"monza","platform":"facebook","page_id":"monza-fb","post_id":"p1","text":"Grazie mille per l'aggiornamento tempestivo","author":{"id":"fb-uid-5550004","name":"Adalgisa Colombetti"}}
{"id":"pv-5","tenant":"monza","platform":"facebook","page_id":"monza-fb","post_id":"p1","text":"Sei proprio un idiota, sindaco","author":{"id":"fb-uid-5550001","name":"Ermenegildo Brambillasca"}}
`

// TestTelemetryCarriesNoPersonalData runs the pipeline end to end — comments in, decisions,
// deletions and a block on the platform, a request answered by its office, an operator reading
// a user's record by platform id — with every span kept in memory, every log line (debug
// included) in a buffer, and then scans spans, logs and the Prometheus exposition for the
// comments' texts, the authors' platform ids and their names. Pseudonyms may appear.
func TestTelemetryCarriesNoPersonalData(t *testing.T) {
	spans := tracetest.NewInMemoryExporter()
	logs := &syncBuffer{}
	p := startPipeline(t, spans, logs, map[string]string{"monza-fb": "Comune di Monza"})
	ctx := context.Background()
	// The second insult goes in once the first is decided, so that it meets a strike already
	// counted, as it would a day later.
	lines := strings.SplitAfter(strings.TrimSpace(privacyComments), "\n")
	comments := p.publish(t, strings.Join(lines[:len(lines)-1], ""))
	waitDecisions(t, p, len(comments))
	comments = append(comments, p.publish(t, lines[len(lines)-1])...)
	waitDecisions(t, p, len(comments))
	reqs := p.requestsOf(t, "monza", 1)
	var req *routingv1.Request
	for _, r := range reqs {
		req = r
	}
	office := routingv1.NewRoutingServiceClient(dialAs(t, p.routing, p.token(t, auth.Identity{Tenant: "monza", Role: auth.RoleOffice, Office: req.GetOffice()})))
	if _, err := office.Answer(ctx, &routingv1.AnswerRequest{Tenant: "monza", RequestId: req.GetRequestId(), Text: "Il lampione sarà sostituito domani."}); err != nil {
		t.Fatal(err)
	}
	operator := sanctionsv1.NewSanctionsServiceClient(dialAs(t, p.sanctions, p.token(t, auth.Identity{Tenant: "monza", Role: auth.RoleOperator})))
	rec, err := operator.GetUserRecord(ctx, &sanctionsv1.GetUserRecordRequest{Tenant: "monza", Platform: commentv1.Platform_PLATFORM_FACEBOOK, UserId: "fb-uid-5550001"})
	if err != nil {
		t.Fatal(err)
	}
	testinfra.Eventually(t, 20*time.Second, func() error {
		kinds := map[string]int{}
		for _, a := range p.fake.Server.Actions() {
			kinds[string(a.Kind)]++
		}
		if kinds["delete"] < 2 || kinds["block"] < 1 || kinds["reply"] < 2 {
			return fmt.Errorf("platform actions so far %v: want the insults deleted, the author blocked, the request acknowledged and answered", kinds)
		}
		return nil
	})

	var forbidden []string
	for _, c := range comments {
		forbidden = append(forbidden, c.GetText(), c.GetAuthor().GetId(), c.GetAuthor().GetName())
		forbidden = append(forbidden, fragments(c.GetText(), 4)...)
		// Surnames alone, too.
		if f := strings.Fields(c.GetAuthor().GetName()); len(f) > 1 {
			forbidden = append(forbidden, f[len(f)-1])
		}
	}
	forbidden = append(forbidden, "347 918 2736", "3479182736", "gioconda.pirovano@example.it")

	telemetry := map[string]string{"logs": logs.String(), "metrics": scrape(t, p), "spans": dumpSpans(spans)}
	if len(telemetry["spans"]) < 1000 || len(telemetry["logs"]) < 1000 || !strings.Contains(telemetry["metrics"], "# TYPE") {
		t.Fatalf("too little telemetry to scan: %d bytes of spans, %d of logs, %d of metrics",
			len(telemetry["spans"]), len(telemetry["logs"]), len(telemetry["metrics"]))
	}
	for where, text := range telemetry {
		lower := strings.ToLower(text)
		for _, f := range forbidden {
			if i := strings.Index(lower, strings.ToLower(f)); i >= 0 {
				t.Errorf("%s carry %q: …%s…", where, f, text[max(0, i-80):min(len(text), i+len(f)+80)])
			}
		}
	}
	// Pseudonyms are what the telemetry may use instead.
	if rec.GetPseudonym() == "" || strings.Contains(rec.GetPseudonym(), "5550001") {
		t.Errorf("user record pseudonym %q", rec.GetPseudonym())
	}
}

// waitDecisions waits until Monza has n decisions.
func waitDecisions(t *testing.T, p *pipeline, n int) {
	t.Helper()
	testinfra.Eventually(t, 30*time.Second, func() error {
		got, err := decisionCount(context.Background(), p.js, "monza")
		if err != nil {
			return err
		}
		if got != n {
			return fmt.Errorf("%d decisions, want %d", got, n)
		}
		return nil
	})
}

// fragments returns every run of n consecutive words of text, so that a truncated or quoted
// piece of a comment is caught as well as the whole.
func fragments(text string, n int) []string {
	words := strings.Fields(text)
	var out []string
	for i := 0; i+n <= len(words); i++ {
		out = append(out, strings.Join(words[i:i+n], " "))
	}
	return out
}

// scrape reads the Prometheus exposition of the process's metrics.
func scrape(t *testing.T, p *pipeline) string {
	t.Helper()
	srv := httptest.NewServer(p.tel.MetricsHandler)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// dumpSpans writes out everything a span carries: name, attributes, events with theirs,
// status, links and resource.
func dumpSpans(exp *tracetest.InMemoryExporter) string {
	var b strings.Builder
	for _, s := range exp.GetSpans() {
		fmt.Fprintf(&b, "span %q status %s %q\n", s.Name, s.Status.Code, s.Status.Description)
		for _, a := range s.Attributes {
			fmt.Fprintf(&b, "  %s=%s\n", a.Key, a.Value.Emit())
		}
		for _, e := range s.Events {
			fmt.Fprintf(&b, "  event %q\n", e.Name)
			for _, a := range e.Attributes {
				fmt.Fprintf(&b, "    %s=%s\n", a.Key, a.Value.Emit())
			}
		}
		for _, l := range s.Links {
			for _, a := range l.Attributes {
				fmt.Fprintf(&b, "  link %s=%s\n", a.Key, a.Value.Emit())
			}
		}
		if s.Resource != nil {
			for _, a := range s.Resource.Attributes() {
				fmt.Fprintf(&b, "  resource %s=%s\n", a.Key, a.Value.Emit())
			}
		}
	}
	return b.String()
}
