package mastodon

import (
	"html"
	"strings"
)

// HTMLToText turns a status's sanitised HTML content into plain text: paragraphs become blank
// lines, <br> a newline, every other tag is dropped with its text kept, and entities are
// decoded. Mastodon's sanitiser allows only simple inline markup, so a tag scanner suffices.
func HTMLToText(content string) string {
	var b strings.Builder
	for len(content) > 0 {
		lt := strings.IndexByte(content, '<')
		if lt < 0 {
			b.WriteString(content)
			break
		}
		b.WriteString(content[:lt])
		gt := strings.IndexByte(content[lt:], '>')
		if gt < 0 {
			b.WriteString(content[lt:]) // a lone "<" is text
			break
		}
		tag := strings.ToLower(strings.TrimSpace(content[lt+1 : lt+gt]))
		name := strings.TrimPrefix(tag, "/")
		if i := strings.IndexAny(name, " \t\n/"); i >= 0 {
			name = name[:i]
		}
		switch {
		case name == "br":
			b.WriteString("\n")
		case name == "p" && strings.HasPrefix(tag, "/"):
			b.WriteString("\n\n")
		}
		content = content[lt+gt+1:]
	}
	return strings.TrimSpace(html.UnescapeString(b.String()))
}
