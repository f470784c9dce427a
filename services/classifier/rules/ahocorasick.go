package rules

// alphabetSize counts the symbols of the folded text: 26 letters, 10
// digits, the space, and one symbol for anything else.
const alphabetSize = 38

func symbol(c byte) int32 {
	switch {
	case c >= 'a' && c <= 'z':
		return int32(c - 'a')
	case c >= '0' && c <= '9':
		return int32(c-'0') + 26
	case c == ' ':
		return 36
	}
	return 37
}

// matcher is an Aho–Corasick automaton with a dense transition table, so
// that matching is one table lookup per byte.
type matcher struct {
	next []int32   // state*alphabetSize + symbol -> state
	out  [][]int32 // state -> pattern indices ending here (suffix outputs merged)
	lens []int32   // pattern index -> length in bytes
}

// newMatcher compiles the patterns; duplicates are allowed.
func newMatcher(patterns []string) *matcher {
	m := &matcher{lens: make([]int32, len(patterns))}
	m.next = make([]int32, alphabetSize)
	m.out = append(m.out, nil)
	for i := range m.next {
		m.next[i] = -1
	}
	for pi, p := range patterns {
		m.lens[pi] = int32(len(p))
		s := int32(0)
		for k := 0; k < len(p); k++ {
			sym := symbol(p[k])
			n := m.next[s*alphabetSize+sym]
			if n < 0 {
				n = int32(len(m.out))
				m.out = append(m.out, nil)
				for a := 0; a < alphabetSize; a++ {
					m.next = append(m.next, -1)
				}
				m.next[s*alphabetSize+sym] = n
			}
			s = n
		}
		m.out[s] = append(m.out[s], int32(pi))
	}
	fail := make([]int32, len(m.out))
	queue := make([]int32, 0, len(m.out))
	for a := int32(0); a < alphabetSize; a++ {
		n := m.next[a]
		if n < 0 {
			m.next[a] = 0
			continue
		}
		fail[n] = 0
		queue = append(queue, n)
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		if f := fail[s]; len(m.out[f]) > 0 {
			merged := make([]int32, 0, len(m.out[s])+len(m.out[f]))
			merged = append(merged, m.out[s]...)
			m.out[s] = append(merged, m.out[f]...)
		}
		for a := int32(0); a < alphabetSize; a++ {
			n := m.next[s*alphabetSize+a]
			if n < 0 {
				m.next[s*alphabetSize+a] = m.next[fail[s]*alphabetSize+a]
				continue
			}
			fail[n] = m.next[fail[s]*alphabetSize+a]
			queue = append(queue, n)
		}
	}
	return m
}

// scan calls fn for every occurrence of every pattern in text, with the
// pattern index and the byte range of the occurrence.
func (m *matcher) scan(text []byte, fn func(pat int32, start, end int)) {
	s := int32(0)
	for i := 0; i < len(text); i++ {
		s = m.next[s*alphabetSize+symbol(text[i])]
		for _, p := range m.out[s] {
			fn(p, i+1-int(m.lens[p]), i+1)
		}
	}
}
