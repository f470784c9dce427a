package policy

import "slices"

// The closed vocabularies of policy files. Codes come from the shared taxonomy (categories and
// topics) and from the enforcer's and router's capabilities (actions, escalation steps).
var (
	// violationCategories are the taxonomy categories a tenant may enforce. request and
	// emergency are taxonomy labels too, but they are routed, never sanctioned.
	violationCategories = []string{
		"blasphemy", "commercial", "hate", "illegal", "insult", "off_topic",
		"personal_data", "political", "profanity", "spam", "threat",
	}
	routedCategories = []string{"request", "emergency"}
	topics           = []string{
		"animals", "business", "culture", "general", "green", "lighting", "registry",
		"roads", "schools", "social", "taxes", "traffic", "waste", "water",
	}
	actions          = []string{"warn", "hide", "delete", "block", "report_platform", "report_police", "review"}
	platforms        = []string{"facebook", "instagram", "youtube", "mastodon", "replay"}
	escalationSteps  = []string{"remind_office", "office_head", "urp", "potere_sostitutivo", "tell_citizen"}
	placeholderNames = []string{
		"office", "head", "answer", "article", "title", "istanze_url", "emergency", "comune",
		"deadline", "request_id",
	}
	// requiredTemplates must exist after merging; each maps to the placeholders it must use.
	requiredTemplates = map[string][]string{
		"ack":               nil,
		"interim":           nil,
		"answer":            {"office", "head", "answer"},
		"emergency":         {"emergency"},
		"istanza":           {"istanze_url"},
		"anonymous_refused": nil,
		"warning":           {"article"},
	}
	// optionalTemplates may be present: redirect is the reply of tenants whose Routing.Mode is
	// "redirect" (and is then required); late tells the citizen whom to contact when the office
	// has not answered in time (Monza 3.G.2), used by the tell_citizen escalation step.
	optionalTemplates = map[string][]string{
		"redirect": {"office"},
		"late":     {"office"},
	}
	weekdays = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
)

// Categories returns the taxonomy codes a tenant may enforce, sorted.
func Categories() []string { return slices.Clone(violationCategories) }

// Topics returns the taxonomy's request topic codes, sorted.
func Topics() []string { return slices.Clone(topics) }

// Actions returns the action codes allowed in sanction ladders.
func Actions() []string { return slices.Clone(actions) }

// isCode reports whether s is a lowercase identifier: [a-z][a-z0-9_-]*, or without '-' when
// dash is false.
func isCode(s string, dash bool) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_':
		case c == '-' && dash:
		default:
			return false
		}
	}
	return true
}

// isPlaceholderName reports whether s can name a template placeholder.
func isPlaceholderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if (s[i] < 'a' || s[i] > 'z') && s[i] != '_' {
			return false
		}
	}
	return true
}

// RoutedCategory reports whether a taxonomy category is one routing handles (a request, an
// emergency) rather than one a tenant sanctions.
func RoutedCategory(code string) bool { return slices.Contains(routedCategories, code) }
