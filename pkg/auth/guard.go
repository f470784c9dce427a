package auth

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// ErrInvalidCredential is what a Verifier returns for a token it does not know, or one that
// expired or was revoked.
var ErrInvalidCredential = errors.New("invalid credential")

// Verifier turns a bearer token into the identity it was issued for.
type Verifier interface {
	// Verify returns the token's identity, ErrInvalidCredential when the token is not valid, or
	// another error when the store cannot answer.
	Verify(ctx context.Context, token string) (Identity, error)
}

// OfficeLookup returns the office a tenant's citizen request is currently assigned to; found is
// false when the tenant has no such request.
type OfficeLookup func(ctx context.Context, tenant, requestID string) (office string, found bool, err error)

// GuardConfig configures a Guard.
type GuardConfig struct {
	// Tokens verifies bearer tokens; nil refuses every token (certificates only).
	Tokens Verifier
	// Rules is the policy table; DefaultRules when nil.
	Rules Rules
	// Offices finds a request's office for OfficeOfRequest methods; without it office
	// credentials are refused on those methods.
	Offices OfficeLookup
	// Logger receives one line per refused call (method, role and reason, never the credential).
	Logger *slog.Logger
}

// Guard authenticates every gRPC call and applies the policy table.
type Guard struct {
	cfg GuardConfig
}

// NewGuard checks the policy table and returns a Guard.
func NewGuard(cfg GuardConfig) (*Guard, error) {
	if cfg.Rules == nil {
		cfg.Rules = DefaultRules()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if err := cfg.Rules.Validate(); err != nil {
		return nil, err
	}
	return &Guard{cfg: cfg}, nil
}

// CertificatesOnly returns a Guard with the default rules that accepts no token: only health
// checks and callers with a verified mTLS certificate get in. It is what a server gets when no
// Guard is configured.
func CertificatesOnly() *Guard {
	return &Guard{cfg: GuardConfig{Rules: DefaultRules(), Logger: slog.New(slog.DiscardHandler)}}
}

// WithOffices returns a copy of g that looks request offices up with l.
func (g *Guard) WithOffices(l OfficeLookup) *Guard {
	c := g.cfg
	c.Offices = l
	return &Guard{cfg: c}
}

// Validate checks that every rule can be applied: a role-restricted rule says how to read the
// tenant, and a rule open to office credentials says how to confine them to their office.
func (r Rules) Validate() error {
	for method, a := range r {
		if a.Public || a.AnyRole {
			continue
		}
		if len(a.Roles) == 0 {
			return fmt.Errorf("rule %s: no role may call it; remove it instead", method)
		}
		if a.Tenants == nil {
			return fmt.Errorf("rule %s: no way to read the tenant", method)
		}
		if slices.Contains(a.Roles, RoleOffice) && a.Office == OfficeNone {
			return fmt.Errorf("rule %s: office credentials allowed but no office scope", method)
		}
	}
	return nil
}

var (
	errMissing     = status.Error(codes.Unauthenticated, "missing credential")
	errInvalid     = status.Error(codes.Unauthenticated, "invalid credential")
	errDenied      = status.Error(codes.PermissionDenied, "permission denied")
	errUnavailable = status.Error(codes.Unavailable, "credential check unavailable")
)

// Authenticate returns the caller's identity from its bearer token or, when it sends none, its
// verified client certificate.
func (g *Guard) Authenticate(ctx context.Context) (Identity, error) {
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if vals := md.Get("authorization"); len(vals) > 0 {
			scheme, token, found := strings.Cut(vals[0], " ")
			if !found || !strings.EqualFold(scheme, "bearer") || token == "" || g.cfg.Tokens == nil {
				return Identity{}, errInvalid
			}
			id, err := g.cfg.Tokens.Verify(ctx, strings.TrimSpace(token))
			switch {
			case errors.Is(err, ErrInvalidCredential):
				return Identity{}, errInvalid
			case err != nil:
				g.cfg.Logger.WarnContext(ctx, "credential store unavailable", "err", err)
				return Identity{}, errUnavailable
			}
			return id, nil
		}
	}
	if p, ok := peer.FromContext(ctx); ok {
		if ti, ok := p.AuthInfo.(credentials.TLSInfo); ok && len(ti.State.VerifiedChains) > 0 && len(ti.State.VerifiedChains[0]) > 0 {
			id, err := IdentityFromCertificate(ti.State.VerifiedChains[0][0])
			if err != nil {
				return Identity{}, errInvalid
			}
			return id, nil
		}
	}
	return Identity{}, errMissing
}

// Authorize authenticates the caller of method and checks req against the method's rule. It
// returns ctx carrying the caller's identity, or a status error that says only
// Unauthenticated, PermissionDenied or Unavailable.
func (g *Guard) Authorize(ctx context.Context, method string, req any) (context.Context, error) {
	access, known := g.cfg.Rules[method]
	if known && access.Public {
		return ctx, nil
	}
	id, err := g.Authenticate(ctx)
	if err != nil {
		return nil, err
	}
	ctx = WithIdentity(ctx, id)
	if err := g.check(ctx, id, method, access, known, req); err != nil {
		return nil, err
	}
	return ctx, nil
}

