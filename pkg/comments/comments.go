// Package comments holds the conventions every service applies to the Comment event: platform
// names as they appear in ids and keys, and the deduplicating message id.
package comments

import (
	"strings"

	actionv1 "github.com/piazza-pa/piazza/proto/gen/piazza/action/v1"
	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
)

// PlatformName is the lower-case name of a platform ("facebook"), as used in message ids,
// Redis keys and tenant files.
func PlatformName(p commentv1.Platform) string {
	return strings.ToLower(strings.TrimPrefix(p.String(), "PLATFORM_"))
}

// ParsePlatform reads a platform name; ok is false for an unknown one.
func ParsePlatform(name string) (commentv1.Platform, bool) {
	v, ok := commentv1.Platform_value["PLATFORM_"+strings.ToUpper(strings.TrimSpace(name))]
	if !ok || v == 0 {
		return commentv1.Platform_PLATFORM_UNSPECIFIED, false
	}
	return commentv1.Platform(v), true
}

// MessageID is the deduplicating message id of a comment: "<platform>:<comment id>".
func MessageID(c *commentv1.Comment) string {
	return PlatformName(c.GetPlatform()) + ":" + c.GetCommentId()
}

// KindName is the lower-case name of an action kind ("private_reply").
func KindName(k actionv1.Kind) string {
	return strings.ToLower(strings.TrimPrefix(k.String(), "KIND_"))
}
