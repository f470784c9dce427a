// Package simulate runs comments through the real moderation pipeline of one Comune, in order
// and without NATS, and says what the system would do with each: the classifier's labels, the
// sanction ladder's actions and strikes, and routing's first disposition of a request. It backs
// `piazza simulate` and the acceptance scenarios of the policy files
// (deploy/policies/testdata/<tenant>/).
//
// The classifier is the real one, served over a loopback gRPC listener; sanctions and routing
// are the real services on a private Redis keyspace that Close deletes. The clock of every step
// is the comment's created_at, so a scenario replays the same way on any day.
package simulate

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/piazza-pa/piazza/pkg/bus"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	"github.com/piazza-pa/piazza/pkg/policy"
	"github.com/piazza-pa/piazza/pkg/pseudonym"
	actionv1 "github.com/piazza-pa/piazza/proto/gen/piazza/action/v1"
	classifierv1 "github.com/piazza-pa/piazza/proto/gen/piazza/classifier/v1"
	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	routingv1 "github.com/piazza-pa/piazza/proto/gen/piazza/routing/v1"
	sanctionsv1 "github.com/piazza-pa/piazza/proto/gen/piazza/sanctions/v1"
	"github.com/piazza-pa/piazza/services/classifier"
	"github.com/piazza-pa/piazza/services/classifier/rules"
	"github.com/piazza-pa/piazza/services/routing"
	"github.com/piazza-pa/piazza/services/sanctions"
)

// ActionCodes are the codes an Outcome's Actions are drawn from: the sanction ladder's actions,
// "none" for a comment nothing happens to, and what routing does with a request.
var ActionCodes = []string{
	"none", "warn", "hide", "delete", "block", "report_platform", "report_police", "review",
	"reply", "private_reply", "redirect_emergency", "redirect_istanza", "route", "no_reply",
}

// Policies gives the policy of a tenant.
type Policies interface {
	Tenant(code string) (*policy.Tenant, bool)
}

// Config configures a Simulator.
type Config struct {
	// Policies holds the tenants' policies; the simulated tenant must be among them.
	Policies Policies
	// Tenant is the code of the Comune whose comments are simulated.
	Tenant string
	// Redis is where strikes, decisions and requests are kept during the simulation. Every key
	// starts with KeyPrefix, and Close deletes them.
	Redis redis.UniversalClient
	// KeyPrefix starts every Redis key; when empty a random "piazza-sim:<hex>:" is used, so that
	// simulations never see each other's strikes or a deployment's.
	KeyPrefix string
	// Engine is the compiled classifier rules; when nil, New compiles them.
	Engine *rules.Engine
}

// Citation is a policy article that applies to a comment.
type Citation struct {
	// Category is the taxonomy code the article forbids.
	Category string `json:"category"`
	// Article is the article or section as the Comune's document numbers it.
	Article string `json:"article"`
}

// Outcome is what the system does with one comment.
type Outcome struct {
	// ID is the comment's id.
	ID string `json:"id"`
	// Labels are the classifier's categories, sorted.
	Labels []string `json:"labels"`
	// Actions are the action codes (see ActionCodes), sorted.
	Actions []string `json:"actions"`
	// Strikes are the author's strikes after this comment, by violated category (a category in a
	// group reports its group's count).
	Strikes map[string]int `json:"strikes"`
	// Citations are the articles of the tenant's policy that the labels fall under.
	Citations []Citation `json:"citations"`
	// Topic is the request topic, when the comment is a request (detail only).
	Topic string `json:"topic,omitempty"`
	// Office is the code of the office the request was forwarded to (detail only).
	Office string `json:"office,omitempty"`
	// Replies are the texts the Comune would post or send, in order (detail only).
	Replies []string `json:"replies,omitempty"`
}

// Basic returns the outcome without its detail fields: exactly the line `piazza simulate`
// writes by default.
func (o Outcome) Basic() Outcome {
	o.Topic, o.Office, o.Replies = "", "", nil
	return o
}

// Simulator runs comments of one tenant through the pipeline, one at a time.
type Simulator struct {
	tenant    *policy.Tenant
	rdb       redis.UniversalClient
	prefix    string
	clock     *clock
	collected *collector
	sanctions *sanctions.Service
	routing   *routing.Service
	grpcSrv   *grpc.Server
	conn      *grpc.ClientConn
	closeOnce sync.Once
	closeErr  error
}

