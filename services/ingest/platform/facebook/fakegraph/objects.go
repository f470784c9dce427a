package fakegraph

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

var (
	commentFields = []string{"id", "message", "from", "created_time", "parent", "is_hidden",
		"permalink_url", "can_reply_privately", "comment_count",
		// Instagram's names for the same comment.
		"text", "timestamp", "username", "hidden", "parent_id", "media"}
	postFields = []string{"id", "message", "created_time", "updated_time", "from", "permalink_url",
		// Instagram's names for a media's caption and time.
		"caption", "timestamp"}
	userFields = []string{"id", "name"}
)

func (c *comment) key() key { return key{c.CreatedTime.Unix(), c.seq} }
func (p *post) key() key    { return key{p.CreatedTime.Unix(), p.seq} }

// permissionDenied is the reply for acting on another Page's objects.
func (s *Server) permissionDenied() response {
	return s.graphErr(http.StatusForbidden, 200, 0, "OAuthException", msgPermission)
}

// getNode reads a single post, comment or Page.
func (s *Server) getNode(c *call, id string) response {
	if cm, ok := s.comments[id]; ok && !cm.Deleted {
		fields, err := fieldsOr(c.params.Get("fields"), "created_time", "from", "message", "id")
		if err == nil {
			err = checkFields(fields, "Comment", commentFields...)
		}
		if err != nil {
			return s.badParam(err.Error())
		}
		return response{status: http.StatusOK, body: s.renderComment(cm, fields, c.now)}
	}
	if p, ok := s.posts[id]; ok {
		fields, err := fieldsOr(c.params.Get("fields"), "created_time", "message", "id")
		if err == nil {
			err = checkFields(fields, "Post", postFields...)
		}
		if err != nil {
			return s.badParam(err.Error())
		}
		return response{status: http.StatusOK, body: s.renderPost(p, fields)}
	}
	if pg, ok := s.pages[id]; ok {
		fields, err := fieldsOr(c.params.Get("fields"), "name", "id")
		if err == nil {
			err = checkFields(fields, "Page", userFields...)
		}
		if err != nil {
			return s.badParam(err.Error())
		}
		return response{status: http.StatusOK, body: renderUser(User{ID: pg.id, Name: pg.name}, fields)}
	}
	return s.objectMissing("get", id)
}

func renderUser(u User, fields []field) map[string]any {
	out := map[string]any{}
	for _, f := range fields {
		switch f.name {
		case "id":
			out["id"] = u.ID
		case "name":
			out["name"] = u.Name
		case "username": // Instagram's from{id,username}
			out["username"] = u.Name
		}
	}
	return out
}

func subOr(f field, def ...string) []field {
	if len(f.sub) > 0 {
		return f.sub
	}
	out := make([]field, len(def))
	for i, d := range def {
		out[i] = field{name: d}
	}
	return out
}

// renderComment selects the requested fields of a comment; the caller holds s.mu.
func (s *Server) renderComment(cm *comment, fields []field, now time.Time) map[string]any {
	out := map[string]any{}
	for _, f := range fields {
		switch f.name {
		case "id":
			out["id"] = cm.ID
		case "message":
			out["message"] = cm.Message
		case "created_time":
			out["created_time"] = graphTime(cm.CreatedTime)
		case "from":
			// from is only returned to a Page token, which is the only kind the fake issues.
			if cm.From.ID != "" {
				out["from"] = renderUser(cm.From, subOr(f, "name", "id"))
			}
		case "parent":
			if parent, ok := s.comments[cm.ParentID]; ok {
				sub := subOr(f, "created_time", "from", "message", "id")
				out["parent"] = s.renderComment(parent, sub, now)
			}
		case "is_hidden":
			out["is_hidden"] = cm.Hidden
		case "text":
			out["text"] = cm.Message
		case "timestamp":
			out["timestamp"] = graphTime(cm.CreatedTime)
		case "username":
			if cm.From.Name != "" {
				out["username"] = cm.From.Name
			}
		case "hidden":
			out["hidden"] = cm.Hidden
		case "parent_id":
			if cm.ParentID != "" {
				out["parent_id"] = cm.ParentID
			}
		case "media":
			out["media"] = map[string]string{"id": cm.PostID}
		case "permalink_url":
			out["permalink_url"] = fmt.Sprintf("https://www.facebook.com/%s/posts/%s/?comment_id=%s",
				cm.pageID, localPart(cm.PostID), localPart(cm.ID))
		case "can_reply_privately":
			out["can_reply_privately"] = cm.PrivateReply == "" && now.Sub(cm.CreatedTime) <= PrivateReplyWindow
		case "comment_count":
			n := 0
			for _, id := range cm.Replies {
				if !s.comments[id].Deleted {
					n++
				}
			}
			out["comment_count"] = n
		}
	}
	return out
}

