package enforcer

import (
	"context"
	"errors"
	"fmt"

	actionv1 "github.com/piazza-pa/piazza/proto/gen/piazza/action/v1"
	"github.com/piazza-pa/piazza/services/ingest/platform/facebook"
)

// Instagram carries actions out on Instagram business accounts through the Graph API. An
// account cannot block a user nor report a comment through the API, so both become a hide of
// the comment, the strongest action on it short of deleting, and the outcome says so.
type Instagram struct {
	// Accounts maps an Instagram account id to the client holding its token.
	Accounts map[string]*facebook.Client
}

var _ Platform = Instagram{}

// Execute performs a on the account.
func (ig Instagram) Execute(ctx context.Context, a *actionv1.Action) (Outcome, error) {
	client, ok := ig.Accounts[a.GetPageId()]
	if !ok {
		return Outcome{}, permanentError{fmt.Errorf("no access token for Instagram account %q", a.GetPageId())}
	}
	out := Outcome{Performed: a.GetKind()}
	var err error
	switch a.GetKind() {
	case actionv1.Kind_KIND_HIDE:
		err = client.InstagramHide(ctx, a.GetCommentId())
	case actionv1.Kind_KIND_BLOCK, actionv1.Kind_KIND_REPORT_PLATFORM:
		out.Performed = actionv1.Kind_KIND_HIDE
		err = client.InstagramHide(ctx, a.GetCommentId())
	case actionv1.Kind_KIND_DELETE:
		err = client.Delete(ctx, a.GetCommentId())
	case actionv1.Kind_KIND_REPLY:
		out.Ref, err = client.InstagramReply(ctx, a.GetCommentId(), a.GetText())
	case actionv1.Kind_KIND_PRIVATE_REPLY:
		out.Ref, err = client.PrivateReply(ctx, a.GetPageId(), a.GetCommentId(), a.GetText())
		var ge *facebook.GraphError
		if errors.As(err, &ge) && ge.AlreadyReplied() {
			return out, nil
		}
	default:
		return out, permanentError{fmt.Errorf("instagram cannot %s", a.GetKind())}
	}
	var ge *facebook.GraphError
	if errors.As(err, &ge) && ge.ObjectMissing() && out.Performed != actionv1.Kind_KIND_REPLY && out.Performed != actionv1.Kind_KIND_PRIVATE_REPLY {
		return out, nil
	}
	return out, err
}
