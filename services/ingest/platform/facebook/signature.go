package facebook

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/url"
	"strings"
)

// signaturePrefix starts the X-Hub-Signature-256 header value.
const signaturePrefix = "sha256="

// SignBody returns the X-Hub-Signature-256 header value Meta sends with a webhook delivery of
// body: "sha256=" and the hex HMAC-SHA256 of the raw body keyed with the app secret.
func SignBody(appSecret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(appSecret))
	m.Write(body)
	return signaturePrefix + hex.EncodeToString(m.Sum(nil))
}

// VerifySignature reports whether header, the X-Hub-Signature-256 value of a webhook delivery,
// signs the raw body with the app secret. It compares in constant time and rejects an empty
// secret, a missing or malformed header and a truncated signature.
func VerifySignature(appSecret string, body []byte, header string) bool {
	if appSecret == "" || len(header) < len(signaturePrefix) || !strings.EqualFold(header[:len(signaturePrefix)], signaturePrefix) {
		return false
	}
	got, err := hex.DecodeString(header[len(signaturePrefix):])
	if err != nil || len(got) != sha256.Size {
		return false
	}
	m := hmac.New(sha256.New, []byte(appSecret))
	m.Write(body)
	return hmac.Equal(got, m.Sum(nil))
}

// VerifyChallenge answers the webhook subscription handshake: for
// hub.mode=subscribe with the configured verify token it returns hub.challenge, to be echoed as
// the plain response body; otherwise ok is false and the endpoint must answer 403.
func VerifyChallenge(query url.Values, verifyToken string) (challenge string, ok bool) {
	if verifyToken == "" || query.Get("hub.mode") != "subscribe" {
		return "", false
	}
	if subtle.ConstantTimeCompare([]byte(query.Get("hub.verify_token")), []byte(verifyToken)) != 1 {
		return "", false
	}
	challenge = query.Get("hub.challenge")
	return challenge, challenge != ""
}
