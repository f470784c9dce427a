package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func TestSLACommand(t *testing.T) {
	noEnv := func(string) string { return "" }
	tests := []struct {
		name    string
		args    []string
		want    map[string]string
		wantErr string
	}{
		{"Monza roads across a weekend", []string{"--tenant", "monza", "--topic", "roads", "--received", "2026-11-20T11:00:00+01:00"},
			map[string]string{"office": "lavori_pubblici", "ack_due": "2026-11-23T12:30:00+01:00", "first_answer_due": "2026-12-02T16:00:00+01:00"}, ""},
		// Monza's patron saint (24 June, a Wednesday in 2026) is skipped by Servizi Demografici.
		{"Monza registry across San Giovanni", []string{"--tenant", "monza", "--topic", "registry", "--received", "2026-06-23T10:00:00+02:00"},
			map[string]string{"office": "demografici", "ack_due": "2026-06-25T16:00:00+02:00"}, ""},
		{"an unknown topic goes to the fallback", []string{"--tenant", "monza", "--topic", "general", "--received", "2026-11-16T10:00:00+01:00"},
			map[string]string{"office": "urp"}, ""},
		{"unknown tenant", []string{"--tenant", "atlantide", "--received", "2026-11-16T10:00:00+01:00"}, nil, "unknown tenant"},
		{"bad time", []string{"--tenant", "monza", "--received", "16/11/2026"}, nil, "RFC 3339"},
		{"missing flags", []string{"--tenant", "monza"}, nil, "required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			args := append([]string{"sla", "--policies", "../../../../deploy/policies"}, tt.args...)
			err := run(context.Background(), args, noEnv, &out, &errOut)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("piazza sla: %v, want an error with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("piazza sla: %v\n%s", err, errOut.String())
			}
			var got map[string]string
			if err := json.Unmarshal(out.Bytes(), &got); err != nil {
				t.Fatalf("output %q: %v", out.String(), err)
			}
			for _, k := range []string{"office", "ack_due", "first_answer_due", "resolution_due"} {
				if got[k] == "" {
					t.Errorf("output %v lacks %s", got, k)
				}
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}
