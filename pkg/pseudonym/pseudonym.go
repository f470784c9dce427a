// Package pseudonym replaces platform user ids with keyed hashes, so that logs, traces, metrics
// and Redis keys never carry a raw user id, while the same user always maps to the same pseudonym
// under one key. Only the holder of the key can link a pseudonym back to a known id.
package pseudonym

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// MinKeyLen is the shortest key accepted, in bytes.
const MinKeyLen = 16

// Keyed computes pseudonyms with HMAC-SHA256 under a secret key.
type Keyed struct {
	key []byte
}

// New returns a Keyed for key.
func New(key []byte) (*Keyed, error) {
	if len(key) < MinKeyLen {
		return nil, fmt.Errorf("pseudonym key has %d bytes, need at least %d", len(key), MinKeyLen)
	}
	return &Keyed{key: append([]byte(nil), key...)}, nil
}

// Of returns the pseudonym of a platform user of a tenant: "u" followed by 24 hex digits.
// The tenant and platform are part of the input, so the same person on two Comuni's pages is two
// unlinkable pseudonyms.
func (k *Keyed) Of(tenant, platform, userID string) string {
	m := hmac.New(sha256.New, k.key)
	m.Write([]byte(tenant))
	m.Write([]byte{0})
	m.Write([]byte(platform))
	m.Write([]byte{0})
	m.Write([]byte(userID))
	return "u" + hex.EncodeToString(m.Sum(nil)[:12])
}

// LoadKey reads the key: from the file named by PIAZZA_PSEUDONYM_KEY_FILE, else from
// PIAZZA_PSEUDONYM_KEY (hex). A file may hold hex (as `openssl rand -hex 32` writes) or raw bytes.
func LoadKey(getenv func(string) string) ([]byte, error) {
	if path := getenv("PIAZZA_PSEUDONYM_KEY_FILE"); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read pseudonym key file: %w", err)
		}
		return decode(b), nil
	}
	if v := getenv("PIAZZA_PSEUDONYM_KEY"); v != "" {
		return decode([]byte(v)), nil
	}
	return nil, errors.New("no pseudonym key: set PIAZZA_PSEUDONYM_KEY_FILE (e.g. to a file made with `openssl rand -hex 32`)")
}

func decode(b []byte) []byte {
	s := strings.TrimSpace(string(b))
	if h, err := hex.DecodeString(s); err == nil && len(h) >= MinKeyLen {
		return h
	}
	return []byte(s)
}

// LoadOrCreateKeyFile reads a key file, creating it with a fresh random key (mode 0600) when it
// does not exist. `piazza up` uses it under ./var so that a newcomer needs no setup.
func LoadOrCreateKeyFile(path string) ([]byte, error) {
	if b, err := os.ReadFile(path); err == nil {
		return decode(b), nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read pseudonym key: %w", err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("generate pseudonym key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create key dir: %w", err)
	}
	if err := os.WriteFile(path, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write pseudonym key: %w", err)
	}
	return key, nil
}
