package evaluation

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// LineError is an input line that could not be read.
type LineError struct {
	Line int
	Err  error
}

func (e LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

type taxonomyLine struct {
	ID       string   `json:"id"`
	Tenant   string   `json:"tenant"`
	Channel  string   `json:"channel"`
	PostText string   `json:"post_text"`
	Text     string   `json:"text"`
	Labels   []string `json:"labels"`
	Topic    string   `json:"topic"`
	Author   struct {
		Anonymous bool `json:"anonymous"`
	} `json:"author"`
}

// ReadTaxonomy reads labelled JSON Lines in the taxonomy format; bad lines are returned, not fatal.
func ReadTaxonomy(r io.Reader) ([]Case, []LineError, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	var out []Case
	var bad []LineError
	n := 0
	for sc.Scan() {
		n++
		raw := strings.TrimSpace(sc.Text())
		if raw == "" {
			continue
		}
		var l taxonomyLine
		if err := json.Unmarshal([]byte(raw), &l); err != nil {
			bad = append(bad, LineError{Line: n, Err: fmt.Errorf("invalid JSON: %w", err)})
			continue
		}
		if l.Text == "" || l.Labels == nil {
			bad = append(bad, LineError{Line: n, Err: errors.New("text and labels are required")})
			continue
		}
		out = append(out, Case{ID: l.ID, Tenant: l.Tenant, Channel: l.Channel, Text: l.Text, PostText: l.PostText,
			Anonymous: l.Author.Anonymous, Labels: l.Labels, Topic: l.Topic})
	}
	if err := sc.Err(); err != nil {
		return out, bad, fmt.Errorf("read line %d: %w", n+1, err)
	}
	return out, bad, nil
}

// BinaryCase is a text with a yes/no gold label.
type BinaryCase struct {
	Text string
	Gold bool
}

// ReadHaSpeeDe reads a HaSpeeDe 2018 training file: id, text, hs (0/1), tab-separated, no header.
func ReadHaSpeeDe(path string) ([]BinaryCase, error) {
	rows, err := readTSV(path, false)
	if err != nil {
		return nil, err
	}
	out := make([]BinaryCase, 0, len(rows))
	for i, r := range rows {
		if len(r) < 3 {
			return nil, fmt.Errorf("%s line %d: want 3 columns, got %d", path, i+1, len(r))
		}
		out = append(out, BinaryCase{Text: r[1], Gold: strings.TrimSpace(r[2]) == "1"})
	}
	return out, nil
}

// AMICase is one AMI 2020 row: misogynous and aggressive gold labels.
type AMICase struct {
	Text                   string
	Misogynous, Aggressive bool
}

// ReadAMI reads an AMI 2020 training file with header id, text, misogynous, aggressiveness.
func ReadAMI(path string) ([]AMICase, error) {
	rows, err := readTSV(path, true)
	if err != nil {
		return nil, err
	}
	out := make([]AMICase, 0, len(rows))
	for i, r := range rows {
		if len(r) < 4 {
			return nil, fmt.Errorf("%s line %d: want 4 columns, got %d", path, i+2, len(r))
		}
		out = append(out, AMICase{Text: r[1], Misogynous: strings.TrimSpace(r[2]) == "1", Aggressive: strings.TrimSpace(r[3]) == "1"})
	}
	return out, nil
}

// HateCheckCase is one Multilingual HateCheck test case.
type HateCheckCase struct {
	Functionality, Text string
	Hateful             bool
}

// ReadHateCheck reads the Italian cases file of Multilingual HateCheck.
func ReadHateCheck(path string) ([]HateCheckCase, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(records) < 2 {
		return nil, fmt.Errorf("%s has no cases", path)
	}
	col := map[string]int{}
	for i, name := range records[0] {
		col[name] = i
	}
	for _, name := range []string{"functionality", "test_case", "label_gold"} {
		if _, ok := col[name]; !ok {
			return nil, fmt.Errorf("%s has no column %q", path, name)
		}
	}
	out := make([]HateCheckCase, 0, len(records)-1)
	for _, r := range records[1:] {
		out = append(out, HateCheckCase{Functionality: r[col["functionality"]], Text: r[col["test_case"]], Hateful: r[col["label_gold"]] == "hateful"})
	}
	return out, nil
}

func readTSV(path string, header bool) ([][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	var rows [][]string
	first := true
	for sc.Scan() {
		if first && header {
			first = false
			continue
		}
		first = false
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" {
			continue
		}
		rows = append(rows, strings.Split(line, "\t"))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return rows, nil
}
