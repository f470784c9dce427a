package facebook

import (
	"net/url"
	"strings"
	"testing"
)

func TestVerifySignature(t *testing.T) {
	const secret = "app-secret"
	body := []byte(`{"object":"page","entry":[{"id":"104","time":1678886400,"changes":[{"field":"feed","value":{"item":"comment","verb":"add","comment_id":"9_1","message":"è così"}}]}]}`)
	valid := SignBody(secret, body)
	// The expected value was computed outside Go, with
	// printf hello | openssl dgst -sha256 -hmac app-secret.
	const want = "sha256=ad5c6aa52b4bf4d1955ccd07b1393163fa5aa461e01cedabf58a512035063c49"
	if got := SignBody(secret, []byte("hello")); got != want {
		t.Fatalf("SignBody = %q, want %q", got, want)
	}
	tests := []struct {
		name   string
		secret string
		body   []byte
		header string
		want   bool
	}{
		{"valid", secret, body, valid, true},
		{"valid upper-case hex", secret, body, "sha256=" + strings.ToUpper(strings.TrimPrefix(valid, "sha256=")), true},
		{"missing", secret, body, "", false},
		{"prefix only", secret, body, "sha256=", false},
		{"wrong secret", "other", body, valid, false},
		{"tampered body", secret, append([]byte(" "), body...), valid, false},
		{"truncated", secret, body, valid[:len(valid)-2], false},
		{"odd length", secret, body, valid[:len(valid)-1], false},
		{"too long", secret, body, valid + "00", false},
		{"sha1 header", secret, body, "sha1=" + strings.TrimPrefix(valid, "sha256="), false},
		{"no prefix", secret, body, strings.TrimPrefix(valid, "sha256="), false},
		{"not hex", secret, body, "sha256=" + strings.Repeat("zz", 32), false},
		{"empty secret", "", body, SignBody("", body), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := VerifySignature(tt.secret, tt.body, tt.header); got != tt.want {
				t.Errorf("VerifySignature = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestVerifyChallenge(t *testing.T) {
	tests := []struct {
		name  string
		query string
		want  string
		ok    bool
	}{
		{"valid", "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=piazza", "1158201444", true},
		{"wrong token", "hub.mode=subscribe&hub.challenge=1&hub.verify_token=nope", "", false},
		{"wrong mode", "hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=piazza", "", false},
		{"no challenge", "hub.mode=subscribe&hub.verify_token=piazza", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, _ := url.ParseQuery(tt.query)
			got, ok := VerifyChallenge(q, "piazza")
			if got != tt.want || ok != tt.ok {
				t.Errorf("got %q %v, want %q %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}
