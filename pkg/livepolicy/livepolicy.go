// Package livepolicy keeps the tenants' policy files loaded and reloads them when they change,
// without a restart. A directory that stops validating keeps the last good set in force, and the
// error is reported, so a typo in one Comune's file never takes moderation down.
package livepolicy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/piazza-pa/piazza/pkg/policy"
)

// Set is the policy set currently in force.
type Set struct {
	dir         string
	current     atomic.Pointer[policy.Set]
	fingerprint string

	mu      sync.Mutex
	lastErr error
}

// Load loads dir once; the result fails when the directory is not valid.
func Load(dir string) (*Set, error) {
	s := &Set{dir: dir}
	fp, err := fingerprint(dir)
	if err != nil {
		return nil, err
	}
	set, err := policy.LoadDir(dir)
	if err != nil {
		return nil, err
	}
	s.current.Store(set)
	s.fingerprint = fp
	return s, nil
}

// Static wraps an already loaded set that never reloads.
func Static(set *policy.Set) *Set {
	s := &Set{}
	s.current.Store(set)
	return s
}

// Tenant returns a tenant of the set in force.
func (s *Set) Tenant(code string) (*policy.Tenant, bool) { return s.current.Load().Tenant(code) }

// Current returns the set in force.
func (s *Set) Current() *policy.Set { return s.current.Load() }

// LastError is the error of the last reload attempt, nil when it succeeded.
func (s *Set) LastError() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastErr
}

// Reload reloads the directory when its files changed; it reports whether a new set is in force.
// On a validation error the previous set stays in force and the error is returned.
func (s *Set) Reload() (bool, error) {
	if s.dir == "" {
		return false, nil
	}
	fp, err := fingerprint(s.dir)
	if err != nil {
		s.setErr(err)
		return false, err
	}
	if fp == s.fingerprint {
		return false, nil
	}
	set, err := policy.LoadDir(s.dir)
	if err != nil {
		s.fingerprint = fp // report a bad version once, not on every tick
		s.setErr(err)
		return false, err
	}
	s.current.Store(set)
	s.fingerprint = fp
	s.setErr(nil)
	return true, nil
}

func (s *Set) setErr(err error) {
	s.mu.Lock()
	s.lastErr = err
	s.mu.Unlock()
}

// Watch reloads every interval until ctx ends, logging what happened.
func (s *Set) Watch(ctx context.Context, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			changed, err := s.Reload()
			switch {
			case err != nil:
				log.ErrorContext(ctx, "policy reload refused; the last good policies stay in force", "dir", s.dir, "err", err)
			case changed:
				log.InfoContext(ctx, "policies reloaded", "dir", s.dir, "tenants", len(s.Current().Tenants()))
			}
		}
	}
}

// fingerprint hashes the names, sizes and modification times of the YAML files of dir.
func fingerprint(dir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("read policy dir: %w", err)
	}
	var lines []string
	for _, e := range entries {
		if e.IsDir() || !(strings.HasSuffix(e.Name(), ".yaml") || strings.HasSuffix(e.Name(), ".yml")) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			return "", fmt.Errorf("stat %s: %w", filepath.Join(dir, e.Name()), err)
		}
		lines = append(lines, fmt.Sprintf("%s %d %d", e.Name(), info.Size(), info.ModTime().UnixNano()))
	}
	sort.Strings(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return hex.EncodeToString(sum[:]), nil
}
