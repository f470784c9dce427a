package policy

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// FieldError is one problem found in a policy file, at a line, for a field.
type FieldError struct {
	// File is the policy file's name (base files report their own name).
	File string
	// Line is the 1-based line of the offending key or value.
	Line int
	// Path is the dotted field path, e.g. "categories.insult.ladder[1].actions[0]"; empty for
	// syntax errors.
	Path string
	// Msg says what is wrong.
	Msg string
}

// Error formats the problem as "<file>:<line>: <field path>: <message>".
func (e *FieldError) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Path, e.Msg)
}

// Set is every tenant loaded from one policies directory.
type Set struct {
	tenants []*Tenant
	byCode  map[string]*Tenant
	byPage  map[[2]string]*Tenant
}

// Tenant returns the tenant with the given code.
func (s *Set) Tenant(code string) (*Tenant, bool) {
	t, ok := s.byCode[code]
	return t, ok
}

// Tenants returns every tenant, sorted by code.
func (s *Set) Tenants() []*Tenant { return slices.Clone(s.tenants) }

// TenantForPage returns the tenant that owns a platform page or account.
func (s *Set) TenantForPage(platform, pageID string) (*Tenant, bool) {
	t, ok := s.byPage[[2]string{platform, pageID}]
	return t, ok
}

// Version returns a hex SHA-256 over every tenant's code and Version: it changes when any
// tenant's policy changes, or a tenant is added or removed.
func (s *Set) Version() string {
	h := sha256.New()
	for _, t := range s.tenants {
		fmt.Fprintf(h, "%s=%s\n", t.Code, t.Version)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// LoadDir loads every tenant in dir: each *.yaml file whose name does not start with "_" is a
// tenant; files starting with "_" are bases that tenants may extend. All problems in all files
// are returned joined.
func LoadDir(dir string) (*Set, error) {
	return LoadFS(os.DirFS(dir))
}

// LoadFile loads one tenant file, resolving `extends` against files in the same directory.
func LoadFile(p string) (*Tenant, error) {
	return LoadTenantFS(os.DirFS(filepath.Dir(p)), filepath.Base(p))
}

// LoadFS is LoadDir on the root of a file system.
func LoadFS(fsys fs.FS) (*Set, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("list policies: %w", err)
	}
	set := &Set{byCode: map[string]*Tenant{}, byPage: map[[2]string]*Tenant{}}
	var errs []error
	seen := map[string]bool{}
	addErr := func(err error) {
		// A broken base file is reported once, not once per tenant that extends it.
		for _, e := range unjoin(err) {
			if !seen[e.Error()] {
				seen[e.Error()] = true
				errs = append(errs, e)
			}
		}
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".yaml") || strings.HasPrefix(name, "_") {
			continue
		}
		t, err := LoadTenantFS(fsys, name)
		if err != nil {
			addErr(err)
			continue
		}
		set.tenants = append(set.tenants, t)
		set.byCode[t.Code] = t
	}
	slices.SortFunc(set.tenants, func(a, b *Tenant) int { return strings.Compare(a.Code, b.Code) })
	for _, t := range set.tenants {
		for _, p := range t.Pages {
			key := [2]string{p.Platform, p.ID}
			if other, dup := set.byPage[key]; dup {
				addErr(&FieldError{File: p.file, Line: p.line, Path: "pages",
					Msg: fmt.Sprintf("%s page %q already belongs to tenant %q", p.Platform, p.ID, other.Code)})
				continue
			}
			set.byPage[key] = t
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(set.tenants) == 0 {
		return nil, errors.New("load policies: no tenant files (*.yaml not starting with \"_\")")
	}
	return set, nil
}

// unjoin flattens an errors.Join tree into its leaves.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, unjoin(e)...)
		}
		return out
	}
	return []error{err}
}

// LoadTenantFS loads the tenant file name from fsys, resolving `extends` within fsys.
func LoadTenantFS(fsys fs.FS, name string) (*Tenant, error) {
	l := &loader{fsys: fsys, origin: map[*yaml.Node]string{}}
	root, err := l.resolve(name, nil)
	if err != nil {
		return nil, err
	}
	d := &decoder{origin: l.origin, file: name}
	t := d.tenant(root, strings.TrimSuffix(name, ".yaml"))
	if len(d.errs) > 0 {
		return nil, errors.Join(d.errs...)
	}
	t.Version = canonicalHash(root)
	return t, nil
}

// loader reads policy files and resolves `extends`, remembering which file every node came
// from so that errors in inherited values point at the base file.
type loader struct {
	fsys   fs.FS
	origin map[*yaml.Node]string
}

