package classifier_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/piazza-pa/piazza/pkg/livepolicy"
	"github.com/piazza-pa/piazza/pkg/policy"
	classifierv1 "github.com/piazza-pa/piazza/proto/gen/piazza/classifier/v1"
	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	"github.com/piazza-pa/piazza/services/classifier"
	"github.com/piazza-pa/piazza/services/classifier/rules"
)

const policyDir = "../../deploy/policies"

func newServer(tb testing.TB) *classifier.Server {
	tb.Helper()
	return newTracedServer(tb, nil)
}

// newTracedServer is newServer recording its spans with tp (nil: none).
func newTracedServer(tb testing.TB, tp trace.TracerProvider) *classifier.Server {
	tb.Helper()
	set, err := policy.LoadDir(policyDir)
	if err != nil {
		tb.Fatal(err)
	}
	engine, err := rules.NewEngine()
	if err != nil {
		tb.Fatal(err)
	}
	s, err := classifier.NewServer(engine, livepolicy.Static(set), tp, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// dial serves s on a real loopback listener and returns a client.
func dial(tb testing.TB, s *classifier.Server) classifierv1.ClassifierServiceClient {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	gs := grpc.NewServer(grpc.MaxRecvMsgSize(64 << 20))
	classifierv1.RegisterClassifierServiceServer(gs, s)
	go func() { _ = gs.Serve(l) }()
	tb.Cleanup(gs.Stop)
	conn, err := grpc.NewClient(l.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20)))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = conn.Close() })
	return classifierv1.NewClassifierServiceClient(conn)
}

func comment(tenant, text string) *commentv1.Comment {
	return &commentv1.Comment{Tenant: tenant, Platform: commentv1.Platform_PLATFORM_FACEBOOK, CommentId: "c", Text: text}
}

func TestClassifyCitesTheTenantsArticle(t *testing.T) {
	c := dial(t, newServer(t))
	ctx := context.Background()
	for _, tt := range []struct{ tenant string }{{"monza"}, {"canegrate"}} {
		resp, err := c.Classify(ctx, &classifierv1.ClassifyRequest{Comment: comment(tt.tenant, "Sindaco sei un idiota")})
		if err != nil {
			t.Fatal(err)
		}
		v := resp.GetVerdict()
		if len(v.GetCategories()) != 1 || v.GetCategories()[0].GetCategory() != "insult" {
			t.Fatalf("%s: categories %v, want insult", tt.tenant, v.GetCategories())
		}
		pol, err := c.GetPolicy(ctx, &classifierv1.GetPolicyRequest{Tenant: tt.tenant})
		if err != nil {
			t.Fatal(err)
		}
		var want string
		for _, cat := range pol.GetCategories() {
			if cat.GetCategory() == "insult" {
				want = cat.GetArticle()
			}
		}
		if len(v.GetCitations()) != 1 || v.GetCitations()[0].GetArticle() != want || want == "" {
			t.Errorf("%s: citations %v, want the tenant's insult article %q", tt.tenant, v.GetCitations(), want)
		}
		if len(v.GetEvidence()) == 0 || v.GetExplanation() == "" || v.GetPolicyVersion() != pol.GetPolicyVersion() {
			t.Errorf("%s: verdict lacks evidence, explanation or policy version: %v", tt.tenant, v)
		}
		ev := v.GetEvidence()[0]
		if got := "Sindaco sei un idiota"[ev.GetStart():ev.GetEnd()]; got != "idiota" {
			t.Errorf("evidence span %q, want idiota", got)
		}
	}
}

