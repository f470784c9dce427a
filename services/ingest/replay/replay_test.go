package replay

import (
	"errors"
	"strings"
	"testing"

	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
)

func TestReadSkipsBadLinesAndKeepsTheRest(t *testing.T) {
	in := strings.Join([]string{
		`{"id":"a","tenant":"monza","channel":"comment","post_text":"Lavori","text":"Quando riaprite via Italia?","author":{"name":"Giulia B.","anonymous":false},"labels":["request"],"topic":"roads"}`,
		`{"id":"b","tenant":"monza","text":"ok"`,
		``,
		`{"id":"c","tenant":"Monza","text":"x"}`,
		`{"id":"d","tenant":"bussero","channel":"private_message","platform":"facebook","page_id":"bussero-fb","text":"Buongiorno","created_at":"2026-11-02T10:00:00+01:00","author":{"id":"42","name":"Anna"}}`,
		`{"id":"e","tenant":"bussero","text":"   "}`,
	}, "\n")
	var got []*commentv1.Comment
	skipped, err := Read(strings.NewReader(in), func(line int, c *commentv1.Comment) error {
		got = append(got, c)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].GetCommentId() != "a" || got[1].GetCommentId() != "d" {
		t.Fatalf("read %v, want a and d", got)
	}
	var lines []int
	for _, s := range skipped {
		lines = append(lines, s.Line)
	}
	if len(lines) != 3 || lines[0] != 2 || lines[1] != 4 || lines[2] != 6 {
		t.Errorf("skipped lines %v, want [2 4 6]", lines)
	}
	a, d := got[0], got[1]
	if a.GetPlatform() != commentv1.Platform_PLATFORM_REPLAY || a.GetAuthor().GetId() != "name:Giulia B." || a.GetPostText() != "Lavori" {
		t.Errorf("comment a = %v", a)
	}
	if d.GetChannel() != commentv1.Channel_CHANNEL_PRIVATE_MESSAGE || d.GetPlatform() != commentv1.Platform_PLATFORM_FACEBOOK ||
		d.GetCreatedAt().AsTime().UTC().Hour() != 9 || d.GetAuthor().GetId() != "42" {
		t.Errorf("comment d = %v", d)
	}
}

func TestReadStopsWhenTheCallbackFails(t *testing.T) {
	stop := errors.New("stop")
	_, err := Read(strings.NewReader(`{"id":"a","tenant":"monza","text":"x"}`+"\n"+`{"id":"b","tenant":"monza","text":"y"}`), func(int, *commentv1.Comment) error { return stop })
	if !errors.Is(err, stop) {
		t.Errorf("error %v, want stop", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"id":"a","tenant":"monza","text":"ciao","created_at":"2026-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"id":1}`))
	f.Add([]byte("\xff\xfe"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Parse(b)
		if err == nil && (c.GetCommentId() == "" || c.GetTenant() == "" || c.GetText() == "") {
			t.Errorf("accepted an incomplete comment: %v", c)
		}
	})
}
