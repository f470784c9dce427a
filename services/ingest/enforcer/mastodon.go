package enforcer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	actionv1 "github.com/piazza-pa/piazza/proto/gen/piazza/action/v1"
	"github.com/piazza-pa/piazza/services/ingest/platform/mastodon"
)

// Mastodon carries actions out from a Comune's Mastodon account. An account cannot hide or
// delete others' posts: hide, delete and report all become a report to the instance's
// moderators (category violation), who can remove the post. A block without end is a block; a
// block for a time becomes a mute for that time, since Mastodon's blocks do not expire. A
// private reply is a direct status that mentions the author.
type Mastodon struct {
	// Accounts maps the account id of the tenant's file to the client holding its token.
	Accounts map[string]*mastodon.Client
}

var _ Platform = Mastodon{}

// Execute performs a from the account.
func (m Mastodon) Execute(ctx context.Context, a *actionv1.Action) (Outcome, error) {
	client, ok := m.Accounts[a.GetPageId()]
	if !ok {
		return Outcome{}, permanentError{fmt.Errorf("no access token for Mastodon account %q", a.GetPageId())}
	}
	out := Outcome{Performed: a.GetKind()}
	var err error
	switch a.GetKind() {
	case actionv1.Kind_KIND_HIDE, actionv1.Kind_KIND_DELETE, actionv1.Kind_KIND_REPORT_PLATFORM:
		out.Performed = actionv1.Kind_KIND_REPORT_PLATFORM
		if a.GetAuthorId() == "" {
			return out, permanentError{errors.New("mastodon report needs the author's account id")}
		}
		comment := "Segnalazione del Comune"
		if a.GetReason() != "" {
			comment += " (" + a.GetReason() + ")"
		}
		out.Ref, err = client.Report(ctx, a.GetAuthorId(), []string{a.GetCommentId()}, "violation", comment)
	case actionv1.Kind_KIND_BLOCK:
		if d := a.GetDuration().AsDuration(); a.GetDuration() != nil && d > 0 {
			out.Performed = actionv1.Kind_KIND_MUTE
			err = client.Mute(ctx, a.GetAuthorId(), d.Round(time.Second))
		} else {
			err = client.Block(ctx, a.GetAuthorId())
		}
	case actionv1.Kind_KIND_REPLY:
		out.Ref, err = client.Reply(ctx, a.GetCommentId(), a.GetText(), "public")
	case actionv1.Kind_KIND_PRIVATE_REPLY:
		status, serr := client.Status(ctx, a.GetCommentId())
		if serr != nil {
			return out, serr
		}
		text := a.GetText()
		if acct := status.Account.Acct; acct != "" && !strings.Contains(text, "@"+acct) {
			text = "@" + acct + " " + text
		}
		out.Ref, err = client.Reply(ctx, a.GetCommentId(), text, "direct")
	default:
		return out, permanentError{fmt.Errorf("mastodon cannot %s", a.GetKind())}
	}
	var ae *mastodon.APIError
	if errors.As(err, &ae) && ae.ObjectMissing() && out.Performed == actionv1.Kind_KIND_REPORT_PLATFORM && a.GetKind() != actionv1.Kind_KIND_REPORT_PLATFORM {
		return out, nil // the post is gone already: what hide or delete wanted is there
	}
	return out, err
}

// MastodonWait is the Throttle wait of a Mastodon instance: until X-RateLimit-Reset after a
// 429.
func MastodonWait(err error) time.Duration {
	var ae *mastodon.APIError
	if errors.As(err, &ae) && ae.RateLimited() {
		return max(ae.RetryAfter, time.Second)
	}
	return 0
}
