// Package demo bundles the comments `piazza up --demo` replays: a few dozen original Italian
// comments to the five Comuni's pages, in the labelled-data format.
package demo

import _ "embed"

// Comments is the bundled JSON Lines file.
//
//go:embed comments.jsonl
var Comments []byte
