package strikes_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/piazza-pa/piazza/pkg/testinfra"
	"github.com/piazza-pa/piazza/services/sanctions/strikes"
)

var base = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)

func newStore(t *testing.T) *strikes.Store {
	t.Helper()
	r := testinfra.StartRedis(t)
	return strikes.NewStore(r.Client, fmt.Sprintf("test:%s:", t.Name()))
}

func TestSameCommentCountsOnceUnderConcurrency(t *testing.T) {
	s := newStore(t)
	sub := strikes.Subject{Tenant: "monza", Platform: "facebook", Pseudonym: "u1"}
	vs := []strikes.Violation{{Group: "insult", Window: 24 * time.Hour}}
	var wg sync.WaitGroup
	var mu sync.Mutex
	newCount := 0
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := s.Record(context.Background(), sub, "c1", base, base, vs)
			if err != nil {
				t.Error(err)
				return
			}
			if res[0].Strikes != 1 {
				t.Errorf("strike number %d, want 1", res[0].Strikes)
			}
			if res[0].New {
				mu.Lock()
				newCount++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if newCount != 1 {
		t.Errorf("%d goroutines saw the comment as new, want 1", newCount)
	}
	n, err := s.CountInWindow(context.Background(), sub, "insult", 24*time.Hour, base)
	if err != nil || n != 1 {
		t.Errorf("count %d (%v), want 1", n, err)
	}
}

func TestDistinctCommentsCountExactly(t *testing.T) {
	s := newStore(t)
	sub := strikes.Subject{Tenant: "monza", Platform: "facebook", Pseudonym: "u2"}
	vs := []strikes.Violation{{Group: "hate", Window: 365 * 24 * time.Hour}}
	const n = 10000
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer func() { <-sem; wg.Done() }()
			if _, err := s.Record(context.Background(), sub, fmt.Sprint("c", i), base, base, vs); err != nil {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	got, err := s.CountInWindow(context.Background(), sub, "hate", 365*24*time.Hour, base)
	if err != nil || got != n {
		t.Errorf("count %d (%v), want %d", got, err, n)
	}
}

func TestWindowExpiresWithTheClock(t *testing.T) {
	s := newStore(t)
	sub := strikes.Subject{Tenant: "canegrate", Platform: "facebook", Pseudonym: "u3"}
	window := 30 * 24 * time.Hour
	vs := []strikes.Violation{{Group: "insult", Window: window}}
	steps := []struct {
		id   string
		at   time.Time
		want int
	}{
		{"a", base, 1},
		{"b", base.Add(10 * 24 * time.Hour), 2},
		{"c", base.Add(29 * 24 * time.Hour), 3},
		{"d", base.Add(41 * 24 * time.Hour), 2}, // a and b have left the window
		{"e", base.Add(80 * 24 * time.Hour), 1}, // all earlier ones have left
	}
	for _, st := range steps {
		res, err := s.Record(context.Background(), sub, st.id, st.at, st.at, vs)
		if err != nil {
			t.Fatal(err)
		}
		if res[0].Strikes != st.want {
			t.Errorf("comment %s: strike %d, want %d", st.id, res[0].Strikes, st.want)
		}
	}
	hist, err := s.History(context.Background(), sub)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 1 || hist[0].CommentID != "e" {
		t.Errorf("history %+v, want only e (older strikes cleaned up)", hist)
	}
}

func TestGroupsAreCountedSeparatelyInOneCall(t *testing.T) {
	s := newStore(t)
	sub := strikes.Subject{Tenant: "monza", Platform: "facebook", Pseudonym: "u4"}
	day := 24 * time.Hour
	if _, err := s.Record(context.Background(), sub, "x", base, base, []strikes.Violation{{Group: "insult", Window: day}}); err != nil {
		t.Fatal(err)
	}
	res, err := s.Record(context.Background(), sub, "y", base, base, []strikes.Violation{{Group: "insult", Window: day}, {Group: "hate", Window: day}})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Strikes != 2 || res[1].Strikes != 1 {
		t.Errorf("got insult %d hate %d, want 2 and 1", res[0].Strikes, res[1].Strikes)
	}
}
