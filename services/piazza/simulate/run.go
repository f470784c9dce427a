package simulate

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	"github.com/piazza-pa/piazza/services/ingest/replay"
)

// LineError is an input line that was not simulated, with its 1-based number.
type LineError struct {
	// Line is the line's number in the input.
	Line int
	// Err says what is wrong with it.
	Err error
}

// Error formats the problem as "line N: message".
func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

// Unwrap returns the underlying error.
func (e *LineError) Unwrap() error { return e.Err }

// Run reads comments in the taxonomy's JSON Lines format from in (a line without "tenant" is
// the simulated tenant's), steps each through sim in order, and writes one Outcome per comment
// to out as a JSON line; with detail, the lines carry the topic, the office and the reply texts
// too. A line that cannot be read is skipped, the others still run, and the returned error
// names every skipped line.
func Run(ctx context.Context, sim *Simulator, in io.Reader, out io.Writer, detail bool) error {
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), replay.MaxLineBytes)
	var skipped []error
	n := 0
	for sc.Scan() {
		n++
		raw := strings.TrimSpace(sc.Text())
		if raw == "" {
			continue
		}
		c, err := parse(raw, sim.Tenant().Code)
		if err != nil {
			skipped = append(skipped, &LineError{Line: n, Err: err})
			continue
		}
		o, err := sim.Step(ctx, c)
		if err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
		if !detail {
			o = o.Basic()
		}
		if err := enc.Encode(o); err != nil {
			return fmt.Errorf("write outcome of line %d: %w", n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read line %d: %w", n+1, err)
	}
	if len(skipped) > 0 {
		return fmt.Errorf("%d input lines skipped: %w", len(skipped), errors.Join(skipped...))
	}
	return nil
}

// parse reads one taxonomy-format line, defaulting its tenant to the simulated one and
// refusing another tenant's comment.
func parse(raw, tenant string) (*commentv1.Comment, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &fields); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	var lineTenant string
	if t, ok := fields["tenant"]; ok {
		if err := json.Unmarshal(t, &lineTenant); err != nil {
			return nil, fmt.Errorf("tenant: %w", err)
		}
	}
	switch lineTenant {
	case "":
		fields["tenant"], _ = json.Marshal(tenant) // Marshalling a string cannot fail.
		b, err := json.Marshal(fields)
		if err != nil {
			return nil, fmt.Errorf("invalid JSON: %w", err)
		}
		raw = string(b)
	case tenant:
	default:
		return nil, fmt.Errorf("comment of tenant %q in a simulation of %q", lineTenant, tenant)
	}
	return replay.Parse([]byte(raw))
}