// renderPost selects the requested fields of a post; the caller holds s.mu.
func (s *Server) renderPost(p *post, fields []field) map[string]any {
	out := map[string]any{}
	for _, f := range fields {
		switch f.name {
		case "id":
			out["id"] = p.ID
		case "message":
			if p.Message != "" {
				out["message"] = p.Message
			}
		case "created_time":
			out["created_time"] = graphTime(p.CreatedTime)
		case "updated_time":
			out["updated_time"] = graphTime(p.CreatedTime)
		case "caption":
			if p.Message != "" {
				out["caption"] = p.Message
			}
		case "timestamp":
			out["timestamp"] = graphTime(p.CreatedTime)
		case "from":
			pg := s.pages[p.pageID]
			out["from"] = renderUser(User{ID: pg.id, Name: pg.name}, subOr(f, "name", "id"))
		case "permalink_url":
			out["permalink_url"] = fmt.Sprintf("https://www.facebook.com/%s/posts/%s", p.pageID, localPart(p.ID))
		}
	}
	return out
}

// pagingLink is an absolute link to the same edge with the given paging parameters replacing the
// caller's, carrying the access token when the caller passed it as a parameter, as the real
// links do.
func pagingLink(c *call, drop []string, set url.Values) string {
	q := url.Values{}
	for k, vs := range c.params {
		if slices.Contains(drop, k) || k == "access_token" || k == "method" {
			continue
		}
		q[k] = slices.Clone(vs)
	}
	if c.tokenInURL {
		q.Set("access_token", c.token)
	}
	for k, vs := range set {
		q[k] = vs
	}
	return c.base + "/" + strings.Join(c.segments, "/") + "?" + q.Encode()
}

