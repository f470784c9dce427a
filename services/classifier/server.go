// Package classifier serves the policy rules over gRPC: for a comment and its tenant it returns
// the categories found with scores and evidence, the request topic, the tenant's policy articles
// that apply, and a short explanation in Italian. It holds no state besides the compiled rules
// and the tenants' policies, so any number of replicas can serve any tenant.
package classifier

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/piazza-pa/piazza/pkg/policy"
	"github.com/piazza-pa/piazza/pkg/telemetry"
	classifierv1 "github.com/piazza-pa/piazza/proto/gen/piazza/classifier/v1"
	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	"github.com/piazza-pa/piazza/services/classifier/rules"
)

// Policies gives the current policy of a tenant.
type Policies interface {
	Tenant(code string) (*policy.Tenant, bool)
}

// MaxBatch bounds ClassifyBatch.
const MaxBatch = 1000

// Server implements ClassifierService.
type Server struct {
	classifierv1.UnimplementedClassifierServiceServer
	engine   *rules.Engine
	policies Policies
	tracer   trace.Tracer
	labelled metric.Int64Counter
	// labelledAttrs are the counter's attribute sets by tenant and category.
	labelledAttrs *telemetry.AttrSets
}

// NewServer returns a server applying engine under the tenants' policies.
func NewServer(engine *rules.Engine, policies Policies, tp trace.TracerProvider, mp metric.MeterProvider) (*Server, error) {
	s := &Server{engine: engine, policies: policies, labelledAttrs: telemetry.NewAttrSets("tenant", "category")}
	s.tracer = telemetry.TracerOrNoop(tp).Tracer("github.com/piazza-pa/piazza/services/classifier")
	var err error
	s.labelled, err = telemetry.MeterOrNoop(mp).Meter("github.com/piazza-pa/piazza/services/classifier").
		Int64Counter("piazza.classifier.labels", metric.WithDescription("Categories found, by tenant and category (clean comments count as category none)"))
	if err != nil {
		return nil, fmt.Errorf("classifier metrics: %w", err)
	}
	return s, nil
}

// Classify returns the verdict for one comment.
func (s *Server) Classify(ctx context.Context, req *classifierv1.ClassifyRequest) (*classifierv1.ClassifyResponse, error) {
	tenant, err := s.check(req.GetComment())
	if err != nil {
		return nil, err
	}
	_, span := s.tracer.Start(ctx, "classifier.classify", trace.WithAttributes(attribute.String("piazza.tenant", tenant.Code)))
	defer span.End()
	v := s.Verdict(tenant, req.GetComment())
	span.SetAttributes(attribute.StringSlice("piazza.categories", categoryCodes(v)))
	s.count(ctx, v)
	return &classifierv1.ClassifyResponse{Verdict: v}, nil
}

// ClassifyBatch returns one verdict per comment, in order.
func (s *Server) ClassifyBatch(ctx context.Context, req *classifierv1.ClassifyBatchRequest) (*classifierv1.ClassifyBatchResponse, error) {
	if n := len(req.GetComments()); n > MaxBatch {
		return nil, status.Errorf(codes.InvalidArgument, "batch of %d comments, at most %d", n, MaxBatch)
	}
	tenants := make([]*policy.Tenant, len(req.GetComments()))
	for i, c := range req.GetComments() {
		t, err := s.check(c)
		if err != nil {
			return nil, status.Errorf(status.Code(err), "comment %d: %s", i, status.Convert(err).Message())
		}
		tenants[i] = t
	}
	_, span := s.tracer.Start(ctx, "classifier.classify_batch", trace.WithAttributes(attribute.Int("piazza.batch", len(tenants))))
	defer span.End()
	out := &classifierv1.ClassifyBatchResponse{Verdicts: make([]*classifierv1.Verdict, len(tenants))}
	comments := req.GetComments()
	// When the caller sent each comment's trace, each classification is a span of its comment's
	// trace too, linked to the batch's, as Classify's span would be.
	traces := telemetry.ItemTraces(ctx, len(comments))
	batch := trace.Link{SpanContext: span.SpanContext()}
	// A batch is CPU-bound work on independent comments: spread it over the cores.
	workers := min(runtime.GOMAXPROCS(0), (len(comments)+minChunk-1)/minChunk)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(comments); i += workers {
				if traces == nil {
					out.Verdicts[i] = s.Verdict(tenants[i], comments[i])
					continue
				}
				_, cspan := s.tracer.Start(traces[i], "classifier.classify",
					trace.WithAttributes(attribute.String("piazza.tenant", tenants[i].Code)), trace.WithLinks(batch))
				out.Verdicts[i] = s.Verdict(tenants[i], comments[i])
				cspan.SetAttributes(attribute.StringSlice("piazza.categories", categoryCodes(out.Verdicts[i])))
				cspan.End()
			}
		}(w)
	}
	wg.Wait()
	for _, v := range out.Verdicts {
		s.count(ctx, v)
	}
	return out, nil
}

// minChunk is the fewest comments worth a goroutine of their own.
const minChunk = 16

// GetPolicy describes the tenant's policy in force.
func (s *Server) GetPolicy(_ context.Context, req *classifierv1.GetPolicyRequest) (*classifierv1.GetPolicyResponse, error) {
	t, ok := s.policies.Tenant(req.GetTenant())
	if !ok {
		return nil, status.Errorf(codes.NotFound, "unknown tenant %q", req.GetTenant())
	}
	resp := &classifierv1.GetPolicyResponse{Tenant: t.Code, Name: t.Name, PolicyVersion: t.Version}
	for _, code := range sortedKeys(t.Categories) {
		c := t.Categories[code]
		resp.Categories = append(resp.Categories, &classifierv1.Citation{Category: code, Article: c.Article, Title: c.Title})
	}
	return resp, nil
}

