package livepolicy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func copyPolicies(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"_baseline.yaml", "monza.yaml"} {
		b, err := os.ReadFile(filepath.Join("../../deploy/policies", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func touch(t *testing.T, path string, content []byte) {
	t.Helper()
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	// Make the change visible even on file systems with coarse modification times.
	later := time.Now().Add(time.Duration(len(content)) * time.Millisecond)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
}

func TestReloadKeepsTheLastGoodSet(t *testing.T) {
	dir := copyPolicies(t)
	set, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	monza, ok := set.Tenant("monza")
	if !ok {
		t.Fatal("monza not loaded")
	}
	before := monza.Version

	if changed, err := set.Reload(); changed || err != nil {
		t.Errorf("reload without changes: changed=%v err=%v", changed, err)
	}

	path := filepath.Join(dir, "monza.yaml")
	good, _ := os.ReadFile(path)
	touch(t, path, []byte(strings.Replace(string(good), "tenant: monza", "tenant: monza\nno_such_field: 1", 1)))
	changed, err := set.Reload()
	if changed || err == nil || !strings.Contains(err.Error(), "no_such_field") {
		t.Errorf("invalid file: changed=%v err=%v, want refused naming the field", changed, err)
	}
	if got, _ := set.Tenant("monza"); got.Version != before {
		t.Error("an invalid file replaced the policy in force")
	}
	if set.LastError() == nil {
		t.Error("LastError is nil after a refused reload")
	}

	touch(t, path, []byte(string(good)+"\n# edited\n"))
	if _, err := set.Reload(); err != nil {
		t.Fatalf("valid file refused: %v", err)
	}
	if set.LastError() != nil {
		t.Errorf("LastError %v after a good reload", set.LastError())
	}
}

func TestLoadRefusesAnInvalidDirectory(t *testing.T) {
	if _, err := Load(t.TempDir() + "/missing"); err == nil {
		t.Error("a missing directory loaded")
	}
}
