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
	if name, ok := platformNames[p]; ok {
		return name
	}
	return strings.ToLower(strings.TrimPrefix(p.String(), "PLATFORM_"))
}

// platformNames and kindNames hold the names of the enums' known values, so that the names
// every message id and metric needs are not built again each time.
var (
	platformNames = enumNames(commentv1.Platform_name, func(v int32) commentv1.Platform { return commentv1.Platform(v) }, "PLATFORM_")
	kindNames     = enumNames(actionv1.Kind_name, func(v int32) actionv1.Kind { return actionv1.Kind(v) }, "KIND_")
)

func enumNames[E comparable](names map[int32]string, of func(int32) E, prefix string) map[E]string {
	out := make(map[E]string, len(names))
	for v, name := range names {
		out[of(v)] = strings.ToLower(strings.TrimPrefix(name, prefix))
	}
	return out
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
	if name, ok := kindNames[k]; ok {
		return name
	}
	return strings.ToLower(strings.TrimPrefix(k.String(), "KIND_"))
}