func TestBadCallsGetTheRightCode(t *testing.T) {
	c := dial(t, newServer(t))
	ctx := context.Background()
	tooMany := make([]*commentv1.Comment, classifier.MaxBatch+1)
	for i := range tooMany {
		tooMany[i] = comment("monza", "ciao")
	}
	for _, tt := range []struct {
		name string
		call func() error
		want codes.Code
	}{
		{"no comment", func() error { _, err := c.Classify(ctx, &classifierv1.ClassifyRequest{}); return err }, codes.InvalidArgument},
		{"no text", func() error {
			_, err := c.Classify(ctx, &classifierv1.ClassifyRequest{Comment: comment("monza", " ")})
			return err
		}, codes.InvalidArgument},
		{"unknown tenant", func() error {
			_, err := c.Classify(ctx, &classifierv1.ClassifyRequest{Comment: comment("atlantide", "ciao")})
			return err
		}, codes.NotFound},
		{"one bad comment in a batch", func() error {
			_, err := c.ClassifyBatch(ctx, &classifierv1.ClassifyBatchRequest{Comments: []*commentv1.Comment{comment("monza", "ciao"), comment("", "x")}})
			return err
		}, codes.InvalidArgument},
		{"batch too large", func() error {
			_, err := c.ClassifyBatch(ctx, &classifierv1.ClassifyBatchRequest{Comments: tooMany})
			return err
		}, codes.InvalidArgument},
		{"unknown tenant's policy", func() error {
			_, err := c.GetPolicy(ctx, &classifierv1.GetPolicyRequest{Tenant: "atlantide"})
			return err
		}, codes.NotFound},
	} {
		if got := status.Code(tt.call()); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestBatchKeepsOrderAcrossTenants(t *testing.T) {
	c := dial(t, newServer(t))
	resp, err := c.ClassifyBatch(context.Background(), &classifierv1.ClassifyBatchRequest{Comments: []*commentv1.Comment{
		comment("monza", "Grazie per l'informazione"), comment("bussero", "Sei un idiota"), comment("maglione", "Buongiorno a tutti"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	got := []string{}
	for _, v := range resp.GetVerdicts() {
		got = append(got, fmt.Sprint(v.GetTenant(), len(v.GetCategories())))
	}
	if fmt.Sprint(got) != "[monza0 bussero1 maglione0]" {
		t.Errorf("verdicts %v", got)
	}
}

// devTexts are the development set's comments, as the benchmarks' workload.
func devTexts(tb testing.TB) []*commentv1.Comment {
	tb.Helper()
	f, err := os.Open("../../../shared/eval/dev-municipal.jsonl")
	if err != nil {
		tb.Fatalf("the benchmarks read ../shared/eval/dev-municipal.jsonl: %v", err)
	}
	defer f.Close()
	var out []*commentv1.Comment
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		var l struct{ ID, Tenant, Text, PostText string }
		var raw map[string]any
		if err := json.Unmarshal(sc.Bytes(), &raw); err != nil {
			tb.Fatal(err)
		}
		l.ID, _ = raw["id"].(string)
		l.Tenant, _ = raw["tenant"].(string)
		l.Text, _ = raw["text"].(string)
		l.PostText, _ = raw["post_text"].(string)
		out = append(out, &commentv1.Comment{Tenant: l.Tenant, Platform: commentv1.Platform_PLATFORM_FACEBOOK, CommentId: l.ID, Text: l.Text, PostText: l.PostText})
	}
	return out
}

// BenchmarkClassifyInProcess measures the dev set's comments in process, one comment per op:
// the bare engine, the engine with the tenant's options, and the whole verdict (citations and
// explanation). The three are measured in the same run so their ratios hold on a busy machine.
func BenchmarkClassifyInProcess(b *testing.B) {
	s := newServer(b)
	set, _ := policy.LoadDir(policyDir)
	engine, err := rules.NewEngine()
	if err != nil {
		b.Fatal(err)
	}
	cs := devTexts(b)
	tenants := make([]*policy.Tenant, len(cs))
	inputs := make([]rules.Input, len(cs))
	for i, c := range cs {
		tenants[i], _ = set.Tenant(c.GetTenant())
		inputs[i] = rules.Input{Text: c.GetText(), PostText: c.GetPostText()}
	}
	run := func(name string, f func(j int)) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				f(i % len(cs))
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "comments/s")
		})
	}
	run("engine", func(j int) { engine.Classify(inputs[j], nil) })
	run("engine+tenant", func(j int) { engine.Classify(inputs[j], classifier.TenantOptions(tenants[j])) })
	run("verdict", func(j int) { s.Verdict(tenants[j], cs[j]) })
}

// BenchmarkClassifyBatchGRPC sends the dev set in batches of 100 over loopback gRPC.
func BenchmarkClassifyBatchGRPC(b *testing.B) {
	c := dial(b, newServer(b))
	cs := devTexts(b)
	const batch = 100
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := (i * batch) % len(cs)
		req := &classifierv1.ClassifyBatchRequest{}
		for k := 0; k < batch; k++ {
			req.Comments = append(req.Comments, cs[(start+k)%len(cs)])
		}
		if _, err := c.ClassifyBatch(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "comments/s")
}

// TestCompiledPoliciesFitInMemory measures the heap the engine and the five Comuni's policies
// hold once built; the figure is logged for docs/benchmarks.md and bounded well above it.
func TestCompiledPoliciesFitInMemory(t *testing.T) {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	s := newServer(t)
	runtime.GC()
	runtime.ReadMemStats(&after)
	used := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("engine + five tenants' policies: %.1f MB of heap", float64(used)/(1<<20))
	if used > 100<<20 {
		t.Errorf("compiled policies hold %d MB, want under 100 MB", used>>20)
	}
	runtime.KeepAlive(s)
}

// BenchmarkTenantsMemory measures the heap the policies of N Comuni hold in the classifier:
// N copies of Monza's file under their own codes and pages, loaded and served.
func BenchmarkTenantsMemory(b *testing.B) {
	monza, err := os.ReadFile(policyDir + "/monza.yaml")
	if err != nil {
		b.Fatal(err)
	}
	baseline, err := os.ReadFile(policyDir + "/_baseline.yaml")
	if err != nil {
		b.Fatal(err)
	}
	engine, err := rules.NewEngine()
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{5, 100, 1000} {
		b.Run(fmt.Sprint(n, "-tenants"), func(b *testing.B) {
			dir := b.TempDir()
			if err := os.WriteFile(dir+"/_baseline.yaml", baseline, 0o644); err != nil {
				b.Fatal(err)
			}
			for i := 0; i < n; i++ {
				code := fmt.Sprintf("comune%04d", i)
				text := strings.ReplaceAll(string(monza), "monza", code)
				if err := os.WriteFile(dir+"/"+code+".yaml", []byte(text), 0o644); err != nil {
					b.Fatal(err)
				}
			}
			var heap uint64
			for b.Loop() {
				runtime.GC()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				set, err := policy.LoadDir(dir)
				if err != nil {
					b.Fatal(err)
				}
				s, err := classifier.NewServer(engine, livepolicy.Static(set), nil, nil)
				if err != nil {
					b.Fatal(err)
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				heap = after.HeapAlloc - before.HeapAlloc
				runtime.KeepAlive(s)
				runtime.KeepAlive(set)
			}
			b.ReportMetric(float64(heap)/(1<<20), "MB")
			b.ReportMetric(float64(heap)/float64(n)/1024, "KB/tenant")
		})
	}
}