// listComments serves GET /{object-id}/comments with cursor paging.
func (s *Server) listComments(c *call, id string) response {
	var all []*comment
	filter := c.params.Get("filter")
	if filter == "" {
		filter = "toplevel"
	}
	if filter != "toplevel" && filter != "stream" {
		return s.badParam("Param filter must be one of {toplevel, stream}")
	}
	switch {
	case s.posts[id] != nil:
		for _, cm := range s.posts[id].comments {
			if filter == "stream" || cm.ParentID == "" {
				all = append(all, cm)
			}
		}
	case s.comments[id] != nil && !s.comments[id].Deleted:
		for _, rid := range s.comments[id].Replies {
			all = append(all, s.comments[rid])
		}
	default:
		return s.objectMissing("get", id)
	}
	order := c.params.Get("order")
	if order == "" {
		order = "chronological"
	}
	if order != "chronological" && order != "reverse_chronological" {
		return s.badParam("Param order must be one of {chronological, reverse_chronological}")
	}
	fields, err := fieldsOr(c.params.Get("fields"), "created_time", "from", "message", "id")
	if err == nil {
		err = checkFields(fields, "Comment", commentFields...)
	}
	if err != nil {
		return s.badParam(err.Error())
	}
	limit, err := limitParam(c.params.Get("limit"))
	if err != nil {
		return s.badParam(err.Error())
	}
	since, until, err := timeBounds(c.params)
	if err != nil {
		return s.badParam(err.Error())
	}

	slices.SortFunc(all, func(a, b *comment) int { return cmpKey(a.key(), b.key()) })
	if order == "reverse_chronological" {
		slices.Reverse(all)
	}
	all = slices.DeleteFunc(all, func(cm *comment) bool {
		t := cm.CreatedTime
		return (!since.IsZero() && t.Before(since)) || (!until.IsZero() && t.After(until))
	})
	// before reports whether a comes before b in the requested order.
	before := func(a, b key) bool {
		if order == "reverse_chronological" {
			return b.less(a)
		}
		return a.less(b)
	}
	lo, hi := 0, len(all)
	switch {
	case c.params.Get("after") != "":
		k, ok := decodeKey(c.params.Get("after"))
		if !ok {
			return s.badParam("The after cursor is invalid")
		}
		for lo < len(all) && !before(k, all[lo].key()) {
			lo++
		}
		hi = min(lo+limit, len(all))
	case c.params.Get("before") != "":
		k, ok := decodeKey(c.params.Get("before"))
		if !ok {
			return s.badParam("The before cursor is invalid")
		}
		hi = 0
		for hi < len(all) && before(all[hi].key(), k) {
			hi++
		}
		lo = max(0, hi-limit)
	default:
		hi = min(limit, len(all))
	}
	window := all[lo:hi]

	data := []map[string]any{}
	for _, cm := range window {
		// Deleted comments keep their place in the paging, so a page may come back empty but
		// still carry a next link, as on the real API.
		if !cm.Deleted {
			data = append(data, s.renderComment(cm, fields, c.now))
		}
	}
	body := map[string]any{"data": data}
	if len(window) > 0 {
		first, last := window[0].key().encode(), window[len(window)-1].key().encode()
		paging := map[string]any{"cursors": map[string]string{"before": first, "after": last}}
		if hi < len(all) {
			paging["next"] = pagingLink(c, []string{"after", "before"}, url.Values{"after": {last}})
		}
		if lo > 0 {
			paging["previous"] = pagingLink(c, []string{"after", "before"}, url.Values{"before": {first}})
		}
		body["paging"] = paging
	}
	return response{status: http.StatusOK, body: body}
}

func cmpKey(a, b key) int {
	switch {
	case a.less(b):
		return -1
	case b.less(a):
		return 1
	}
	return 0
}

func timeBounds(params url.Values) (since, until time.Time, err error) {
	if v := params.Get("since"); v != "" {
		if since, err = parseTimeParam(v); err != nil {
			return since, until, fmt.Errorf("Param since must be a valid timestamp")
		}
	}
	if v := params.Get("until"); v != "" {
		if until, err = parseTimeParam(v); err != nil {
			return since, until, fmt.Errorf("Param until must be a valid timestamp")
		}
	}
	return since, until, nil
}

// listFeed serves GET /{page-id}/feed and /posts, newest first, paged by time: the links carry
// until or since with a __paging_token and there are no cursors.
func (s *Server) listFeed(c *call, pageID string) response {
	pg, ok := s.pages[pageID]
	if !ok {
		return s.objectMissing("get", pageID)
	}
	fields, err := fieldsOr(c.params.Get("fields"), "created_time", "message", "id")
	if err == nil {
		err = checkFields(fields, "Post", postFields...)
	}
	if err != nil {
		return s.badParam(err.Error())
	}
	limit, err := limitParam(c.params.Get("limit"))
	if err != nil {
		return s.badParam(err.Error())
	}
	since, until, err := timeBounds(c.params)
	if err != nil {
		return s.badParam(err.Error())
	}
	var all []*post
	for _, p := range pg.posts {
		t := p.CreatedTime
		if (!since.IsZero() && t.Before(since)) || (!until.IsZero() && t.After(until)) {
			continue
		}
		all = append(all, p)
	}
	slices.SortFunc(all, func(a, b *post) int { return cmpKey(b.key(), a.key()) })

	lo, hi := 0, min(limit, len(all))
	if tok := c.params.Get("__paging_token"); tok != "" {
		k, ok := decodeKey(tok)
		if !ok {
			return s.badParam("The paging token is invalid")
		}
		if c.params.Get("__previous") == "1" {
			hi = 0
			for hi < len(all) && k.less(all[hi].key()) {
				hi++
			}
			lo = max(0, hi-limit)
		} else {
			for lo < len(all) && !all[lo].key().less(k) {
				lo++
			}
			hi = min(lo+limit, len(all))
		}
	}
	window := all[lo:hi]
	data := []map[string]any{}
	for _, p := range window {
		data = append(data, s.renderPost(p, fields))
	}
	body := map[string]any{"data": data}
	if len(window) > 0 {
		drop := []string{"until", "__paging_token", "__previous"}
		first, last := window[0], window[len(window)-1]
		paging := map[string]any{
			"previous": pagingLink(c, append(drop, "since"), url.Values{
				"since":          {strconv.FormatInt(first.CreatedTime.Unix(), 10)},
				"__paging_token": {first.key().encode()},
				"__previous":     {"1"},
			}),
		}
		if hi < len(all) {
			paging["next"] = pagingLink(c, drop, url.Values{
				"until":          {strconv.FormatInt(last.CreatedTime.Unix(), 10)},
				"__paging_token": {last.key().encode()},
			})
		}
		body["paging"] = paging
	}
	return response{status: http.StatusOK, body: body}
}

