package auth

import (
	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
)

// Access says who may call one method and how the Guard finds what the call touches.
type Access struct {
	// Public methods need no credential at all (the health service).
	Public bool
	// AnyRole lets any authenticated caller in, whatever its role and tenant (reflection).
	AnyRole bool
	// Roles may call the method, each within its tenant (regional roles: every tenant).
	Roles []Role
	// Tenants reads the tenants a request touches; nil for Public and AnyRole methods.
	Tenants TenantsOf
	// Office says how an office credential is confined to its office; it must be set when
	// RoleOffice is among Roles.
	Office OfficeScope
}

// TenantsOf returns the tenants a request touches; ok is false when the request has no way to
// say (the Guard then denies).
type TenantsOf func(req any) (tenants []string, ok bool)

// OfficeScope is how a method's request tells which office it concerns.
type OfficeScope int

// The office scopes.
const (
	// OfficeNone: the method says nothing about offices; office credentials may not call it.
	OfficeNone OfficeScope = iota
	// OfficeField: the request has an office field (GetOffice) that must equal the credential's
	// office; an empty one (all offices) is refused to an office credential.
	OfficeField
	// OfficeOfRequest: the request names a citizen request (GetRequestId) whose current office,
	// looked up with the Guard's OfficeLookup, must equal the credential's office; when the
	// request also names the acting office (GetOffice), that must be the credential's office too.
	OfficeOfRequest
	// OfficeAny: the method concerns the whole tenant but holds nothing of any office (the
	// tenant's policy summary); an office credential of the tenant may call it.
	OfficeAny
)

type tenantGetter interface{ GetTenant() string }

// TenantField reads the request's own tenant field (GetTenant), as every request message with a
// `tenant` field has.
func TenantField(req any) ([]string, bool) {
	g, ok := req.(tenantGetter)
	if !ok {
		return nil, false
	}
	return []string{g.GetTenant()}, true
}

// CommentTenant reads the tenant of the request's comment (GetComment).
func CommentTenant(req any) ([]string, bool) {
	g, ok := req.(interface{ GetComment() *commentv1.Comment })
	if !ok {
		return nil, false
	}
	return []string{g.GetComment().GetTenant()}, true
}

// CommentsTenants reads the tenant of every comment of the request (GetComments).
func CommentsTenants(req any) ([]string, bool) {
	g, ok := req.(interface{ GetComments() []*commentv1.Comment })
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(g.GetComments()))
	for _, c := range g.GetComments() {
		out = append(out, c.GetTenant())
	}
	return out, true
}

// Rules maps a gRPC method's full name ("/package.Service/Method") to its access.
type Rules map[string]Access

func roles(rs ...Role) []Role { return rs }

// DefaultRules is the policy of every Piazza service. A method that is not here is denied to
// everyone; TestEveryMethodHasARule fails when a service gains an rpc without an entry.
//
// Reading is open to operators, auditors and admins of the tenant; changing sanctions is for
// operators and admins; office credentials reach only the citizen requests of their own office
// and are the ones who answer them; classifying is for Piazza's services and admins (operators
// may try one comment against their policy); erasing a user, which cannot be undone, is for
// the regional admins acting on the Comune's request.
func DefaultRules() Rules {
	read := roles(RoleOperator, RoleAuditor, RoleAdmin)
	sanction := roles(RoleOperator, RoleAdmin)
	officeRead := roles(RoleOffice, RoleOperator, RoleAuditor, RoleAdmin)
	officeWork := roles(RoleOffice, RoleAdmin)
	dispatch := roles(RoleOffice, RoleOperator, RoleAdmin)
	const (
		cls = "/piazza.classifier.v1.ClassifierService/"
		snc = "/piazza.sanctions.v1.SanctionsService/"
		rtg = "/piazza.routing.v1.RoutingService/"
	)
	return Rules{
		"/grpc.health.v1.Health/Check":                                   {Public: true},
		"/grpc.health.v1.Health/Watch":                                   {Public: true},
		"/grpc.health.v1.Health/List":                                    {Public: true},
		"/grpc.reflection.v1.ServerReflection/ServerReflectionInfo":      {AnyRole: true},
		"/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo": {AnyRole: true},

		cls + "Classify":      {Roles: roles(RoleService, RoleOperator, RoleAdmin), Tenants: CommentTenant},
		cls + "ClassifyBatch": {Roles: roles(RoleService, RoleAdmin), Tenants: CommentsTenants},
		cls + "GetPolicy":     {Roles: roles(RoleService, RoleOperator, RoleOffice, RoleAuditor, RoleAdmin), Tenants: TenantField, Office: OfficeAny},

		snc + "GetUserRecord":  {Roles: read, Tenants: TenantField},
		snc + "ListReviews":    {Roles: read, Tenants: TenantField},
		snc + "Pardon":         {Roles: sanction, Tenants: TenantField},
		snc + "Unblock":        {Roles: sanction, Tenants: TenantField},
		snc + "RegisterAppeal": {Roles: sanction, Tenants: TenantField},
		snc + "ResolveReview":  {Roles: sanction, Tenants: TenantField},
		snc + "EraseUser":      {Roles: roles(RoleAdmin), Tenants: TenantField},

		rtg + "ListRequests":   {Roles: officeRead, Tenants: TenantField, Office: OfficeField},
		rtg + "GetRequest":     {Roles: officeRead, Tenants: TenantField, Office: OfficeOfRequest},
		rtg + "Answer":         {Roles: officeWork, Tenants: TenantField, Office: OfficeOfRequest},
		rtg + "Acknowledge":    {Roles: officeWork, Tenants: TenantField, Office: OfficeOfRequest},
		rtg + "Reassign":       {Roles: dispatch, Tenants: TenantField, Office: OfficeOfRequest},
		rtg + "WaitForCitizen": {Roles: officeWork, Tenants: TenantField, Office: OfficeOfRequest},
		rtg + "Close":          {Roles: officeWork, Tenants: TenantField, Office: OfficeOfRequest},
		rtg + "Reopen":         {Roles: dispatch, Tenants: TenantField, Office: OfficeOfRequest},
		rtg + "ListRecurring":  {Roles: read, Tenants: TenantField},
	}
}
