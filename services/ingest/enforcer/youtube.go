package enforcer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	actionv1 "github.com/piazza-pa/piazza/proto/gen/piazza/action/v1"
	"github.com/piazza-pa/piazza/services/ingest/platform/youtube"
)

// YouTube carries actions out on YouTube channels. The Data API moderates others' comments only
// through setModerationStatus, so: hide holds the comment for review (reversible), delete
// rejects it, block rejects it and bans its author, a report (which the API cannot file)
// becomes a rejection, and a private reply (YouTube has no private messages) fails for good so
// that a person answers the citizen another way: publishing it would disclose what was meant
// to be private.
type YouTube struct {
	// Channels maps a channel id to the client holding that channel's token.
	Channels map[string]*youtube.Client
}

var _ Platform = YouTube{}

// Execute performs a on the channel.
func (y YouTube) Execute(ctx context.Context, a *actionv1.Action) (Outcome, error) {
	client, ok := y.Channels[a.GetPageId()]
	if !ok {
		return Outcome{}, permanentError{fmt.Errorf("no access token for YouTube channel %q", a.GetPageId())}
	}
	out := Outcome{Performed: a.GetKind()}
	var err error
	switch a.GetKind() {
	case actionv1.Kind_KIND_HIDE:
		err = client.SetModerationStatus(ctx, a.GetCommentId(), youtube.StatusHeldForReview, false)
	case actionv1.Kind_KIND_DELETE:
		err = client.SetModerationStatus(ctx, a.GetCommentId(), youtube.StatusRejected, false)
	case actionv1.Kind_KIND_REPORT_PLATFORM:
		out.Performed = actionv1.Kind_KIND_DELETE
		err = client.SetModerationStatus(ctx, a.GetCommentId(), youtube.StatusRejected, false)
	case actionv1.Kind_KIND_BLOCK:
		err = client.SetModerationStatus(ctx, a.GetCommentId(), youtube.StatusRejected, true)
	case actionv1.Kind_KIND_REPLY:
		// Replies go under the top-level comment; a reply's id is "<top-level id>.<n>".
		parent, _, _ := strings.Cut(a.GetCommentId(), ".")
		out.Ref, err = client.Reply(ctx, parent, a.GetText())
	case actionv1.Kind_KIND_PRIVATE_REPLY:
		return Outcome{}, permanentError{errors.New("youtube has no private messages; a person must answer the citizen")}
	default:
		return Outcome{}, permanentError{fmt.Errorf("youtube cannot %s", a.GetKind())}
	}
	var ae *youtube.APIError
	if errors.As(err, &ae) && ae.ObjectMissing() && a.GetKind() != actionv1.Kind_KIND_REPLY && a.GetKind() != actionv1.Kind_KIND_BLOCK {
		return out, nil // already gone: the effect wanted is there
	}
	return out, err
}

// YouTubeWait is the Throttle wait of the YouTube API: until the quota reset after
// quotaExceeded (the API's or the local budget's), a minute after a rate limit.
func YouTubeWait(err error) time.Duration {
	var qe *youtube.QuotaError
	if errors.As(err, &qe) {
		return max(time.Until(qe.Until), time.Minute)
	}
	var ae *youtube.APIError
	if errors.As(err, &ae) {
		switch {
		case ae.QuotaExceeded():
			return time.Hour
		case ae.RateLimited():
			return time.Minute
		}
	}
	return 0
}
