package routing

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	routingv1 "github.com/piazza-pa/piazza/proto/gen/piazza/routing/v1"
)

// GRPCServer serves RoutingService to the offices.
type GRPCServer struct {
	routingv1.UnimplementedRoutingServiceServer
	svc *Service
}

// NewGRPCServer returns the gRPC face of svc.
func NewGRPCServer(svc *Service) *GRPCServer { return &GRPCServer{svc: svc} }

const (
	defaultPageSize = 50
	maxPageSize     = 500
)

// ListRequests lists a tenant's requests, newest first, filtered by office and state.
func (g *GRPCServer) ListRequests(ctx context.Context, req *routingv1.ListRequestsRequest) (*routingv1.ListRequestsResponse, error) {
	if _, ok := g.svc.cfg.Policies.Tenant(req.GetTenant()); !ok {
		return nil, status.Errorf(codes.NotFound, "unknown tenant %q", req.GetTenant())
	}
	size := int(req.GetPageSize())
	switch {
	case size < 0:
		return nil, status.Error(codes.InvalidArgument, "page_size must not be negative")
	case size == 0:
		size = defaultPageSize
	case size > maxPageSize:
		size = maxPageSize
	}
	offset := int64(0)
	if tok := req.GetPageToken(); tok != "" {
		n, err := strconv.ParseInt(strings.TrimPrefix(tok, "o"), 10, 64)
		if err != nil || n < 0 || !strings.HasPrefix(tok, "o") {
			return nil, status.Error(codes.InvalidArgument, "invalid page_token")
		}
		offset = n
	}
	st := g.svc.store()
	now := g.svc.cfg.Now()
	resp := &routingv1.ListRequestsResponse{}
	const batch = 200
	for len(resp.Requests) < size {
		ids, err := st.list(ctx, req.GetTenant(), offset, batch)
		if err != nil {
			return nil, status.Error(codes.Unavailable, "request store unavailable")
		}
		for i, id := range ids {
			r, err := st.get(ctx, req.GetTenant(), id)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, status.Error(codes.Unavailable, "request store unavailable")
			}
			if (req.GetOffice() == "" || r.GetOffice() == req.GetOffice()) &&
				(req.GetState() == routingv1.State_STATE_UNSPECIFIED || r.GetState() == req.GetState()) &&
				(!req.GetOverdue() || overdue(r, now)) {
				resp.Requests = append(resp.Requests, r)
				if len(resp.Requests) == size {
					resp.NextPageToken = "o" + strconv.FormatInt(offset+int64(i)+1, 10)
					return resp, nil
				}
			}
		}
		if len(ids) < batch {
			return resp, nil
		}
		offset += batch
	}
	return resp, nil
}

// overdue reports a request past its first-answer deadline that the office has not answered;
// a paused clock is not overdue.
func overdue(r *routingv1.Request, now time.Time) bool {
	return awaitingAnswer(r) && now.After(r.GetFirstAnswerDue().AsTime())
}

// GetRequest returns one request and its history.
func (g *GRPCServer) GetRequest(ctx context.Context, req *routingv1.GetRequestRequest) (*routingv1.GetRequestResponse, error) {
	if _, ok := g.svc.cfg.Policies.Tenant(req.GetTenant()); !ok {
		return nil, status.Errorf(codes.NotFound, "unknown tenant %q", req.GetTenant())
	}
	st := g.svc.store()
	r, err := st.get(ctx, req.GetTenant(), req.GetRequestId())
	if errors.Is(err, ErrNotFound) {
		return nil, status.Errorf(codes.NotFound, "request %q not found", req.GetRequestId())
	}
	if err != nil {
		return nil, status.Error(codes.Unavailable, "request store unavailable")
	}
	hist, err := st.history(ctx, req.GetTenant(), req.GetRequestId())
	if err != nil {
		return nil, status.Error(codes.Unavailable, "request store unavailable")
	}
	return &routingv1.GetRequestResponse{Request: r, History: hist}, nil
}

// Answer records the office's answer and sends it to the citizen in the visibility of the
// request, naming the office and its head.
func (g *GRPCServer) Answer(ctx context.Context, req *routingv1.AnswerRequest) (*routingv1.AnswerResponse, error) {
	if strings.TrimSpace(req.GetText()) == "" {
		return nil, status.Error(codes.InvalidArgument, "text is required")
	}
	r, err := g.svc.Answer(ctx, req.GetTenant(), req.GetRequestId(), "", req.GetActor(), req.GetText())
	if err != nil {
		return nil, grpcError(err)
	}
	return &routingv1.AnswerResponse{Request: r}, nil
}