// New starts a Simulator: the classifier on a loopback gRPC listener, and the sanctions and
// routing services on cfg.Redis.
func New(ctx context.Context, cfg Config) (_ *Simulator, err error) {
	if cfg.Policies == nil || cfg.Redis == nil {
		return nil, errors.New("simulate: Policies and Redis are required")
	}
	tenant, ok := cfg.Policies.Tenant(cfg.Tenant)
	if !ok {
		return nil, fmt.Errorf("simulate: no policy for tenant %q", cfg.Tenant)
	}
	s := &Simulator{tenant: tenant, rdb: cfg.Redis, prefix: cfg.KeyPrefix, clock: &clock{}, collected: &collector{}}
	if s.prefix == "" {
		if s.prefix, err = randomPrefix(); err != nil {
			return nil, err
		}
	}
	defer func() {
		if err != nil {
			_ = s.Close(context.WithoutCancel(ctx))
		}
	}()
	engine := cfg.Engine
	if engine == nil {
		if engine, err = rules.NewEngine(); err != nil {
			return nil, fmt.Errorf("compile classifier rules: %w", err)
		}
	}
	impl, err := classifier.NewServer(engine, cfg.Policies, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("classifier: %w", err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the classifier: %w", err)
	}
	s.grpcSrv = grpc.NewServer()
	classifierv1.RegisterClassifierServiceServer(s.grpcSrv, impl)
	go func() { _ = s.grpcSrv.Serve(lis) }()
	if s.conn, err = grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials())); err != nil {
		return nil, fmt.Errorf("dial the classifier: %w", err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("pseudonym key: %w", err)
	}
	pseudonyms, err := pseudonym.New(key)
	if err != nil {
		return nil, err
	}
	if s.sanctions, err = sanctions.New(sanctions.Config{
		Redis: cfg.Redis, Classifier: classifierv1.NewClassifierServiceClient(s.conn), Policies: cfg.Policies,
		Publisher: s.collected, Pseudonyms: pseudonyms, KeyPrefix: s.prefix, Now: s.clock.now,
	}); err != nil {
		return nil, fmt.Errorf("sanctions: %w", err)
	}
	if s.routing, err = routing.New(routing.Config{
		Redis: cfg.Redis, Policies: cfg.Policies, Publisher: s.collected, KeyPrefix: s.prefix, Now: s.clock.now,
	}); err != nil {
		return nil, fmt.Errorf("routing: %w", err)
	}
	return s, nil
}

// Tenant returns the simulated tenant's policy.
func (s *Simulator) Tenant() *policy.Tenant { return s.tenant }

// KeyPrefix returns the prefix of every Redis key the simulation writes.
func (s *Simulator) KeyPrefix() string { return s.prefix }

// Step runs one comment through the classifier, the sanction ladder and routing's first
// disposition, with the comment's created_at (or, without one, the current time) as the clock.
// The same comment stepped twice counts once: the second time yields the first decision.
func (s *Simulator) Step(ctx context.Context, c *commentv1.Comment) (Outcome, error) {
	if c.GetTenant() != s.tenant.Code {
		return Outcome{}, fmt.Errorf("comment %s: tenant %q, but the simulation is of %q", c.GetCommentId(), c.GetTenant(), s.tenant.Code)
	}
	at := time.Now()
	if ts := c.GetCreatedAt(); ts != nil && ts.IsValid() {
		at = ts.AsTime()
	}
	s.clock.set(at)
	s.collected.reset()
	d, err := s.sanctions.Decide(ctx, proto.Clone(c).(*commentv1.Comment))
	if err != nil {
		return Outcome{}, fmt.Errorf("decide comment %s: %w", c.GetCommentId(), err)
	}
	disp, err := s.routing.Dispose(ctx, d)
	if err != nil {
		return Outcome{}, fmt.Errorf("route comment %s: %w", c.GetCommentId(), err)
	}
	return s.outcome(c, d, disp), nil
}

