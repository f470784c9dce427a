package app

import (
	"runtime/debug"
	"testing"
)

func TestTuneGCDefaultsTo400UnlessGOGCIsSet(t *testing.T) {
	prev := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(prev) })

	if got := TuneGC(func(string) string { return "" }); got != DefaultGCPercent {
		t.Errorf("without GOGC: TuneGC = %d, want %d", got, DefaultGCPercent)
	}
	if cur := debug.SetGCPercent(100); cur != DefaultGCPercent {
		t.Errorf("without GOGC the runtime's percentage is %d, want %d", cur, DefaultGCPercent)
	}

	// With GOGC set the runtime already applied it at start; TuneGC leaves it alone.
	debug.SetGCPercent(150)
	env := map[string]string{"GOGC": "150"}
	if got := TuneGC(func(k string) string { return env[k] }); got != 150 {
		t.Errorf("with GOGC=150: TuneGC = %d, want 150", got)
	}
	if cur := debug.SetGCPercent(100); cur != 150 {
		t.Errorf("with GOGC=150 the runtime's percentage became %d", cur)
	}
}
