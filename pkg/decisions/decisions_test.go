package decisions

import (
	"testing"

	classifierv1 "github.com/piazza-pa/piazza/proto/gen/piazza/classifier/v1"
	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	sanctionsv1 "github.com/piazza-pa/piazza/proto/gen/piazza/sanctions/v1"
)

func TestSubject(t *testing.T) {
	d := func(parent string, noReply bool, strikes int, labels ...string) *sanctionsv1.Decision {
		v := &classifierv1.Verdict{}
		for _, l := range labels {
			v.Categories = append(v.Categories, &classifierv1.CategoryScore{Category: l, Score: 0.9})
		}
		out := &sanctionsv1.Decision{Comment: &commentv1.Comment{Tenant: "monza", ParentId: parent}, Verdict: v, NoReply: noReply}
		for range strikes {
			out.Strikes = append(out.Strikes, &sanctionsv1.StrikeCount{Category: "insult", Count: 1})
		}
		return out
	}
	for _, tt := range []struct {
		name string
		d    *sanctionsv1.Decision
		want string
	}{
		{"clean comment", d("", false, 0), "piazza.monza.decision.settled"},
		{"insult", d("", true, 1, "insult"), "piazza.monza.decision.settled"},
		{"request", d("", false, 0, "request"), "piazza.monza.decision.made"},
		{"emergency", d("", false, 0, "emergency"), "piazza.monza.decision.made"},
		{"sanctioned request: routing records that it gets no reply", d("", true, 1, "insult", "request"), "piazza.monza.decision.made"},
		{"clean reply in a thread: may answer a waiting request", d("c1", false, 0), "piazza.monza.decision.made"},
		{"sanctioned reply in a thread", d("c1", false, 1, "insult"), "piazza.monza.decision.settled"},
		{"reply the policy forbids answering", d("c1", true, 0, "political"), "piazza.monza.decision.settled"},
		{"no verdict at all", &sanctionsv1.Decision{Comment: &commentv1.Comment{Tenant: "monza"}}, "piazza.monza.decision.settled"},
	} {
		if got := Subject(tt.d); got != tt.want {
			t.Errorf("%s: subject %s, want %s", tt.name, got, tt.want)
		}
	}
}