func (s *Server) check(c *commentv1.Comment) (*policy.Tenant, error) {
	switch {
	case c == nil:
		return nil, status.Error(codes.InvalidArgument, "comment is required")
	case c.GetTenant() == "":
		return nil, status.Error(codes.InvalidArgument, "comment.tenant is required")
	case strings.TrimSpace(c.GetText()) == "":
		return nil, status.Error(codes.InvalidArgument, "comment.text is required")
	}
	t, ok := s.policies.Tenant(c.GetTenant())
	if !ok {
		return nil, status.Errorf(codes.NotFound, "unknown tenant %q", c.GetTenant())
	}
	return t, nil
}

func (s *Server) count(ctx context.Context, v *classifierv1.Verdict) {
	if len(v.GetCategories()) == 0 {
		s.labelled.Add(ctx, 1, s.labelledAttrs.Option(v.GetTenant(), "none"))
	}
	for _, c := range v.GetCategories() {
		s.labelled.Add(ctx, 1, s.labelledAttrs.Option(v.GetTenant(), c.GetCategory()))
	}
}

// Verdict classifies c under tenant t.
func (s *Server) Verdict(t *policy.Tenant, c *commentv1.Comment) *classifierv1.Verdict {
	res := s.engine.Classify(rules.Input{
		Text:            c.GetText(),
		PostText:        c.GetPostText(),
		Private:         c.GetChannel() == commentv1.Channel_CHANNEL_PRIVATE_MESSAGE,
		AuthorAnonymous: c.GetAuthor().GetAnonymous(),
	}, TenantOptions(t))
	return BuildVerdict(t, c, res)
}

// TenantOptions are the per-tenant inputs of the rules.
func TenantOptions(t *policy.Tenant) *rules.TenantOptions {
	return &rules.TenantOptions{Sponsors: t.Sponsors, Contacts: t.Contacts}
}

// BuildVerdict turns a rules result into the verdict, with the tenant's citations and an
// explanation in Italian.
func BuildVerdict(t *policy.Tenant, c *commentv1.Comment, res rules.Result) *classifierv1.Verdict {
	v := &classifierv1.Verdict{
		Tenant:        t.Code,
		CommentId:     c.GetCommentId(),
		PolicyVersion: t.Version,
	}
	for _, l := range res.Labels {
		v.Categories = append(v.Categories, &classifierv1.CategoryScore{Category: l.Code, Score: l.Score})
		if cat, ok := t.Categories[l.Code]; ok {
			v.Citations = append(v.Citations, &classifierv1.Citation{Category: l.Code, Article: cat.Article, Title: cat.Title})
		}
	}
	for _, e := range res.Evidence {
		v.Evidence = append(v.Evidence, &classifierv1.Evidence{Category: e.Category, RuleId: e.RuleID, Start: int32(e.Start), End: int32(e.End)})
	}
	if res.Topic != "" {
		v.Topic, v.TopicConfidence = res.Topic, res.TopicConfidence
	}
	v.Explanation = Explain(t, v)
	return v
}

// italianNames are the categories as the policies call them.
var italianNames = map[string]string{
	"profanity":     "turpiloquio",
	"blasphemy":     "bestemmia",
	"insult":        "insulto o attacco personale",
	"hate":          "discriminazione o incitamento all'odio",
	"threat":        "minaccia o incitamento alla violenza",
	"political":     "propaganda politica",
	"commercial":    "pubblicità o contenuto commerciale",
	"spam":          "spam",
	"personal_data": "dati personali di terzi",
	"illegal":       "contenuto illecito",
	"off_topic":     "commento fuori tema",
	"request":       "richiesta al Comune",
	"emergency":     "situazione di emergenza",
}

// Explain writes a short Italian explanation of a verdict for the social-media team.
func Explain(t *policy.Tenant, v *classifierv1.Verdict) string {
	if len(v.GetCategories()) == 0 {
		return "Nessuna violazione della policy rilevata."
	}
	var parts []string
	for _, cs := range v.GetCategories() {
		name := italianNames[cs.GetCategory()]
		if name == "" {
			name = cs.GetCategory()
		}
		if cat, ok := t.Categories[cs.GetCategory()]; ok {
			name += fmt.Sprintf(" (art. %s, %s)", cat.Article, cat.Title)
		}
		if cs.GetCategory() == "request" && v.GetTopic() != "" {
			name += ", argomento: " + v.GetTopic()
		}
		parts = append(parts, name)
	}
	var rulesFired []string
	seen := map[string]bool{}
	for _, e := range v.GetEvidence() {
		if !seen[e.GetRuleId()] {
			seen[e.GetRuleId()] = true
			rulesFired = append(rulesFired, e.GetRuleId())
		}
	}
	out := "Rilevato: " + strings.Join(parts, "; ") + "."
	if len(rulesFired) > 0 {
		out += " Regole: " + strings.Join(rulesFired, ", ") + "."
	}
	return out
}

func categoryCodes(v *classifierv1.Verdict) []string {
	out := make([]string, 0, len(v.GetCategories()))
	for _, c := range v.GetCategories() {
		out = append(out, c.GetCategory())
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
