package sanctions

import (
	"context"

	sanctionsv1 "github.com/piazza-pa/piazza/proto/gen/piazza/sanctions/v1"
)

// GRPCServer serves SanctionsService. Each method hands the request to the Service and maps its
// error with statusOf, the one place where domain errors become gRPC codes.
type GRPCServer struct {
	sanctionsv1.UnimplementedSanctionsServiceServer
	svc *Service
}

// NewGRPCServer returns the gRPC face of svc.
func NewGRPCServer(svc *Service) *GRPCServer { return &GRPCServer{svc: svc} }

// fail logs an error the client cannot fix (it is handled here, once) and maps it to a status.
func (g *GRPCServer) fail(ctx context.Context, rpc string, err error) error {
	st := statusOf(err)
	if !isClientError(err) {
		g.svc.cfg.Logger.WarnContext(ctx, "sanctions rpc failed", "rpc", rpc, "err", err)
	}
	return st
}

// GetUserRecord returns a user's strikes inside the windows, block state, appeals and history.
func (g *GRPCServer) GetUserRecord(ctx context.Context, req *sanctionsv1.GetUserRecordRequest) (*sanctionsv1.GetUserRecordResponse, error) {
	resp, err := g.svc.UserRecord(ctx, req)
	if err != nil {
		return nil, g.fail(ctx, "GetUserRecord", err)
	}
	return resp, nil
}

// Pardon removes a comment's strike.
func (g *GRPCServer) Pardon(ctx context.Context, req *sanctionsv1.PardonRequest) (*sanctionsv1.PardonResponse, error) {
	ev, err := g.svc.Pardon(ctx, req)
	if err != nil {
		return nil, g.fail(ctx, "Pardon", err)
	}
	return &sanctionsv1.PardonResponse{Event: ev}, nil
}

// Unblock lifts a user's block.
func (g *GRPCServer) Unblock(ctx context.Context, req *sanctionsv1.UnblockRequest) (*sanctionsv1.UnblockResponse, error) {
	ev, err := g.svc.Unblock(ctx, req)
	if err != nil {
		return nil, g.fail(ctx, "Unblock", err)
	}
	return &sanctionsv1.UnblockResponse{Event: ev}, nil
}

// RegisterAppeal records an appeal against a decision.
func (g *GRPCServer) RegisterAppeal(ctx context.Context, req *sanctionsv1.RegisterAppealRequest) (*sanctionsv1.RegisterAppealResponse, error) {
	ev, err := g.svc.RegisterAppeal(ctx, req)
	if err != nil {
		return nil, g.fail(ctx, "RegisterAppeal", err)
	}
	return &sanctionsv1.RegisterAppealResponse{Event: ev}, nil
}

// ListReviews lists the decisions waiting for review.
func (g *GRPCServer) ListReviews(ctx context.Context, req *sanctionsv1.ListReviewsRequest) (*sanctionsv1.ListReviewsResponse, error) {
	ds, err := g.svc.ListReviews(ctx, req)
	if err != nil {
		return nil, g.fail(ctx, "ListReviews", err)
	}
	return &sanctionsv1.ListReviewsResponse{Decisions: ds}, nil
}

// ResolveReview confirms or keeps a decision under review.
func (g *GRPCServer) ResolveReview(ctx context.Context, req *sanctionsv1.ResolveReviewRequest) (*sanctionsv1.ResolveReviewResponse, error) {
	ev, err := g.svc.ResolveReview(ctx, req)
	if err != nil {
		return nil, g.fail(ctx, "ResolveReview", err)
	}
	return &sanctionsv1.ResolveReviewResponse{Event: ev}, nil
}

// EraseUser erases a user's data.
func (g *GRPCServer) EraseUser(ctx context.Context, req *sanctionsv1.EraseUserRequest) (*sanctionsv1.EraseUserResponse, error) {
	ev, err := g.svc.EraseUser(ctx, req)
	if err != nil {
		return nil, g.fail(ctx, "EraseUser", err)
	}
	return &sanctionsv1.EraseUserResponse{Event: ev}, nil
}