// updateComment serves POST /{comment-id} with is_hidden.
func (s *Server) updateComment(c *call, id string) response {
	cm, ok := s.comments[id]
	if !ok || cm.Deleted {
		return s.objectMissing("post", id)
	}
	if cm.pageID != c.pageID {
		return s.permissionDenied()
	}
	// Facebook comments take is_hidden, Instagram comments hide.
	name := "is_hidden"
	v := c.params.Get(name)
	if v == "" {
		name = "hide"
		v = c.params.Get(name)
	}
	if v == "" {
		return s.badParam("No fields to update")
	}
	hidden, err := strconv.ParseBool(v)
	if err != nil {
		return s.badParam("Param " + name + " must be a boolean")
	}
	cm.Hidden = hidden
	kind := ActionHide
	if !hidden {
		kind = ActionUnhide
	}
	s.record(Action{Kind: kind, PageID: c.pageID, ObjectID: id, At: c.now})
	return response{status: http.StatusOK, body: map[string]bool{"success": true}}
}

// deleteComment serves DELETE /{comment-id}; deleting a comment takes its replies with it.
func (s *Server) deleteComment(c *call, id string) response {
	cm, ok := s.comments[id]
	if !ok || cm.Deleted {
		return s.objectMissing("delete", id)
	}
	if cm.pageID != c.pageID {
		return s.permissionDenied()
	}
	cm.Deleted = true
	for _, rid := range cm.Replies {
		s.comments[rid].Deleted = true
	}
	s.record(Action{Kind: ActionDelete, PageID: c.pageID, ObjectID: id, At: c.now})
	return response{status: http.StatusOK, body: map[string]bool{"success": true}}
}

// replyComment serves POST /{object-id}/comments: a comment on a post, or a reply in a comment's
// thread. Threads are two levels deep, so replying to a reply answers its top-level comment.
func (s *Server) replyComment(c *call, id string) response {
	var p *post
	parentID := ""
	if cm, ok := s.comments[id]; ok && !cm.Deleted {
		p = s.posts[cm.PostID]
		parentID = cm.ID
		if cm.ParentID != "" {
			parentID = cm.ParentID
		}
	} else if pp, ok := s.posts[id]; ok {
		p = pp
	} else {
		return s.objectMissing("post", id)
	}
	if p.pageID != c.pageID {
		return s.permissionDenied()
	}
	text := c.params.Get("message")
	if strings.TrimSpace(text) == "" {
		return s.badParam("Missing message or attachment")
	}
	pg := s.pages[c.pageID]
	reply := s.insertComment(p, Comment{
		ParentID:    parentID,
		Message:     text,
		From:        User{ID: pg.id, Name: pg.name},
		CreatedTime: c.now,
	})
	s.record(Action{Kind: ActionReply, PageID: c.pageID, ObjectID: id, Text: text, ResultID: reply.ID, At: c.now})
	return response{status: http.StatusOK, body: map[string]string{"id": reply.ID}}
}

