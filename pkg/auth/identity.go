// Package auth decides who may call which gRPC method of Piazza, for which Comune and which
// office. A caller presents a credential — a bearer token kept hashed in Redis, or an mTLS client
// certificate — that binds it to one tenant (or to the whole region) and a role. One interceptor
// (Guard) enforces a per-method policy table for every service: a method missing from the table
// is denied, a missing or unknown credential is Unauthenticated, a wrong role, tenant or office is
// PermissionDenied, and no error says more than that.
package auth

import (
	"context"
	"fmt"
)

// Role is what a credential allows its holder to do.
type Role string

// The roles. Operators are a Comune's social-media team (or the region's); offices work one
// office's citizen requests; auditors read; admins run the regional deployment; services are
// Piazza's own processes calling each other.
const (
	RoleOperator Role = "operator"
	RoleOffice   Role = "office"
	RoleAuditor  Role = "auditor"
	RoleAdmin    Role = "admin"
	RoleService  Role = "service"
)

// AllRoles lists every role, in a stable order.
func AllRoles() []Role {
	return []Role{RoleOperator, RoleOffice, RoleAuditor, RoleAdmin, RoleService}
}

// Region is the tenant of a credential that reaches every Comune of the deployment.
const Region = "*"

// Identity is the caller a credential stands for.
type Identity struct {
	// ID names the credential: a token id, or "cert:" and the certificate's subject.
	ID string
	// Tenant is the Comune the credential is bound to, or Region.
	Tenant string
	// Role is what the holder may do.
	Role Role
	// Office is the office code of an office credential; empty for every other role.
	Office string
	// Label is a free note given at creation, e.g. who holds the credential.
	Label string
}

// Regional reports whether the identity reaches every tenant.
func (id Identity) Regional() bool { return id.Tenant == Region }

// Validate checks that the role, tenant and office fit together: admins and services are
// regional, offices belong to one tenant and name their office, and no other role has an office.
func (id Identity) Validate() error {
	switch id.Role {
	case RoleOperator, RoleAuditor:
	case RoleAdmin, RoleService:
		if !id.Regional() {
			return fmt.Errorf("role %s is regional: it cannot be bound to tenant %q", id.Role, id.Tenant)
		}
	case RoleOffice:
		if id.Regional() || id.Tenant == "" {
			return fmt.Errorf("role office needs a tenant")
		}
		if id.Office == "" {
			return fmt.Errorf("role office needs an office")
		}
	default:
		return fmt.Errorf("unknown role %q (want one of operator, office, auditor, admin, service)", id.Role)
	}
	if id.Tenant == "" {
		return fmt.Errorf("role %s needs a tenant or the region", id.Role)
	}
	if id.Role != RoleOffice && id.Office != "" {
		return fmt.Errorf("only role office takes an office")
	}
	return nil
}

type identityKey struct{}

// WithIdentity returns ctx carrying id; the Guard stores the caller's identity this way.
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// FromContext returns the identity the Guard authenticated for this call.
func FromContext(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(identityKey{}).(Identity)
	return id, ok
}
