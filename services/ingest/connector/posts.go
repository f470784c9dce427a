package connector

import (
	"context"
	"sync"
)

// PostTexts caches the text of the posts comments answer, so each post is fetched once. It
// holds at most Max entries and forgets the oldest first. It is safe for concurrent use.
type PostTexts struct {
	// Max bounds the entries; 10000 when zero.
	Max int

	mu    sync.Mutex
	m     map[string]string
	order []string
}

// Put records the text of a post.
func (p *PostTexts) Put(key, text string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[string]string{}
	}
	if _, ok := p.m[key]; !ok {
		p.order = append(p.order, key)
	}
	p.m[key] = text
	limit := p.Max
	if limit <= 0 {
		limit = 10000
	}
	for len(p.order) > limit {
		delete(p.m, p.order[0])
		p.order = p.order[1:]
	}
}

// Get returns the text of a post, fetching and caching it when missing. A fetch error is
// returned and nothing is cached, so the next comment tries again.
func (p *PostTexts) Get(ctx context.Context, key string, fetch func(context.Context) (string, error)) (string, error) {
	p.mu.Lock()
	text, ok := p.m[key]
	p.mu.Unlock()
	if ok {
		return text, nil
	}
	text, err := fetch(ctx)
	if err != nil {
		return "", err
	}
	p.Put(key, text)
	return text, nil
}

// Lookup returns the cached text of a post without fetching it.
func (p *PostTexts) Lookup(key string) (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	text, ok := p.m[key]
	return text, ok
}
