package policy

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
)

// FuzzLoad feeds arbitrary bytes to the loader as a tenant file extending the real baseline:
// it must never panic, every problem must be a *FieldError, and a file that loads must be
// complete.
func FuzzLoad(f *testing.F) {
	baseline, err := os.ReadFile(filepath.Join(policiesDir, "_baseline.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(validDoc))
	f.Add([]byte("tenant: f\nextends: _baseline\n"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Add([]byte("templates: {ack: \"{\"}\n"))
	f.Add([]byte{0xff, 0xfe, 0x00})
	seeds, _ := filepath.Glob(filepath.Join(policiesDir, "*.yaml"))
	for _, p := range seeds {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := fstest.MapFS{"_baseline.yaml": {Data: baseline}, "f.yaml": {Data: data}}
		tn, err := LoadTenantFS(fsys, "f.yaml")
		if err != nil {
			for _, e := range unjoin(err) {
				var fe *FieldError
				if !errors.As(e, &fe) {
					t.Fatalf("error %q (%T) is not a *FieldError", e, e)
				}
			}
			return
		}
		if tn.Code != "f" || tn.Location == nil || len(tn.Version) != 64 || tn.OfficeFor("general") == nil {
			t.Fatalf("loaded an incomplete tenant: %+v", tn)
		}
	})
}