// Acknowledge records that the office took the request in hand.
func (g *GRPCServer) Acknowledge(ctx context.Context, req *routingv1.AcknowledgeRequest) (*routingv1.AcknowledgeResponse, error) {
	r, err := g.svc.Acknowledge(ctx, req.GetTenant(), req.GetRequestId(), req.GetOffice(), req.GetActor())
	if err != nil {
		return nil, grpcError(err)
	}
	return &routingv1.AcknowledgeResponse{Request: r}, nil
}

// Reassign moves the request to another office.
func (g *GRPCServer) Reassign(ctx context.Context, req *routingv1.ReassignRequest) (*routingv1.ReassignResponse, error) {
	if req.GetToOffice() == "" {
		return nil, status.Error(codes.InvalidArgument, "to_office is required")
	}
	r, err := g.svc.Reassign(ctx, req.GetTenant(), req.GetRequestId(), req.GetOffice(), req.GetActor(), req.GetToOffice(), req.GetNote())
	if err != nil {
		return nil, grpcError(err)
	}
	return &routingv1.ReassignResponse{Request: r}, nil
}

// WaitForCitizen asks the citizen for more and pauses the clock.
func (g *GRPCServer) WaitForCitizen(ctx context.Context, req *routingv1.WaitForCitizenRequest) (*routingv1.WaitForCitizenResponse, error) {
	if strings.TrimSpace(req.GetQuestion()) == "" {
		return nil, status.Error(codes.InvalidArgument, "question is required")
	}
	r, err := g.svc.WaitForCitizen(ctx, req.GetTenant(), req.GetRequestId(), req.GetOffice(), req.GetActor(), req.GetQuestion())
	if err != nil {
		return nil, grpcError(err)
	}
	return &routingv1.WaitForCitizenResponse{Request: r}, nil
}

// Close resolves the request.
func (g *GRPCServer) Close(ctx context.Context, req *routingv1.CloseRequest) (*routingv1.CloseResponse, error) {
	r, err := g.svc.Close(ctx, req.GetTenant(), req.GetRequestId(), req.GetOffice(), req.GetActor(), req.GetNote())
	if err != nil {
		return nil, grpcError(err)
	}
	return &routingv1.CloseResponse{Request: r}, nil
}

// Reopen reopens a resolved request.
func (g *GRPCServer) Reopen(ctx context.Context, req *routingv1.ReopenRequest) (*routingv1.ReopenResponse, error) {
	r, err := g.svc.Reopen(ctx, req.GetTenant(), req.GetRequestId(), req.GetOffice(), req.GetActor(), req.GetNote())
	if err != nil {
		return nil, grpcError(err)
	}
	return &routingv1.ReopenResponse{Request: r}, nil
}

// ListRecurring lists the problems reported again and again.
func (g *GRPCServer) ListRecurring(ctx context.Context, req *routingv1.ListRecurringRequest) (*routingv1.ListRecurringResponse, error) {
	if _, ok := g.svc.cfg.Policies.Tenant(req.GetTenant()); !ok {
		return nil, status.Errorf(codes.NotFound, "unknown tenant %q", req.GetTenant())
	}
	weeks, minCount := int(req.GetWeeks()), int(req.GetMinCount())
	switch {
	case weeks < 0 || minCount < 0:
		return nil, status.Error(codes.InvalidArgument, "weeks and min_count must not be negative")
	case weeks == 0:
		weeks = 4
	case weeks > 52:
		weeks = 52
	}
	if minCount == 0 {
		minCount = 3
	}
	ps, err := g.svc.Recurring(ctx, req.GetTenant(), weeks, minCount)
	if err != nil {
		return nil, status.Error(codes.Unavailable, "request store unavailable")
	}
	return &routingv1.ListRecurringResponse{Problems: ps}, nil
}

// grpcError maps the domain's errors to status codes, in one place.
func grpcError(err error) error {
	switch {
	case errors.Is(err, ErrUnknownTenant), errors.Is(err, ErrNotFound):
		return status.Error(codes.NotFound, err.Error())
	case errors.Is(err, ErrWrongOffice):
		return status.Error(codes.PermissionDenied, err.Error())
	case errors.Is(err, ErrUnknownOffice):
		return status.Error(codes.InvalidArgument, err.Error())
	case errors.Is(err, ErrState):
		return status.Error(codes.FailedPrecondition, err.Error())
	case errors.Is(err, errConflict):
		return status.Error(codes.Aborted, "the request changed concurrently; try again")
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return status.FromContextError(err).Err()
	}
	return status.Error(codes.Unavailable, "request store unavailable")
}
