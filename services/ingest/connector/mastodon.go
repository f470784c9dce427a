package connector

import (
	"context"
	"slices"
	"strings"

	"google.golang.org/protobuf/types/known/timestamppb"

	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	"github.com/piazza-pa/piazza/services/ingest/platform/mastodon"
)

// MastodonAccount polls a Comune's Mastodon account for the statuses that mention it. The
// cursor is the id of the newest notification published: a poll asks for those after it and
// follows the Link header's next pages back to it, then publishes oldest first and saves the
// new cursor. Direct (private) mentions become private messages.
type MastodonAccount struct {
	// Client holds the account's token.
	Client *mastodon.Client
	// AccountID is the account as the tenant's file names it (platform mastodon).
	AccountID string
	// Tenant is the Comune owning the account.
	Tenant string
	// Cursors persists the cursor.
	Cursors Cursors
	// Sink publishes the comments.
	Sink *Sink
	// Posts caches the text of the statuses mentions answer.
	Posts *PostTexts
	// MaxPages bounds the pages read per poll; 20 when zero.
	MaxPages int
}

// Name describes the poller.
func (m *MastodonAccount) Name() string { return "mastodon account " + m.AccountID }

// TenantCode is the tenant the poller reads for.
func (m *MastodonAccount) TenantCode() string { return m.Tenant }

// newerID compares Mastodon ids, decimal strings that grow with time.
func newerID(a, b string) bool {
	if len(a) != len(b) {
		return len(a) > len(b)
	}
	return a > b
}

// Poll reads the new mentions once and returns how many it published.
func (m *MastodonAccount) Poll(ctx context.Context) (int, error) {
	name := "mastodon:" + m.AccountID + ":notifications"
	since, err := m.Cursors.Get(ctx, m.Tenant, name)
	if err != nil {
		return 0, err
	}
	maxPages := m.MaxPages
	if maxPages <= 0 {
		maxPages = 20
	}
	var fresh []mastodon.Notification
	maxID := ""
	for range maxPages {
		page, next, err := m.Client.Mentions(ctx, since, maxID)
		if err != nil {
			return 0, err
		}
		fresh = append(fresh, page...)
		if next == "" {
			break
		}
		maxID = next
	}
	slices.SortStableFunc(fresh, func(a, b mastodon.Notification) int {
		switch {
		case newerID(a.ID, b.ID):
			return 1
		case newerID(b.ID, a.ID):
			return -1
		}
		return 0
	})
	published := 0
	newest := since
	for _, n := range fresh {
		st := n.Status
		postText := ""
		if st.InReplyToID != "" {
			postText, err = m.Posts.Get(ctx, PostKey("mastodon", st.InReplyToID), func(ctx context.Context) (string, error) {
				parent, err := m.Client.Status(ctx, st.InReplyToID)
				return parent.Text, err
			})
			if err != nil {
				return published, err
			}
		}
		ok, err := m.Sink.Publish(ctx, MastodonComment(m.Tenant, m.AccountID, postText, st))
		if err != nil {
			return published, err
		}
		if ok {
			published++
		}
		if newerID(n.ID, newest) {
			newest = n.ID
		}
	}
	if newest != since {
		if err := m.Cursors.Set(ctx, m.Tenant, name, newest); err != nil {
			return published, err
		}
	}
	return published, nil
}

// MastodonComment normalises a status that mentions the Comune to the Comment event.
func MastodonComment(tenant, accountID, postText string, st mastodon.Status) *commentv1.Comment {
	c := &commentv1.Comment{
		Tenant:    tenant,
		Platform:  commentv1.Platform_PLATFORM_MASTODON,
		CommentId: st.ID,
		PageId:    accountID,
		PostId:    st.InReplyToID,
		PostText:  postText,
		Author:    &commentv1.Author{Id: st.Account.ID, Name: strings.TrimSpace(st.Account.DisplayName + " @" + st.Account.Acct)},
		Channel:   commentv1.Channel_CHANNEL_COMMENT,
		CreatedAt: timestamppb.New(st.CreatedAt),
		Permalink: st.URL,
		Text:      st.Text,
	}
	if st.Visibility == "direct" {
		c.Channel = commentv1.Channel_CHANNEL_PRIVATE_MESSAGE
		c.PostId, c.PostText = "", ""
	}
	return c
}
