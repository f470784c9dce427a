package policy

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// CheckFile loads the policy file at path for a report on it (`piazza policy check`), and
// returns every tenant it yields:
//   - a tenant file is loaded as its tenant, resolving `extends` in its directory;
//   - a base file (name starting with "_") that names a tenant, such as _template.yaml, is
//     loaded as if it were that tenant's file;
//   - any other base file is checked through every tenant file of its directory that extends
//     it, directly or through other bases.
//
// Problems are FieldErrors whose File is the path of the file at fault (path itself, or the
// base file beside it), all of them joined.
func CheckFile(path string) ([]*Tenant, error) {
	dir, name := filepath.Dir(path), filepath.Base(path)
	if !strings.HasSuffix(name, ".yaml") {
		return nil, fmt.Errorf("%s: a policy file's name ends in .yaml", path)
	}
	fsys := os.DirFS(dir)
	if !strings.HasPrefix(name, "_") {
		t, err := LoadTenantFS(fsys, name)
		if err != nil {
			return nil, relocate(err, dir, nil)
		}
		return []*Tenant{t}, nil
	}
	l := &loader{fsys: fsys, origin: map[*yaml.Node]string{}}
	root, err := l.parse(name)
	if err != nil {
		return nil, relocate(err, dir, nil)
	}
	if i := keyIndex(root, "tenant"); i >= 0 && root.Content[i+1].Value != "" {
		code := root.Content[i+1].Value
		as := code + ".yaml"
		if !isCode(code, true) {
			return nil, &FieldError{File: path, Line: root.Content[i+1].Line, Path: "tenant",
				Msg: fmt.Sprintf("code %q must match [a-z][a-z0-9_-]*", code)}
		}
		t, err := LoadTenantFS(renamed{FS: fsys, as: as, name: name}, as)
		if err != nil {
			return nil, relocate(err, dir, map[string]string{as: name})
		}
		return []*Tenant{t}, nil
	}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	var tenants []*Tenant
	var errs []error
	for _, e := range entries {
		tn := e.Name()
		if e.IsDir() || !strings.HasSuffix(tn, ".yaml") || strings.HasPrefix(tn, "_") {
			continue
		}
		if !slices.Contains(l.chain(tn), name) {
			continue
		}
		t, err := LoadTenantFS(fsys, tn)
		if err != nil {
			errs = append(errs, unjoin(relocate(err, dir, nil))...)
			continue
		}
		tenants = append(tenants, t)
	}
	if len(errs) > 0 {
		return nil, errors.Join(dedupe(errs)...)
	}
	if len(tenants) == 0 {
		return nil, fmt.Errorf("%s: a base file is checked through the tenant files that extend it, and none in %s does", path, dir)
	}
	return tenants, nil
}

// chain returns the files name extends, nearest first; it stops at a file that cannot be read
// or at a cycle (the loader reports those).
func (l *loader) chain(name string) []string {
	var out []string
	for {
		root, err := l.parse(name)
		if err != nil {
			return out
		}
		i := keyIndex(root, "extends")
		if i < 0 || isNull(root.Content[i+1]) {
			return out
		}
		next := strings.TrimSuffix(root.Content[i+1].Value, ".yaml") + ".yaml"
		if slices.Contains(out, next) || next == name {
			return out
		}
		out = append(out, next)
		name = next
	}
}

// relocate rewrites the File of every FieldError in err to a path in dir, renaming files as
// given.
func relocate(err error, dir string, rename map[string]string) error {
	var out []error
	for _, e := range unjoin(err) {
		var fe *FieldError
		if errors.As(e, &fe) {
			c := *fe
			if to, ok := rename[c.File]; ok {
				c.File = to
			}
			c.File = filepath.Join(dir, c.File)
			e = &c
		}
		out = append(out, e)
	}
	return errors.Join(out...)
}

// dedupe drops repeated errors (a broken base is reported once, not once per tenant).
func dedupe(errs []error) []error {
	seen := map[string]bool{}
	var out []error
	for _, e := range errs {
		if !seen[e.Error()] {
			seen[e.Error()] = true
			out = append(out, e)
		}
	}
	return out
}

// renamed shows the file name of fsys under the name as, and hides nothing else.
type renamed struct {
	fs.FS
	as, name string
}

func (r renamed) real(name string) string {
	if name == r.as {
		return r.name
	}
	return name
}

// Open opens a file of the underlying file system.
func (r renamed) Open(name string) (fs.File, error) { return r.FS.Open(r.real(name)) }

// ReadFile reads a file of the underlying file system.
func (r renamed) ReadFile(name string) ([]byte, error) { return fs.ReadFile(r.FS, r.real(name)) }

// Stat describes a file of the underlying file system.
func (r renamed) Stat(name string) (fs.FileInfo, error) { return fs.Stat(r.FS, r.real(name)) }
