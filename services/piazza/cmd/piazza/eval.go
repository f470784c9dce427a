package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/piazza-pa/piazza/pkg/policy"
	"github.com/piazza-pa/piazza/services/classifier/evaluation"
	"github.com/piazza-pa/piazza/services/classifier/rules"
)

// runEval measures the classifier on taxonomy-format files and on the public data sets, prints
// a table and writes the figures as JSON.
func runEval(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	evalDir := fs.String("eval", "../shared/eval", "directory of taxonomy-format *.jsonl files")
	datasets := fs.String("datasets", "../shared/datasets", "directory of the public data sets (empty: skip them)")
	policyDir := fs.String("policies", "deploy/policies", "directory of the tenants' policy files")
	jsonOut := fs.String("json", "var/eval.json", "where to write the figures as JSON (empty: nowhere)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	set, err := policy.LoadDir(*policyDir)
	if err != nil {
		return fmt.Errorf("load policies: %w", err)
	}
	engine, err := rules.NewEngine()
	if err != nil {
		return err
	}
	res, err := evaluation.Run(evaluation.Config{EvalDir: *evalDir, DatasetsDir: *datasets}, func(c evaluation.Case) evaluation.Prediction {
		labels, topic := verdictLabels(engine, set, c.Tenant, c.Channel, c.Text, c.PostText, c.Anonymous)
		return evaluation.Prediction{Labels: labels, Topic: topic}
	})
	if err != nil {
		return err
	}
	res.WriteTable(stdout)
	if *jsonOut != "" {
		b, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(*jsonOut), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(*jsonOut, b, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\nfigures written to %s\n", *jsonOut)
	}
	return nil
}
