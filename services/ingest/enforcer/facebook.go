package enforcer

import (
	"context"
	"errors"
	"fmt"
	"time"

	actionv1 "github.com/piazza-pa/piazza/proto/gen/piazza/action/v1"
	"github.com/piazza-pa/piazza/services/ingest/platform/facebook"
)

// Facebook carries actions out on Facebook Pages through the Graph API, with each Page's own
// access token.
type Facebook struct {
	// Pages maps a Page id to the client holding that Page's token.
	Pages map[string]*facebook.Client
}

var _ Platform = Facebook{}

// Execute performs a on the Page. Pages cannot report a comment through the API, so a report
// becomes a hide, the strongest available action short of deleting, and the outcome says so.
// An object already gone counts as deleted or hidden: the effect the action wanted is there.
func (f Facebook) Execute(ctx context.Context, a *actionv1.Action) (Outcome, error) {
	client, ok := f.Pages[a.GetPageId()]
	if !ok {
		return Outcome{}, permanentError{fmt.Errorf("no access token for Facebook page %q", a.GetPageId())}
	}
	var err error
	out := Outcome{Performed: a.GetKind()}
	switch a.GetKind() {
	case actionv1.Kind_KIND_HIDE:
		err = client.Hide(ctx, a.GetCommentId())
	case actionv1.Kind_KIND_REPORT_PLATFORM:
		out.Performed = actionv1.Kind_KIND_HIDE
		err = client.Hide(ctx, a.GetCommentId())
	case actionv1.Kind_KIND_DELETE:
		err = client.Delete(ctx, a.GetCommentId())
	case actionv1.Kind_KIND_BLOCK:
		err = client.Block(ctx, a.GetPageId(), a.GetAuthorId())
	case actionv1.Kind_KIND_REPLY:
		out.Ref, err = client.Reply(ctx, a.GetCommentId(), a.GetText())
	case actionv1.Kind_KIND_PRIVATE_REPLY:
		out.Ref, err = client.PrivateReply(ctx, a.GetPageId(), a.GetCommentId(), a.GetText())
		var ge *facebook.GraphError
		if errors.As(err, &ge) && ge.AlreadyReplied() {
			return out, nil
		}
	default:
		return out, permanentError{fmt.Errorf("facebook cannot %s", a.GetKind())}
	}
	var ge *facebook.GraphError
	if errors.As(err, &ge) && ge.ObjectMissing() &&
		(a.GetKind() == actionv1.Kind_KIND_DELETE || a.GetKind() == actionv1.Kind_KIND_HIDE || a.GetKind() == actionv1.Kind_KIND_REPORT_PLATFORM) {
		return out, nil
	}
	return out, err
}

type permanentError struct{ err error }

func (e permanentError) Error() string   { return e.err.Error() }
func (e permanentError) Unwrap() error   { return e.err }
func (e permanentError) Permanent() bool { return true }

// FacebookWait is the Throttle wait of the Graph API: after a rate-limit error (codes 4, 17,
// 32, 613, 80001, 80002) the estimated time to regain access it reported, at least 30 seconds.
func FacebookWait(err error) time.Duration {
	var ge *facebook.GraphError
	if errors.As(err, &ge) && ge.RateLimited() {
		return max(ge.RetryAfter, 30*time.Second)
	}
	return 0
}
