// Package rules is Piazza's Italian comment classifier: a pure-Go rules
// engine that labels a citizen's comment with the categories of the
// taxonomy (profanity, blasphemy, insult, hate, threat, political,
// commercial, spam, personal_data, illegal, off_topic, request, emergency)
// and, for requests, the topic that tells which office must answer.
//
// A comment is first folded by Normalize (Unicode NFKC, case and accents,
// Cyrillic and Greek look-alikes, leetspeak, letters split by spaces, dots
// or emoji, repeated letters, chat abbreviations), keeping a map back to the
// original bytes so that every piece of evidence points into Input.Text.
// The project's own Italian lexicons are then matched in one pass by an
// Aho–Corasick automaton, and detectors combine the hits: a holy name next
// to an insult is blasphemy, an insult needs a person as target, a slur or
// a derogatory predicate needs a protected group, identifiers are validated
// (codice fiscale check character, IBAN mod-97, phone number shapes).
// Finally the taxonomy's multi-label conventions are applied.
//
// An Engine is built once with NewEngine and is safe for concurrent use.
package rules
