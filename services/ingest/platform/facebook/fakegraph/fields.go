package fakegraph

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// field is one entry of the fields parameter, with its nested selection such as from{id,name}.
type field struct {
	name string
	sub  []field
}

// parseFields parses the Graph API field selection syntax: comma-separated names, nested
// selections in braces, and modifiers such as .limit(5) which the fake accepts and ignores.
func parseFields(spec string) ([]field, error) {
	var out []field
	depth, start := 0, 0
	for i := 0; i <= len(spec); i++ {
		if i < len(spec) {
			switch spec[i] {
			case '{':
				depth++
				continue
			case '}':
				depth--
				if depth < 0 {
					return nil, fmt.Errorf("Syntax error \"Expected end of string instead of \"}\".\" at character %d: %s", i, spec)
				}
				continue
			case ',':
				if depth > 0 {
					continue
				}
			default:
				continue
			}
		}
		if depth != 0 {
			return nil, fmt.Errorf("Syntax error \"Expected \"}\" instead of end of string.\" at character %d: %s", i, spec)
		}
		part := strings.TrimSpace(spec[start:i])
		start = i + 1
		if part == "" {
			continue
		}
		f, err := parseField(part)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

func parseField(part string) (field, error) {
	name, rest := part, ""
	if i := strings.IndexByte(part, '{'); i >= 0 {
		name, rest = part[:i], part[i:]
	}
	if i := strings.IndexByte(name, '.'); i >= 0 {
		name = name[:i]
	}
	f := field{name: strings.TrimSpace(name)}
	if rest != "" {
		if !strings.HasSuffix(rest, "}") {
			return field{}, fmt.Errorf("Syntax error \"Expected end of string instead of %q.\": %s", rest, part)
		}
		sub, err := parseFields(rest[1 : len(rest)-1])
		if err != nil {
			return field{}, err
		}
		f.sub = sub
	}
	return f, nil
}

// fieldsOr returns the fields named in spec, or def when spec is empty.
func fieldsOr(spec string, def ...string) ([]field, error) {
	if strings.TrimSpace(spec) == "" {
		out := make([]field, len(def))
		for i, d := range def {
			out[i] = field{name: d}
		}
		return out, nil
	}
	return parseFields(spec)
}

// checkFields reports the first field not in allowed, worded as the Graph API words it.
func checkFields(fields []field, node string, allowed ...string) error {
	for _, f := range fields {
		ok := false
		for _, a := range allowed {
			if f.name == a {
				ok = true
				break
			}
		}
		if !ok {
			return fmt.Errorf("Tried accessing nonexisting field (%s) on node type (%s)", f.name, node)
		}
	}
	return nil
}

// graphTime formats t as the Graph API does, e.g. 2026-05-04T09:12:44+0000.
func graphTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05-0700")
}

// parseTimeParam reads since and until, which accept a Unix time or a date-time string.
func parseTimeParam(v string) (time.Time, error) {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05-0700", time.RFC3339, "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid time %q", v)
}

// key orders comments and posts: creation second, then insertion order.
type key struct {
	unix int64
	seq  int64
}

func (k key) less(o key) bool {
	if k.unix != o.unix {
		return k.unix < o.unix
	}
	return k.seq < o.seq
}

func (k key) encode() string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "QVFH:%d:%d", k.unix, k.seq))
}

func decodeKey(s string) (key, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return key{}, false
	}
	var k key
	if _, err := fmt.Sscanf(string(raw), "QVFH:%d:%d", &k.unix, &k.seq); err != nil {
		return key{}, false
	}
	return k, true
}

// limitParam reads limit: 25 by default, at most 100.
func limitParam(v string) (int, error) {
	if v == "" {
		return 25, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("Param limit must be a non-negative integer")
	}
	if n == 0 {
		n = 25
	}
	return min(n, 100), nil
}