// resolve parses name and merges it over its base, recursively. chain holds the files that
// are extending name, to detect cycles.
func (l *loader) resolve(name string, chain []string) (*yaml.Node, error) {
	root, err := l.parse(name)
	if err != nil {
		return nil, err
	}
	idx := keyIndex(root, "extends")
	if idx < 0 {
		return root, nil
	}
	keyNode, valNode := root.Content[idx], root.Content[idx+1]
	own := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: root.Line, Column: root.Column}
	own.Content = append(slices.Clone(root.Content[:idx]), root.Content[idx+2:]...)
	l.origin[own] = name
	if isNull(valNode) {
		return own, nil
	}
	fail := func(msg string) error {
		return &FieldError{File: name, Line: keyNode.Line, Path: "extends", Msg: msg}
	}
	if valNode.Kind != yaml.ScalarNode {
		return nil, fail("must be a file name")
	}
	base := strings.TrimSuffix(valNode.Value, ".yaml")
	if base == "" || strings.ContainsAny(base, `/\`) || base == "." || base == ".." {
		return nil, fail(fmt.Sprintf("%q is not a file name in the same directory", valNode.Value))
	}
	baseFile := base + ".yaml"
	if baseFile == name || slices.Contains(chain, baseFile) {
		cycle := strings.Join(append(slices.Clone(chain), name, baseFile), " -> ")
		return nil, fail("cycle: " + cycle)
	}
	if _, err := fs.Stat(l.fsys, baseFile); err != nil {
		return nil, fail(fmt.Sprintf("base %q not found", baseFile))
	}
	baseRoot, err := l.resolve(baseFile, append(chain, name))
	if err != nil {
		return nil, err
	}
	return l.merge(baseRoot, own), nil
}

// parse reads one file into its root mapping node, checking what YAML itself cannot: one
// document, a mapping at the top, no duplicate keys, no anchors or aliases.
func (l *loader) parse(name string) (*yaml.Node, error) {
	data, err := fs.ReadFile(l.fsys, name)
	if err != nil {
		return nil, &FieldError{File: name, Line: 0, Msg: fmt.Sprintf("read: %v", err)}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &FieldError{File: name, Line: 1, Msg: "empty file"}
		}
		return nil, syntaxError(name, err)
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		return nil, &FieldError{File: name, Line: extra.Line, Msg: "only one YAML document is allowed"}
	case !errors.Is(err, io.EOF):
		return nil, syntaxError(name, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, &FieldError{File: name, Line: max(doc.Line, 1), Msg: "the file must be a mapping of fields"}
	}
	root := doc.Content[0]
	var errs []error
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		l.origin[n] = name
		if n.Kind == yaml.AliasNode || n.Anchor != "" {
			errs = append(errs, &FieldError{File: name, Line: n.Line, Path: path,
				Msg: "anchors and aliases are not allowed (use extends)"})
			return
		}
		switch n.Kind {
		case yaml.MappingNode:
			keys := map[string]int{}
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				l.origin[k] = name
				if k.Kind != yaml.ScalarNode {
					errs = append(errs, &FieldError{File: name, Line: k.Line, Path: path, Msg: "keys must be plain strings"})
					continue
				}
				if first, dup := keys[k.Value]; dup {
					errs = append(errs, &FieldError{File: name, Line: k.Line, Path: join(path, k.Value),
						Msg: fmt.Sprintf("duplicate key (first at line %d)", first)})
					continue
				}
				keys[k.Value] = k.Line
				walk(n.Content[i+1], join(path, k.Value))
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, fmt.Sprintf("%s[%d]", path, i))
			}
		}
	}
	walk(root, "")
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return root, nil
}

// syntaxError turns a yaml.v3 parse error ("yaml: line 3: ...") into a FieldError.
func syntaxError(name string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 1
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, tail, ok := strings.Cut(rest, ": "); ok {
			if v, err := strconv.Atoi(n); err == nil {
				line, msg = v, tail
			}
		}
	}
	return &FieldError{File: name, Line: line, Msg: "syntax: " + msg}
}

// merge deep-merges over onto base: mappings merge key by key, anything else in over replaces
// what base has, and a null in over removes the key. Neither input is modified.
func (l *loader) merge(base, over *yaml.Node) *yaml.Node {
	if base.Kind != yaml.MappingNode || over.Kind != yaml.MappingNode {
		return over
	}
	out := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: over.Line, Column: over.Column}
	l.origin[out] = l.origin[over]
	for i := 0; i+1 < len(base.Content); i += 2 {
		k, v := base.Content[i], base.Content[i+1]
		j := keyIndex(over, k.Value)
		switch {
		case j < 0:
			out.Content = append(out.Content, k, v)
		case isNull(over.Content[j+1]):
			// Removed by the overriding file.
		default:
			out.Content = append(out.Content, over.Content[j], l.merge(v, over.Content[j+1]))
		}
	}
	for i := 0; i+1 < len(over.Content); i += 2 {
		k, v := over.Content[i], over.Content[i+1]
		if keyIndex(base, k.Value) < 0 && !isNull(v) {
			out.Content = append(out.Content, k, v)
		}
	}
	return out
}

// keyIndex returns the index in n.Content of the key named key, or -1.
func keyIndex(n *yaml.Node, key string) int {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return i
		}
	}
	return -1
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// canonicalHash hashes the merged policy as canonical JSON: mapping keys sorted, nulls
// dropped, scalars as their value. Comments, key order and quoting style do not
// change it.
func canonicalHash(root *yaml.Node) string {
	var b bytes.Buffer
	canonical(&b, root)
	sum := sha256.Sum256(b.Bytes())
	return hex.EncodeToString(sum[:])
}

func canonical(b *bytes.Buffer, n *yaml.Node) {
	switch n.Kind {
	case yaml.MappingNode:
		type pair struct {
			k string
			v *yaml.Node
		}
		var pairs []pair
		for i := 0; i+1 < len(n.Content); i += 2 {
			if !isNull(n.Content[i+1]) {
				pairs = append(pairs, pair{n.Content[i].Value, n.Content[i+1]})
			}
		}
		slices.SortFunc(pairs, func(a, b pair) int { return strings.Compare(a.k, b.k) })
		b.WriteByte('{')
		for i, p := range pairs {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, p.k)
			b.WriteByte(':')
			canonical(b, p.v)
		}
		b.WriteByte('}')
	case yaml.SequenceNode:
		b.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				b.WriteByte(',')
			}
			canonical(b, c)
		}
		b.WriteByte(']')
	default:
		writeJSONString(b, n.Value)
	}
}

func writeJSONString(b *bytes.Buffer, s string) {
	enc, _ := json.Marshal(s) // Marshalling a string cannot fail.
	b.Write(enc)
}
