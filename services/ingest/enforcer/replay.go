package enforcer

import (
	"context"

	actionv1 "github.com/piazza-pa/piazza/proto/gen/piazza/action/v1"
)

// ReplayRecorder stands for the platform of replayed comments (piazza loadgen, piazza simulate,
// a replay of exported comments) when they are only a rehearsal: such comments are on no page
// Piazza can act on, so each action is recorded as done, with a reference that says it was
// replayed, without calling anything. Ingest uses it only when told to (INGEST_REPLAY_ACTIONS
// =record, and always in `piazza up`); otherwise replayed comments have no connector and their
// actions go to human review, for a person to carry out by hand.
type ReplayRecorder struct{}

var _ Platform = ReplayRecorder{}

// Execute records a as performed.
func (ReplayRecorder) Execute(_ context.Context, a *actionv1.Action) (Outcome, error) {
	return Outcome{Performed: a.GetKind(), Ref: "replay:" + a.GetActionId()}, nil
}
