package app

import (
	"runtime/debug"
	"strings"
)

// DefaultGCPercent is the garbage collector's target a Piazza process runs with when GOGC is
// not set: the next collection starts when the heap has grown by 400% of what survived the last
// one, instead of Go's 100%.
//
// A service's live heap is small (the classifier's compiled policies are about 6 MB; messages
// in flight are short-lived), so collecting at 100% means collecting very often under load: at
// a saturating burst allocation and collection were about 15% of the CPU. At 400% a service's
// resident memory is 10–50 MB higher (docs/benchmarks.md), and a 20,000-comment burst ran at
// 5,719 and 6,044 comments/s against 5,049 and 5,159 at 100%, in back-to-back runs. GOGC, and
// GOMEMLIMIT for a container with a memory limit, still apply when set.
const DefaultGCPercent = 400

// TuneGC applies DefaultGCPercent unless the environment sets GOGC, and returns the percentage
// in force (-1 when GOGC=off).
func TuneGC(getenv func(string) string) int {
	if v := strings.TrimSpace(getenv("GOGC")); v != "" {
		// The runtime has already read it; report it without changing it.
		cur := debug.SetGCPercent(100)
		debug.SetGCPercent(cur)
		return cur
	}
	debug.SetGCPercent(DefaultGCPercent)
	return DefaultGCPercent
}
