package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/piazza-pa/piazza/pkg/policy"
	"github.com/piazza-pa/piazza/services/classifier"
	"github.com/piazza-pa/piazza/services/classifier/rules"
)

// classifyLine is the output of `piazza classify` for one input line.
type classifyLine struct {
	ID       string             `json:"id"`
	Labels   []string           `json:"labels"`
	Topic    string             `json:"topic,omitempty"`
	Scores   map[string]float64 `json:"scores"`
	Evidence []classifyEvidence `json:"evidence"`
}

type classifyEvidence struct {
	Category string `json:"category"`
	RuleID   string `json:"rule_id"`
	Start    int    `json:"start"`
	End      int    `json:"end"`
	Text     string `json:"text"`
}

type classifyInput struct {
	ID       string `json:"id"`
	Channel  string `json:"channel"`
	PostText string `json:"post_text"`
	Text     string `json:"text"`
	Author   struct {
		Anonymous bool `json:"anonymous"`
	} `json:"author"`
}

// runClassify labels taxonomy-format JSON Lines under a tenant's policy, ignoring any labels in
// the input, and writes one JSON line per comment.
func runClassify(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("classify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	tenantCode := fs.String("tenant", "", "the tenant whose policy applies (required)")
	policyDir := fs.String("policies", "deploy/policies", "directory of the tenants' policy files")
	in := fs.String("in", "", "input file (default: standard input)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *tenantCode == "" {
		return errors.New("--tenant is required")
	}
	set, err := policy.LoadDir(*policyDir)
	if err != nil {
		return fmt.Errorf("load policies: %w", err)
	}
	tenant, ok := set.Tenant(*tenantCode)
	if !ok {
		return fmt.Errorf("unknown tenant %q in %s", *tenantCode, *policyDir)
	}
	engine, err := rules.NewEngine()
	if err != nil {
		return err
	}
	src := stdin
	if *in != "" {
		f, err := os.Open(*in)
		if err != nil {
			return err
		}
		defer f.Close()
		src = f
	}
	sc := bufio.NewScanner(src)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	opts := classifier.TenantOptions(tenant)
	n, skipped := 0, 0
	for sc.Scan() {
		n++
		raw := strings.TrimSpace(sc.Text())
		if raw == "" {
			continue
		}
		var l classifyInput
		if err := json.Unmarshal([]byte(raw), &l); err != nil {
			fmt.Fprintf(stderr, "piazza classify: line %d: invalid JSON: %v\n", n, err)
			skipped++
			continue
		}
		if strings.TrimSpace(l.Text) == "" {
			fmt.Fprintf(stderr, "piazza classify: line %d: no text\n", n)
			skipped++
			continue
		}
		res := engine.Classify(rules.Input{Text: l.Text, PostText: l.PostText, Private: l.Channel == "private_message", AuthorAnonymous: l.Author.Anonymous}, opts)
		line := classifyLine{ID: l.ID, Labels: []string{}, Scores: map[string]float64{}, Evidence: []classifyEvidence{}, Topic: res.Topic}
		for _, lb := range res.Labels {
			line.Labels = append(line.Labels, lb.Code)
			line.Scores[lb.Code] = lb.Score
		}
		sort.Strings(line.Labels)
		for _, e := range res.Evidence {
			ev := classifyEvidence{Category: e.Category, RuleID: e.RuleID, Start: e.Start, End: e.End}
			if e.Start >= 0 && e.End <= len(l.Text) && e.Start <= e.End {
				ev.Text = l.Text[e.Start:e.End]
			}
			line.Evidence = append(line.Evidence, ev)
		}
		if err := enc.Encode(line); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read line %d: %w", n+1, err)
	}
	if skipped > 0 {
		fmt.Fprintf(stderr, "piazza classify: %d of %d lines skipped\n", skipped, n)
	}
	return nil
}

// verdictLabels classifies one comment under its tenant's policy when the tenant is known, else
// with no tenant options.
func verdictLabels(engine *rules.Engine, set *policy.Set, tenantCode, channel, text, postText string, anonymous bool) (labels []string, topic string) {
	var opts *rules.TenantOptions
	if t, ok := set.Tenant(tenantCode); ok {
		opts = classifier.TenantOptions(t)
	}
	res := engine.Classify(rules.Input{Text: text, PostText: postText, Private: channel == "private_message", AuthorAnonymous: anonymous}, opts)
	for _, l := range res.Labels {
		labels = append(labels, l.Code)
	}
	return labels, res.Topic
}
