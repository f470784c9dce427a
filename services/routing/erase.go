package routing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/piazza-pa/piazza/pkg/bus"
	sanctionsv1 "github.com/piazza-pa/piazza/proto/gen/piazza/sanctions/v1"
)

// ErasureConsumerSpec is the durable consumer of erasure events (piazza.<t>.user.erased, kept
// in the DECISIONS stream), through which routing forgets a citizen's requests.
func ErasureConsumerSpec() bus.ConsumerSpec {
	return bus.ConsumerSpec{
		Stream:         bus.StreamDecisions,
		Durable:        "routing-erasure",
		FilterSubjects: []string{bus.Subject("*", "user", "erased")},
		MaxDeliver:     20,
		AckWait:        time.Minute,
		MaxAckPending:  64,
		Concurrency:    2,
	}
}

// HandleErasure removes the requests of an erased user. Redelivery is harmless: a second pass
// finds nothing left to remove.
func (s *Service) HandleErasure(ctx context.Context, msg *bus.Message) error {
	var ev sanctionsv1.AuditEvent
	if err := proto.Unmarshal(msg.Data, &ev); err != nil {
		return bus.Permanent(fmt.Errorf("decode erasure: %w", err))
	}
	if ev.GetTenant() == "" || ev.GetPseudonym() == "" {
		return bus.Permanent(errors.New("invalid erasure: tenant and pseudonym are required"))
	}
	n, err := s.EraseReporter(ctx, ev.GetTenant(), ev.GetPseudonym())
	if err != nil {
		return err
	}
	s.cfg.Logger.InfoContext(ctx, "requests erased", "tenant", ev.GetTenant(), "pseudonym", ev.GetPseudonym(), "requests", n)
	return nil
}

// EraseReporter deletes every request of a tenant whose reporter is the pseudonym, with its
// history, deadlines and lease, and returns how many it removed. The REQUESTS stream keeps the
// events already published until its retention removes them (docs/security.md).
func (s *Service) EraseReporter(ctx context.Context, tenant, pseudonym string) (int, error) {
	st := s.store()
	removed := 0
	const page = 500
	for offset := int64(0); ; offset += page {
		ids, err := st.list(ctx, tenant, offset, page)
		if err != nil {
			return removed, err
		}
		for _, id := range ids {
			r, err := st.get(ctx, tenant, id)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return removed, err
			}
			if r.GetReporter() != pseudonym {
				continue
			}
			if err := st.rdb.Del(ctx, st.requestKey(tenant, id), st.eventsKey(tenant, id), st.leaseKey(tenant, id)).Err(); err != nil {
				return removed, fmt.Errorf("erase request: %w", err)
			}
			if err := st.rdb.ZRem(ctx, st.deadlinesKey(tenant), id).Err(); err != nil {
				return removed, fmt.Errorf("erase request: %w", err)
			}
			if err := st.rdb.ZRem(ctx, st.indexKey(tenant), id).Err(); err != nil {
				return removed, fmt.Errorf("erase request: %w", err)
			}
			if err := st.forget(ctx, r); err != nil {
				return removed, err
			}
			removed++
			offset-- // the index shrank under the cursor
		}
		if len(ids) < page {
			return removed, nil
		}
	}
}
