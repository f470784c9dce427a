package routing

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	routingv1 "github.com/piazza-pa/piazza/proto/gen/piazza/routing/v1"
)

// Recurring returns the problems opened at least minCount times over the last weeks ISO weeks
// (the current one included), counted by topic and place, most frequent first. Each week's
// counts are one sorted set, so the cost grows with the weeks asked and the distinct problems,
// not with the number of requests.
func (s *Service) Recurring(ctx context.Context, tenant string, weeks, minCount int) ([]*routingv1.RecurringProblem, error) {
	st := s.store()
	now := s.cfg.Now()
	labels := make([]string, weeks)
	for i := range weeks {
		labels[i] = isoWeek(now.AddDate(0, 0, -7*(weeks-1-i)))
	}
	byKey := map[string]*routingv1.RecurringProblem{}
	for i, week := range labels {
		zs, err := st.rdb.ZRangeWithScores(ctx, st.recurringKey(tenant, week), 0, -1).Result()
		if err != nil {
			return nil, fmt.Errorf("recurring problems: %w", err)
		}
		for _, z := range zs {
			member, _ := z.Member.(string)
			p := byKey[member]
			if p == nil {
				topic, place, _ := strings.Cut(member, "|")
				p = &routingv1.RecurringProblem{Topic: topic, Place: place, Weeks: make([]*routingv1.WeekCount, weeks)}
				for j, w := range labels {
					p.Weeks[j] = &routingv1.WeekCount{Week: w}
				}
				byKey[member] = p
			}
			p.Weeks[i].Count += int32(z.Score)
			p.Total += int32(z.Score)
		}
	}
	var out []*routingv1.RecurringProblem
	for _, p := range byKey {
		if int(p.GetTotal()) >= minCount {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b *routingv1.RecurringProblem) int {
		if c := cmp.Compare(b.GetTotal(), a.GetTotal()); c != 0 {
			return c
		}
		return cmp.Compare(a.GetTopic()+"|"+a.GetPlace(), b.GetTopic()+"|"+b.GetPlace())
	})
	return out, nil
}