func (s *Simulator) outcome(c *commentv1.Comment, d *sanctionsv1.Decision, disp routing.Disposition) Outcome {
	o := Outcome{
		ID:        c.GetCommentId(),
		Labels:    []string{},
		Strikes:   map[string]int{},
		Citations: []Citation{},
		Topic:     d.GetVerdict().GetTopic(),
	}
	for _, cs := range d.GetVerdict().GetCategories() {
		o.Labels = append(o.Labels, cs.GetCategory())
	}
	slices.Sort(o.Labels)
	o.Labels = slices.Compact(o.Labels)
	for _, sc := range d.GetStrikes() {
		o.Strikes[sc.GetCategory()] = int(sc.GetCount())
	}
	for _, ct := range d.GetCitations() {
		o.Citations = append(o.Citations, Citation{Category: ct.GetCategory(), Article: ct.GetArticle()})
	}
	slices.SortFunc(o.Citations, func(a, b Citation) int {
		return cmp.Or(strings.Compare(a.Category, b.Category), strings.Compare(a.Article, b.Article))
	})

	codes := map[string]bool{}
	for _, a := range d.GetActionCodes() {
		codes[a] = true
	}
	// The sanctions' warning is a reply too; its text is part of what the Comune says.
	for _, a := range d.GetActions() {
		if a.GetText() != "" {
			o.Replies = append(o.Replies, a.GetText())
		}
	}
	// Routing's disposition: "route", "no_reply" and the redirects are action codes of their own;
	// any other (a refusal) shows as the reply it sends.
	if slices.Contains(ActionCodes, string(disp)) && disp != routing.DispositionNone {
		codes[string(disp)] = true
	}
	for _, m := range s.collected.messages() {
		switch m := m.(type) {
		case *actionv1.Action:
			switch m.GetKind() {
			case actionv1.Kind_KIND_REPLY:
				codes["reply"] = true
			case actionv1.Kind_KIND_PRIVATE_REPLY:
				codes["private_reply"] = true
			default:
				continue
			}
			o.Replies = append(o.Replies, m.GetText())
		case *routingv1.RequestEvent:
			if office := m.GetRequest().GetOffice(); office != "" {
				o.Office = office
			} else if m.GetOffice() != "" {
				o.Office = m.GetOffice()
			}
		}
	}
	if len(codes) > 1 {
		delete(codes, "none")
	}
	if len(codes) == 0 {
		codes["none"] = true
	}
	for code := range codes {
		o.Actions = append(o.Actions, code)
	}
	slices.Sort(o.Actions)
	return o
}

// Close stops the classifier and deletes every key the simulation wrote. It does not close
// the Redis client, which belongs to the caller.
func (s *Simulator) Close(ctx context.Context) error {
	s.closeOnce.Do(func() {
		var errs []error
		if s.conn != nil {
			errs = append(errs, s.conn.Close())
		}
		if s.grpcSrv != nil {
			s.grpcSrv.Stop()
		}
		if s.prefix != "" {
			errs = append(errs, DeleteKeys(ctx, s.rdb, s.prefix))
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// DeleteKeys removes every key of rdb that starts with prefix.
func DeleteKeys(ctx context.Context, rdb redis.UniversalClient, prefix string) error {
	iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var batch []string
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		// One DEL per key: in a Redis Cluster the keys of a batch live in different slots.
		pipe := rdb.Pipeline()
		for _, k := range batch {
			pipe.Del(ctx, k)
		}
		_, err := pipe.Exec(ctx)
		batch = batch[:0]
		if err != nil {
			return fmt.Errorf("delete simulation keys: %w", err)
		}
		return nil
	}
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
		if len(batch) == 500 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := iter.Err(); err != nil {
		return fmt.Errorf("scan simulation keys: %w", err)
	}
	return flush()
}

func randomPrefix() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("key prefix: %w", err)
	}
	return "piazza-sim:" + hex.EncodeToString(b) + ":", nil
}

// clock is the simulation's time: the created_at of the comment being stepped.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// collector is the Publisher of sanctions and routing: it keeps what they publish during one
// step instead of sending it to NATS.
type collector struct {
	mu   sync.Mutex
	msgs []proto.Message
}

// Publish records m.
func (c *collector) Publish(_ context.Context, _, _ string, m proto.Message) error {
	c.mu.Lock()
	c.msgs = append(c.msgs, proto.Clone(m))
	c.mu.Unlock()
	return nil
}

// PublishBatch collects every message of the batch, in order.
func (c *collector) PublishBatch(ctx context.Context, batch []bus.Outgoing) error {
	for _, o := range batch {
		if err := c.Publish(ctx, o.Subject, o.MsgID, o.Msg); err != nil {
			return err
		}
	}
	return nil
}

func (c *collector) reset() {
	c.mu.Lock()
	c.msgs = nil
	c.mu.Unlock()
}

func (c *collector) messages() []proto.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.msgs)
}
