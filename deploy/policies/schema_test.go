// Package policies holds the tenants' policy files; its test checks them, and the template a new
// Comune starts from, against policy.schema.json with a complete JSON Schema validator, so that
// the schema editors use and the files the loader reads never drift apart.
package policies

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

const schemaFile = "policy.schema.json"

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	raw, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("%s is not JSON: %v", schemaFile, err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(schemaFile, doc); err != nil {
		t.Fatalf("add %s: %v", schemaFile, err)
	}
	sch, err := c.Compile(schemaFile)
	if err != nil {
		t.Fatalf("%s is not a valid JSON Schema: %v", schemaFile, err)
	}
	return sch
}

// instance turns a YAML document into the JSON value a schema validates.
func instance(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatalf("parse YAML: %v", err)
	}
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("YAML to JSON: %v", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

func TestPolicyFilesMatchTheSchema(t *testing.T) {
	sch := compileSchema(t)
	files, err := filepath.Glob("*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{
		"_baseline.yaml": true, "_template.yaml": true, "bussero.yaml": true, "canegrate.yaml": true,
		"crespiatica.yaml": true, "maglione.yaml": true, "monza.yaml": true,
	}
	for _, f := range files {
		delete(want, f)
		t.Run(f, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(instance(t, data)); err != nil {
				t.Errorf("%s does not match %s:\n%v", f, schemaFile, err)
			}
		})
	}
	if len(want) > 0 {
		t.Errorf("policy files missing from %s: %v", ".", want)
	}
}

// TestSchemaRejectsBrokenFiles proves the schema is not vacuous: each document breaks one rule
// the loader also enforces.
func TestSchemaRejectsBrokenFiles(t *testing.T) {
	sch := compileSchema(t)
	tests := []struct {
		name, doc, want string
	}{
		{"unknown top-level field", "tenant: x\ncolour: red\n", "colour"},
		{"unknown category", "categories:\n  gossip: {article: '1', title: T, ladder: [{at: 1, actions: [delete]}]}\n", "gossip"},
		{"unknown action", "categories:\n  insult: {ladder: [{at: 1, actions: [shame]}]}\n", "ladder/0/actions/0"},
		{"step without at", "categories:\n  insult: {ladder: [{actions: [delete]}]}\n", "at"},
		{"step at zero", "categories:\n  insult: {ladder: [{at: 0, actions: [delete]}]}\n", "minimum"},
		{"bad window", "category_defaults: {window: 12 months}\n", "window"},
		{"istat unquoted digits lost", "identity: {istat: '1234'}\n", "istat"},
		{"unknown topic", "routing: {rules: [{topics: [parking], office: urp}]}\n", "rules/0/topics/0"},
		{"bad span", "routing: {sla: {ack: 1 day}}\n", "ack"},
		{"bad hours", "offices:\n  urp: {hours: {mon: '9-12'}}\n", "mon"},
		{"unknown weekday", "offices:\n  urp: {hours: {lun: '09:00-12:00'}}\n", "lun"},
		{"unknown template", "templates: {goodbye: Ciao}\n", "goodbye"},
		{"unknown anonymous mode", "anonymous: ignore\n", "anonymous"},
		{"bad office code", "offices:\n  Ufficio Tecnico: {name: UT}\n", "Ufficio Tecnico"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := sch.Validate(instance(t, []byte(tc.doc)))
			if err == nil {
				t.Fatalf("schema accepted:\n%s", tc.doc)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}
