package facebook

import (
	"encoding/json"
	"math"
	"net/http"
	"time"
)

// Usage is the share of its rate limits the app and the Page have used, as last reported in
// the X-App-Usage, X-Page-Usage and X-Business-Use-Case-Usage response headers. Percentages are
// the largest of call count, total time and CPU time, since whichever reaches 100 first
// throttles.
type Usage struct {
	// App is the app-level usage in percent (X-App-Usage).
	App int
	// Page is the Page-level usage in percent: the largest entry of
	// X-Business-Use-Case-Usage and X-Page-Usage.
	Page int
	// RegainAccess is the largest estimated_time_to_regain_access reported, zero when not
	// throttled.
	RegainAccess time.Duration
	// Observed is when the headers were read; zero if none has been yet.
	Observed time.Time
}

// Percent is the highest usage in percent across app and Page.
func (u Usage) Percent() int { return max(u.App, u.Page) }

type usageCounters struct {
	CallCount    float64 `json:"call_count"`
	TotalTime    float64 `json:"total_time"`
	TotalCPUTime float64 `json:"total_cputime"`
}

func (u usageCounters) max() int {
	return clampPercent(max(u.CallCount, u.TotalTime, u.TotalCPUTime))
}

type bucEntry struct {
	usageCounters
	Type         string  `json:"type"`
	RegainAccess float64 `json:"estimated_time_to_regain_access"`
}

// clampPercent keeps a reported percentage in a sane range whatever the header says.
func clampPercent(v float64) int {
	if math.IsNaN(v) || v < 0 {
		return 0
	}
	return int(min(v, 1000))
}

// parseUsage reads the usage headers; ok is false when none of them was present and readable.
func parseUsage(h http.Header, now time.Time) (u Usage, ok bool) {
	var app usageCounters
	if v := h.Get("X-App-Usage"); v != "" && json.Unmarshal([]byte(v), &app) == nil {
		u.App, ok = app.max(), true
	}
	var page usageCounters
	if v := h.Get("X-Page-Usage"); v != "" && json.Unmarshal([]byte(v), &page) == nil {
		u.Page, ok = page.max(), true
	}
	var buc map[string][]bucEntry
	if v := h.Get("X-Business-Use-Case-Usage"); v != "" && json.Unmarshal([]byte(v), &buc) == nil {
		ok = true
		for _, entries := range buc {
			for _, e := range entries {
				u.Page = max(u.Page, e.max())
				// The estimate is in minutes; a day bounds any sane value.
				minutes := math.Min(math.Max(e.RegainAccess, 0), 24*60)
				if math.IsNaN(minutes) {
					minutes = 0
				}
				u.RegainAccess = max(u.RegainAccess, time.Duration(minutes*float64(time.Minute)))
			}
		}
	}
	if ok {
		u.Observed = now
	}
	return u, ok
}