func (g *Guard) deny(ctx context.Context, id Identity, method, reason string) error {
	g.cfg.Logger.InfoContext(ctx, "grpc call denied", "method", method, "credential", id.ID, "role", string(id.Role), "reason", reason)
	return errDenied
}

func (g *Guard) check(ctx context.Context, id Identity, method string, a Access, known bool, req any) error {
	switch {
	case !known:
		return g.deny(ctx, id, method, "method has no rule")
	case a.AnyRole:
		return nil
	case !slices.Contains(a.Roles, id.Role):
		return g.deny(ctx, id, method, "role not allowed")
	}
	tenants, ok := a.Tenants(req)
	if !ok {
		return g.deny(ctx, id, method, "request does not name its tenant")
	}
	for _, t := range tenants {
		if !id.Regional() && t != id.Tenant {
			return g.deny(ctx, id, method, "other tenant")
		}
	}
	if id.Role != RoleOffice {
		return nil
	}
	acting := ""
	if o, ok := req.(interface{ GetOffice() string }); ok {
		acting = o.GetOffice()
	}
	switch a.Office {
	case OfficeAny:
		return nil
	case OfficeField:
		if acting != id.Office {
			return g.deny(ctx, id, method, "other office")
		}
		return nil
	case OfficeOfRequest:
		if acting != "" && acting != id.Office {
			return g.deny(ctx, id, method, "other office")
		}
		r, ok := req.(interface{ GetRequestId() string })
		if !ok || g.cfg.Offices == nil || len(tenants) != 1 {
			return g.deny(ctx, id, method, "request office cannot be checked")
		}
		office, found, err := g.cfg.Offices(ctx, tenants[0], r.GetRequestId())
		if err != nil {
			g.cfg.Logger.WarnContext(ctx, "request office lookup failed", "method", method, "err", err)
			return errUnavailable
		}
		if !found || office != id.Office {
			// An unknown request and another office's request look the same to the caller.
			return g.deny(ctx, id, method, "other office")
		}
		return nil
	default:
		return g.deny(ctx, id, method, "office credentials not allowed")
	}
}

// UnaryInterceptor applies the Guard to every unary call.
func (g *Guard) UnaryInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		ctx, err := g.Authorize(ctx, info.FullMethod, req)
		if err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// StreamInterceptor applies the Guard to every streaming call: the caller is authenticated when
// the stream opens, and every message the client sends is checked against the method's rule.
func (g *Guard) StreamInterceptor() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx := ss.Context()
		access, known := g.cfg.Rules[info.FullMethod]
		if known && access.Public {
			return handler(srv, ss)
		}
		id, err := g.Authenticate(ctx)
		if err != nil {
			return err
		}
		ctx = WithIdentity(ctx, id)
		if !known || access.AnyRole {
			if err := g.check(ctx, id, info.FullMethod, access, known, nil); err != nil {
				return err
			}
			return handler(srv, &guardedStream{ServerStream: ss, ctx: ctx})
		}
		if !slices.Contains(access.Roles, id.Role) {
			return g.deny(ctx, id, info.FullMethod, "role not allowed")
		}
		return handler(srv, &guardedStream{ServerStream: ss, ctx: ctx, check: func(m any) error {
			return g.check(ctx, id, info.FullMethod, access, known, m)
		}})
	}
}

// guardedStream checks every message the client sends against the rule before the handler
// sees it, and gives the handler the context with the caller's identity.
type guardedStream struct {
	grpc.ServerStream
	ctx   context.Context
	check func(any) error
}

func (s *guardedStream) Context() context.Context { return s.ctx }

func (s *guardedStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	if s.check == nil {
		return nil
	}
	return s.check(m)
}

// IdentityFromCertificate reads the identity of a client certificate from its URI SAN
// piazza://<tenant or "region">/<role>[/<office>], e.g. piazza://region/service or
// piazza://monza/office/urp.
func IdentityFromCertificate(cert *x509.Certificate) (Identity, error) {
	for _, u := range cert.URIs {
		if u.Scheme != "piazza" {
			continue
		}
		tenant := u.Host
		if tenant == "region" {
			tenant = Region
		}
		parts := strings.Split(strings.Trim(u.Path, "/"), "/")
		id := Identity{ID: "cert:" + cert.SerialNumber.Text(16), Tenant: tenant, Role: Role(parts[0]), Label: cert.Subject.CommonName}
		if len(parts) > 1 {
			id.Office = parts[1]
		}
		if len(parts) > 2 {
			return Identity{}, fmt.Errorf("certificate URI %s: too many path segments", u)
		}
		if err := id.Validate(); err != nil {
			return Identity{}, fmt.Errorf("certificate URI %s: %w", u, err)
		}
		return id, nil
	}
	return Identity{}, errors.New("certificate has no piazza:// URI")
}
