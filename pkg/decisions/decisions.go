// Package decisions holds the conventions about the Decision event that more than one service
// applies: which subject a decision is published on, and so which decisions routing receives.
package decisions

import (
	"github.com/piazza-pa/piazza/pkg/bus"
	"github.com/piazza-pa/piazza/pkg/policy"
	sanctionsv1 "github.com/piazza-pa/piazza/proto/gen/piazza/sanctions/v1"
)

// ForRouting reports whether routing has anything to do with d: it carries a citizen's request
// or an emergency, or it is a reply in a thread that the policy neither sanctions nor forbids
// answering, which may be the citizen's answer to a request waiting for them. Routing disposes
// of every other decision as "none" without reading Redis, so it need not receive them.
func ForRouting(d *sanctionsv1.Decision) bool {
	if d.GetComment().GetParentId() != "" && !d.GetNoReply() && len(d.GetStrikes()) == 0 {
		return true
	}
	for _, cs := range d.GetVerdict().GetCategories() {
		if policy.RoutedCategory(cs.GetCategory()) {
			return true
		}
	}
	return false
}

// Subject is the subject d is published on: bus.DecisionMade when ForRouting, else
// bus.DecisionSettled.
func Subject(d *sanctionsv1.Decision) string {
	tenant := d.GetComment().GetTenant()
	if ForRouting(d) {
		return bus.DecisionMade(tenant)
	}
	return bus.DecisionSettled(tenant)
}
