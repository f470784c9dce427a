package policy

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestCheckFileDeployed(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"monza.yaml", []string{"monza"}},
		{"_template.yaml", []string{"esempio"}},
		{"_baseline.yaml", []string{"bussero", "canegrate", "crespiatica", "maglione", "monza"}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			got, err := CheckFile(filepath.Join(policiesDir, tc.file))
			if err != nil {
				t.Fatalf("CheckFile: %v", err)
			}
			var codes []string
			for _, tn := range got {
				codes = append(codes, tn.Code)
			}
			if !slices.Equal(codes, tc.want) {
				t.Errorf("tenants %v, want %v", codes, tc.want)
			}
		})
	}
}

// TestCheckFileErrorsNameFileLineField: every problem names the file at fault by its path, the
// line and the field.
func TestCheckFileErrorsNameFileLineField(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("x.yaml", validDoc)
	bad := write("y.yaml", strings.Replace(strings.Replace(validDoc, "tenant: x", "tenant: y", 1),
		"actions: [delete]}", "actions: [shame]}", 1))
	base := write("_base.yaml", "visibility: sometimes\n")
	write("z.yaml", strings.Replace(strings.Replace(validDoc, "tenant: x", "tenant: z\nextends: _base", 1), "visibility: same\n", "", 1))
	tmpl := write("_tmpl.yaml", strings.Replace(validDoc, "tenant: x", "tenant: Esempio", 1))
	orphan := write("_orphan.yaml", "visibility: same\n")

	if got, err := CheckFile(good); err != nil || len(got) != 1 {
		t.Fatalf("CheckFile(valid) = %d tenants, %v", len(got), err)
	}
	tests := []struct {
		path, want string
	}{
		{bad, bad + ":18: categories.insult.ladder[0].actions[0]: unknown action \"shame\""},
		{base, base + ":1: visibility: unknown value \"sometimes\""},
		{tmpl, tmpl + ":1: tenant: code \"Esempio\" must match"},
		{orphan, "none in " + dir + " does"},
		{filepath.Join(dir, "x.yml"), "ends in .yaml"},
	}
	for _, tc := range tests {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			_, err := CheckFile(tc.path)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error:\n%v\nwant it to contain:\n%s", err, tc.want)
			}
			var fe *FieldError
			if errors.As(err, &fe) && !strings.HasPrefix(fe.File, dir) {
				t.Errorf("FieldError.File = %q, want a path in %s", fe.File, dir)
			}
		})
	}
}
