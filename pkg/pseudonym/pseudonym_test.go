package pseudonym

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestPseudonymsAreStableKeyedAndScoped(t *testing.T) {
	a, err := New([]byte("0123456789abcdef0123"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := New([]byte("another-key-0123456789"))
	p := a.Of("monza", "facebook", "1234")
	if got := a.Of("monza", "facebook", "1234"); got != p {
		t.Errorf("same input gave %s then %s", p, got)
	}
	for _, other := range []string{a.Of("bussero", "facebook", "1234"), a.Of("monza", "youtube", "1234"), b.Of("monza", "facebook", "1234")} {
		if other == p {
			t.Errorf("pseudonym %s not scoped by tenant, platform and key", p)
		}
	}
	if len(p) != 25 || !strings.HasPrefix(p, "u") || strings.Contains(p, "1234") {
		t.Errorf("pseudonym %q has the wrong shape", p)
	}
	if _, err := New([]byte("short")); err == nil {
		t.Error("a 5-byte key was accepted")
	}
}

func TestLoadKey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "k")
	created, err := LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	again, err := LoadKey(func(k string) string {
		if k == "PIAZZA_PSEUDONYM_KEY_FILE" {
			return path
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(created) || len(created) != 32 {
		t.Errorf("reloaded key differs or has %d bytes", len(created))
	}
	if _, err := LoadKey(func(string) string { return "" }); err == nil {
		t.Error("no key configured, no error")
	}
}
