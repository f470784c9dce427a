package sanctions

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/piazza-pa/piazza/pkg/comments"
	"github.com/piazza-pa/piazza/pkg/policy"
	sanctionsv1 "github.com/piazza-pa/piazza/proto/gen/piazza/sanctions/v1"
	"github.com/piazza-pa/piazza/services/sanctions/strikes"
)

// GRPCServer serves SanctionsService.
type GRPCServer struct {
	sanctionsv1.UnimplementedSanctionsServiceServer
	svc *Service
}

// NewGRPCServer returns the gRPC face of svc.
func NewGRPCServer(svc *Service) *GRPCServer { return &GRPCServer{svc: svc} }

// GetUserRecord returns a user's strikes inside the windows, block state and history.
func (g *GRPCServer) GetUserRecord(ctx context.Context, req *sanctionsv1.GetUserRecordRequest) (*sanctionsv1.GetUserRecordResponse, error) {
	tenant, ok := g.svc.cfg.Policies.Tenant(req.GetTenant())
	if !ok {
		return nil, status.Errorf(codes.NotFound, "unknown tenant %q", req.GetTenant())
	}
	platform := comments.PlatformName(req.GetPlatform())
	if req.GetPlatform() == 0 {
		return nil, status.Error(codes.InvalidArgument, "platform is required")
	}
	pseud := req.GetPseudonym()
	if req.GetUserId() != "" {
		pseud = g.svc.cfg.Pseudonyms.Of(tenant.Code, platform, req.GetUserId())
	}
	if pseud == "" {
		return nil, status.Error(codes.InvalidArgument, "user_id or pseudonym is required")
	}
	sub := strikes.Subject{Tenant: tenant.Code, Platform: platform, Pseudonym: pseud}
	hist, err := g.svc.strikes.History(ctx, sub)
	if err != nil {
		return nil, status.Error(codes.Unavailable, "strike store unavailable")
	}
	now := g.svc.cfg.Now()
	resp := &sanctionsv1.GetUserRecordResponse{Tenant: tenant.Code, Pseudonym: pseud}
	windows := groupWindows(tenant)
	counts := map[string]int32{}
	for _, e := range hist {
		if e.Platform != platform {
			continue
		}
		if w, ok := windows[e.Group]; ok && e.At.Before(now.Add(-w)) {
			continue
		}
		counts[e.Group]++
		resp.History = append(resp.History, &sanctionsv1.UserRecordEntry{Category: e.Group, CommentId: e.CommentID, At: timestamppb.New(e.At)})
	}
	sort.Slice(resp.History, func(i, j int) bool { return resp.History[i].GetAt().AsTime().Before(resp.History[j].GetAt().AsTime()) })
	for group, n := range counts {
		resp.Strikes = append(resp.Strikes, &sanctionsv1.StrikeCount{Category: group, Count: n})
	}
	sort.Slice(resp.Strikes, func(i, j int) bool { return resp.Strikes[i].GetCategory() < resp.Strikes[j].GetCategory() })
	err = g.svc.cfg.Redis.Get(ctx, g.svc.blockedKey(tenant.Code, platform, pseud)).Err()
	switch {
	case err == nil:
		resp.Blocked = true
	case !errors.Is(err, redis.Nil):
		return nil, status.Error(codes.Unavailable, "strike store unavailable")
	}
	return resp, nil
}

// groupWindows gives each strike group's window: the longest of its categories.
func groupWindows(t *policy.Tenant) map[string]time.Duration {
	out := map[string]time.Duration{}
	for _, c := range t.Categories {
		g := c.Group
		if g == "" {
			g = c.Code
		}
		if c.Window > out[g] {
			out[g] = c.Window
		}
	}
	return out
}
