package routing

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

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
				(req.GetState() == routingv1.State_STATE_UNSPECIFIED || r.GetState() == req.GetState()) {
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
	tenant, ok := g.svc.cfg.Policies.Tenant(req.GetTenant())
	if !ok {
		return nil, status.Errorf(codes.NotFound, "unknown tenant %q", req.GetTenant())
	}
	if strings.TrimSpace(req.GetText()) == "" {
		return nil, status.Error(codes.InvalidArgument, "text is required")
	}
	st := g.svc.store()
	r, err := st.get(ctx, req.GetTenant(), req.GetRequestId())
	if errors.Is(err, ErrNotFound) {
		return nil, status.Errorf(codes.NotFound, "request %q not found", req.GetRequestId())
	}
	if err != nil {
		return nil, status.Error(codes.Unavailable, "request store unavailable")
	}
	if r.GetState() == routingv1.State_STATE_CLOSED {
		return nil, status.Error(codes.FailedPrecondition, "request is closed")
	}
	office, ok := tenant.Offices[r.GetOffice()]
	if !ok {
		return nil, status.Errorf(codes.FailedPrecondition, "request's office %q is not in the tenant's policy", r.GetOffice())
	}
	text, err := tenant.Render("answer", map[string]string{"office": office.Name, "head": office.Head, "answer": req.GetText(), "request_id": r.GetRequestId()})
	if err != nil {
		return nil, status.Errorf(codes.FailedPrecondition, "tenant's answer template: %v", err)
	}
	hist, err := st.history(ctx, req.GetTenant(), r.GetRequestId())
	if err != nil {
		return nil, status.Error(codes.Unavailable, "request store unavailable")
	}
	n := 1
	for _, ev := range hist {
		if ev.GetType() == routingv1.EventType_EVENT_TYPE_ANSWERED {
			n++
		}
	}
	actor := req.GetActor()
	if actor == "" {
		actor = "office:" + office.Code
	}
	r.State = routingv1.State_STATE_ANSWERED
	ev := &routingv1.RequestEvent{
		EventId: r.GetRequestId() + ":answered:" + strconv.Itoa(n), RequestId: r.GetRequestId(), Tenant: r.GetTenant(),
		Type: routingv1.EventType_EVENT_TYPE_ANSWERED, At: timestamppb.New(g.svc.cfg.Now()), Office: office.Code, Actor: actor,
		Note: "risposta inviata al cittadino",
	}
	if err := g.svc.reply(ctx, r, r.GetRequestId()+":answer:"+strconv.Itoa(n), text); err != nil {
		return nil, status.Error(codes.Unavailable, "could not request the reply")
	}
	if err := st.update(ctx, r, ev); err != nil {
		return nil, status.Error(codes.Unavailable, "request store unavailable")
	}
	if err := g.svc.publishEvent(ctx, r, ev); err != nil {
		return nil, status.Error(codes.Unavailable, "could not publish the event")
	}
	return &routingv1.AnswerResponse{Request: r}, nil
}