// replyInstagram serves POST /{ig-comment-id}/replies: Instagram accepts replies to top-level,
// visible comments only.
func (s *Server) replyInstagram(c *call, id string) response {
	cm, ok := s.comments[id]
	if !ok || cm.Deleted {
		return s.objectMissing("post", id)
	}
	if cm.ParentID != "" || cm.Hidden {
		return s.badParam("Replies are only allowed on top-level comments that are not hidden")
	}
	return s.replyComment(c, id)
}

// privateReply serves POST /{page-id}/messages with recipient={"comment_id":…}: one message to a
// comment's author, once per comment, within seven days of the comment.
func (s *Server) privateReply(c *call, pageID string) response {
	if pageID != c.pageID {
		return s.permissionDenied()
	}
	var recipient struct {
		CommentID string `json:"comment_id"`
	}
	if err := json.Unmarshal([]byte(c.params.Get("recipient")), &recipient); err != nil || recipient.CommentID == "" {
		return s.badParam("Param recipient must be a JSON object with comment_id")
	}
	var message struct {
		Text string `json:"text"`
	}
	if err := json.Unmarshal([]byte(c.params.Get("message")), &message); err != nil {
		return s.badParam("Param message must be a JSON object")
	}
	if strings.TrimSpace(message.Text) == "" {
		return s.badParam("Message cannot be empty, must provide valid attachment or text")
	}
	cm, ok := s.comments[recipient.CommentID]
	if !ok || cm.Deleted || cm.pageID != pageID {
		return s.graphErr(http.StatusBadRequest, 100, 2018001, "OAuthException", msgNoUser)
	}
	if cm.PrivateReply != "" {
		return s.graphErr(http.StatusBadRequest, 10900, 0, "OAuthException", msgReplied)
	}
	if c.now.Sub(cm.CreatedTime) > PrivateReplyWindow {
		return s.graphErr(http.StatusBadRequest, 10, 2018278, "OAuthException", msgOutOfWindow)
	}
	pg := s.pages[pageID]
	pg.privateReplies = slices.DeleteFunc(pg.privateReplies, func(t time.Time) bool {
		return c.now.Sub(t) >= s.opts.Window
	})
	if len(pg.privateReplies) >= s.opts.PrivateReplyLimit {
		return s.graphErr(http.StatusBadRequest, 613, 0, "OAuthException", msgRate613)
	}
	pg.privateReplies = append(pg.privateReplies, c.now)
	cm.PrivateReply = message.Text
	s.seq++
	msgID := "m_" + base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "fakegraph-message-%d", s.seq))
	s.record(Action{Kind: ActionPrivateReply, PageID: pageID, ObjectID: cm.ID, Text: message.Text, ResultID: msgID, At: c.now})
	return response{status: http.StatusOK, body: map[string]string{
		"recipient_id": pageScopedID(pageID, cm.From.ID),
		"message_id":   msgID,
	}}
}

// pageScopedID derives a stable numeric page-scoped ID for a user, as Messenger assigns one per
// Page.
func pageScopedID(pageID, userID string) string {
	h := fnv.New64a()
	h.Write([]byte(pageID + "/" + userID))
	return strconv.FormatUint(h.Sum64()%9e15+1e15, 10)
}

// block serves POST /{page-id}/blocked with user=.
func (s *Server) block(c *call, pageID string) response {
	if pageID != c.pageID {
		return s.permissionDenied()
	}
	user := c.params.Get("user")
	if user == "" {
		return s.badParam("The parameter user is required")
	}
	pg := s.pages[pageID]
	if !slices.Contains(pg.blocked, user) {
		pg.blocked = append(pg.blocked, user)
	}
	s.record(Action{Kind: ActionBlock, PageID: pageID, ObjectID: user, At: c.now})
	return response{status: http.StatusOK, body: map[string]bool{user: true}}
}
