package comments

import (
	"testing"

	actionv1 "github.com/piazza-pa/piazza/proto/gen/piazza/action/v1"
	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
)

func TestNames(t *testing.T) {
	for name, want := range map[string]commentv1.Platform{"facebook": commentv1.Platform_PLATFORM_FACEBOOK, "YouTube": commentv1.Platform_PLATFORM_YOUTUBE, " mastodon ": commentv1.Platform_PLATFORM_MASTODON} {
		got, ok := ParsePlatform(name)
		if !ok || got != want {
			t.Errorf("ParsePlatform(%q) = %v %v, want %v", name, got, ok, want)
		}
	}
	for _, bad := range []string{"", "unspecified", "myspace"} {
		if _, ok := ParsePlatform(bad); ok {
			t.Errorf("ParsePlatform(%q) accepted", bad)
		}
	}
	c := &commentv1.Comment{Platform: commentv1.Platform_PLATFORM_INSTAGRAM, CommentId: "178"}
	if got := MessageID(c); got != "instagram:178" {
		t.Errorf("MessageID = %q", got)
	}
	if got := KindName(actionv1.Kind_KIND_PRIVATE_REPLY); got != "private_reply" {
		t.Errorf("KindName = %q", got)
	}
}
