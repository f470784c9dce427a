package facebook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// errNoSuccess is returned when a write answers 200 without confirming it took effect.
var errNoSuccess = errors.New("response did not report success")

type successJSON struct {
	Success bool `json:"success"`
}

// setHidden posts is_hidden on a comment.
func (c *Client) setHidden(ctx context.Context, commentID string, hidden bool) error {
	verb := "hide"
	if !hidden {
		verb = "unhide"
	}
	if err := validID("comment", commentID); err != nil {
		return fmt.Errorf("%s comment: %w", verb, err)
	}
	var res successJSON
	params := url.Values{"is_hidden": {fmt.Sprint(hidden)}}
	if err := c.call(ctx, http.MethodPost, commentID, params, &res); err != nil {
		return fmt.Errorf("%s comment %s: %w", verb, commentID, err)
	}
	if !res.Success {
		return fmt.Errorf("%s comment %s: %w", verb, commentID, errNoSuccess)
	}
	return nil
}

// Hide hides a comment from everyone but its author and the author's friends. Hiding a hidden
// comment succeeds.
func (c *Client) Hide(ctx context.Context, commentID string) error {
	return c.setHidden(ctx, commentID, true)
}

// Unhide makes a hidden comment visible again.
func (c *Client) Unhide(ctx context.Context, commentID string) error {
	return c.setHidden(ctx, commentID, false)
}

// Delete deletes a comment and its replies. Deleting a comment that is already gone gives a
// GraphError for which ObjectMissing holds; callers that want idempotence treat that as done.
func (c *Client) Delete(ctx context.Context, commentID string) error {
	if err := validID("comment", commentID); err != nil {
		return fmt.Errorf("delete comment: %w", err)
	}
	var res successJSON
	if err := c.call(ctx, http.MethodDelete, commentID, nil, &res); err != nil {
		return fmt.Errorf("delete comment %s: %w", commentID, err)
	}
	if !res.Success {
		return fmt.Errorf("delete comment %s: %w", commentID, errNoSuccess)
	}
	return nil
}

// Reply answers a comment publicly as the Page and returns the new comment's ID. A reply to a
// reply lands in the same thread.
func (c *Client) Reply(ctx context.Context, commentID, text string) (string, error) {
	if err := validID("comment", commentID); err != nil {
		return "", fmt.Errorf("reply to comment: %w", err)
	}
	if strings.TrimSpace(text) == "" {
		return "", fmt.Errorf("reply to comment %s: empty text", commentID)
	}
	var res struct {
		ID string `json:"id"`
	}
	if err := c.call(ctx, http.MethodPost, commentID+"/comments", url.Values{"message": {text}}, &res); err != nil {
		return "", fmt.Errorf("reply to comment %s: %w", commentID, err)
	}
	if res.ID == "" {
		return "", fmt.Errorf("reply to comment %s: response without id", commentID)
	}
	return res.ID, nil
}

// PrivateReply sends the author of a comment a private message from the Page and returns its
// message ID. The API accepts one per comment, within seven days of it; a second gives a
// GraphError for which AlreadyReplied holds.
func (c *Client) PrivateReply(ctx context.Context, pageID, commentID, text string) (string, error) {
	if err := validID("page", pageID); err != nil {
		return "", fmt.Errorf("private reply: %w", err)
	}
	if err := validID("comment", commentID); err != nil {
		return "", fmt.Errorf("private reply: %w", err)
	}
	if strings.TrimSpace(text) == "" {
		return "", fmt.Errorf("private reply to comment %s: empty text", commentID)
	}
	recipient, err := json.Marshal(map[string]string{"comment_id": commentID})
	if err != nil {
		return "", fmt.Errorf("private reply to comment %s: %w", commentID, err)
	}
	message, err := json.Marshal(map[string]string{"text": text})
	if err != nil {
		return "", fmt.Errorf("private reply to comment %s: %w", commentID, err)
	}
	var res struct {
		RecipientID string `json:"recipient_id"`
		MessageID   string `json:"message_id"`
	}
	params := url.Values{"recipient": {string(recipient)}, "message": {string(message)}}
	if err := c.call(ctx, http.MethodPost, pageID+"/messages", params, &res); err != nil {
		return "", fmt.Errorf("private reply to comment %s: %w", commentID, err)
	}
	if res.MessageID == "" {
		return "", fmt.Errorf("private reply to comment %s: response without message_id", commentID)
	}
	return res.MessageID, nil
}

// Block bans a user from the Page: they can no longer comment on, message or like it.
func (c *Client) Block(ctx context.Context, pageID, userID string) error {
	if err := validID("page", pageID); err != nil {
		return fmt.Errorf("block user: %w", err)
	}
	if err := validID("user", userID); err != nil {
		return fmt.Errorf("block user: %w", err)
	}
	var res map[string]bool
	if err := c.call(ctx, http.MethodPost, pageID+"/blocked", url.Values{"user": {userID}}, &res); err != nil {
		return fmt.Errorf("block user on %s: %w", pageID, err)
	}
	if !res[userID] {
		return fmt.Errorf("block user on %s: %w", pageID, errNoSuccess)
	}
	return nil
}
