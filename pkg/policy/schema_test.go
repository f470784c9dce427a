package policy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestSchemaVocabularyMatchesLoader keeps deploy/policies/policy.schema.json in step with the
// loader: every closed list of codes the schema offers to editors is exactly the one the loader
// accepts.
func TestSchemaVocabularyMatchesLoader(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(policiesDir, "policy.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(raw, &schema); err != nil {
		t.Fatalf("policy.schema.json: %v", err)
	}
	at := func(path ...string) any {
		var v any = schema
		for _, p := range path {
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("schema has no %v", path)
			}
			v = m[p]
		}
		return v
	}
	enum := func(path ...string) []string {
		list, ok := at(append(path, "enum")...).([]any)
		if !ok {
			t.Fatalf("schema %v has no enum", path)
		}
		var out []string
		for _, v := range list {
			if s, ok := v.(string); ok { // null is allowed where a key may be removed
				out = append(out, s)
			}
		}
		slices.Sort(out)
		return out
	}
	keys := func(path ...string) []string {
		m, ok := at(path...).(map[string]any)
		if !ok {
			t.Fatalf("schema %v is not an object", path)
		}
		var out []string
		for k := range m {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	sorted := func(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }
	tests := []struct {
		name      string
		got, want []string
	}{
		{"categories", enum("$defs", "category_code"), sorted(violationCategories)},
		{"topics", enum("$defs", "topic"), sorted(topics)},
		{"actions", enum("$defs", "action"), sorted(actions)},
		{"platforms", enum("properties", "pages", "items", "properties", "platform"), sorted(platforms)},
		{"escalation", enum("properties", "routing", "properties", "escalation", "items"), sorted(escalationSteps)},
		{"weekdays", enum("$defs", "office", "properties", "hours", "propertyNames"), sorted(weekdays)},
		{"templates", keys("properties", "templates", "properties"), templateNames()},
	}
	for _, tc := range tests {
		if !slices.Equal(tc.got, tc.want) {
			t.Errorf("schema %s = %v, loader accepts %v", tc.name, tc.got, tc.want)
		}
	}
}
