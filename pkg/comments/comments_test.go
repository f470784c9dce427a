package comments

import (
	"strings"
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

// The names kept for the enums' values are the names built from them, and values the enums do
// not know (a newer peer's) still get one.
func TestNamesOfEveryValue(t *testing.T) {
	for v := range int32(len(commentv1.Platform_name) + 2) {
		p := commentv1.Platform(v)
		if got, want := PlatformName(p), strings.ToLower(strings.TrimPrefix(p.String(), "PLATFORM_")); got != want {
			t.Errorf("PlatformName(%d) = %q, want %q", v, got, want)
		}
		if back, ok := ParsePlatform(PlatformName(p)); v > 0 && int(v) < len(commentv1.Platform_name) && (!ok || back != p) {
			t.Errorf("ParsePlatform(PlatformName(%v)) = %v %v", p, back, ok)
		}
	}
	for v := range int32(len(actionv1.Kind_name) + 2) {
		k := actionv1.Kind(v)
		if got, want := KindName(k), strings.ToLower(strings.TrimPrefix(k.String(), "KIND_")); got != want {
			t.Errorf("KindName(%d) = %q, want %q", v, got, want)
		}
	}
	if got := PlatformName(commentv1.Platform(99)); got != "99" {
		t.Errorf("PlatformName(99) = %q, want \"99\"", got)
	}
}
