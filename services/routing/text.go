package routing

import (
	"regexp"
	"strings"

	routingv1 "github.com/piazza-pa/piazza/proto/gen/piazza/routing/v1"
)

// The verdict says whether a comment is a request and on which topic, but not what sort of
// request it is. These Italian patterns, on the lowercased text, add what routing needs. They
// are deliberately conservative: a wrong "istanza" would send a citizen away without opening a
// request, so only explicit wordings count.
var (
	// istanzaPattern matches a citizen who wants to file a formal application (an istanza,
	// L. 241/1990) through the social channel: those are filed on the website, never here.
	istanzaPattern = regexp.MustCompile(`\b(` +
		`accesso (civico |generalizzato )?agli atti|` +
		`(presentare|presento|presentato|inoltrare|inviare|fare|faccio|depositare) (l'|un'|una |la |questa |mia )?(istanza|domanda|richiesta formale)|` +
		`(la mia|una|questa|un') ?istanza\b|` +
		`come (si )?(presento|presenta|faccio|fa|compilo|compila) (la |una )?(domanda|istanza|pratica|richiesta di)|` +
		`domanda di (iscrizione|contributo|rimborso|concessione|autorizzazione|agevolazione|esenzione|partecipazione|ammissione|assegnazione|occupazione)|` +
		`(dove|come) (trovo|scarico|si scarica|si trova|posso trovare|compilo|si compila) (il |la )?(modulo|modulistica)|` +
		`(allego|allegato|invio|mando) (il |la )?(modulo|domanda|istanza)` +
		`)`)

	complaintPattern = regexp.MustCompile(`\b(` +
		`reclamo|vergogna|vergognoso|inaccettabile|inammissibile|scandal|` +
		`(nessuno|mai nessuno) (mi )?(risponde|ha risposto)|` +
		`(è|e') la (seconda|terza|quarta|ennesima) volta|` +
		`ancora una volta|da (mesi|settimane|anni)|mi lamento|protesto|disservizio|` +
		`non è (possibile|accettabile)` +
		`)`)

	reportPattern = regexp.MustCompile(`\b(` +
		`segnal|c'è una|c'è un|ci sono (delle|dei|degli)|` +
		`buca|buche|rott|guast|spent|abbandonat|perdita|allagat|intasat|pericolos|` +
		`non funziona|non passa|non è passat|danneggiat|crollat|caduto|caduta` +
		`)`)

	// placePattern finds a street or square: the keyword and up to three words that follow.
	placePattern = regexp.MustCompile(`\b((?i:via|viale|piazza|piazzale|corso|largo|vicolo|strada|località|loc\.))\s+((?:(?:de|del|della|dei|degli|delle|di|da|d'|san|santa|don)\s+)?[\p{Lu}][\p{L}'’]+(?:\s+[\p{Lu}][\p{L}'’]+){0,2})`)
)

// Every match of these patterns contains one of its keywords: a text without any cannot
// match, and strings.Contains rules it out before the regexp runs. The patterns begin with an
// alternation, which Go's regexp tries at every position of the text: about 50 µs a request
// for the three of them, 4% of the CPU of a saturated pipeline. FuzzKeywordGates checks that
// the gates change no answer.
var (
	istanzaKeywords   = []string{"atti", "istanza", "domanda", "richiesta", "pratica", "modul"}
	complaintKeywords = []string{"reclamo", "vergogn", "accettabile", "ammissibile", "scandal", "rispo", "volta", "mesi", "settimane", "anni", "lamento", "protesto", "disservizio", "non è"}
	reportKeywords    = []string{"segnal", "c'è", "ci sono", "buca", "buche", "rott", "guast", "spent", "abbandonat", "perdita", "allagat", "intasat", "pericolos", "non ", "danneggiat", "crollat", "cadut"}
	// placeKeywords are lowercase; the pattern's keyword is case-insensitive, which in Go's
	// regexp also folds the long s (ſ) to s, so a text with one skips the gate.
	placeKeywords = []string{"via", "piazza", "corso", "largo", "vicolo", "strada", "località", "loc."}
)

// containsAny reports whether s contains one of the keywords.
func containsAny(s string, keywords []string) bool {
	for _, k := range keywords {
		if strings.Contains(s, k) {
			return true
		}
	}
	return false
}

// IsIstanza reports whether text asks to file a formal application.
func IsIstanza(text string) bool { return isIstanza(strings.ToLower(text)) }

// isIstanza is IsIstanza on the lowercased text: a disposal lowercases a text once for the
// three questions.
func isIstanza(low string) bool {
	return containsAny(low, istanzaKeywords) && istanzaPattern.MatchString(low)
}

// KindOf tells a complaint from a report from a request for information.
func KindOf(text string) routingv1.Kind { return kindOf(strings.ToLower(text)) }

func kindOf(low string) routingv1.Kind {
	switch {
	case containsAny(low, complaintKeywords) && complaintPattern.MatchString(low):
		return routingv1.Kind_KIND_COMPLAINT
	case containsAny(low, reportKeywords) && reportPattern.MatchString(low):
		return routingv1.Kind_KIND_REPORT
	default:
		return routingv1.Kind_KIND_INFORMATION
	}
}

// PlaceOf returns the first street or square the text names, lowercased ("via borgazzi"), or
// "" when it names none. It counts recurring problems by place.
func PlaceOf(text string) string { return placeOf(text, strings.ToLower(text)) }

// placeOf is PlaceOf given the text lowercased too.
func placeOf(text, low string) string {
	if !strings.ContainsRune(text, 'ſ') && !containsAny(low, placeKeywords) {
		return ""
	}
	m := placePattern.FindStringSubmatch(text)
	if m == nil {
		return ""
	}
	kw := strings.ToLower(m[1])
	if kw == "loc." {
		kw = "località"
	}
	return kw + " " + strings.ToLower(strings.Join(strings.Fields(m[2]), " "))
}
