package routing

import (
	"strings"
	"testing"

	routingv1 "github.com/piazza-pa/piazza/proto/gen/piazza/routing/v1"
)

// The keyword gates must never change an answer: with and without them, every text gets the
// same istanza flag, kind and place.
func FuzzKeywordGates(f *testing.F) {
	for _, s := range []string{
		"Vorrei fare una richiesta di accesso civico agli atti", "Come presento la domanda per il contributo affitti?",
		"Dove trovo il modulo per il passo carraio?", "Vi allego la domanda di iscrizione al nido", "Ho presentato un'istanza a settembre",
		"Domanda di contributo per le associazioni", "Come si compila la pratica?", "questa istanza", "inviare una richiesta formale",
		"Nessuno mi risponde", "È la terza volta che scrivo", "e' la seconda volta", "ancora una volta", "da mesi", "da settimane", "da anni",
		"RECLAMO", "Vergognoso", "è inaccettabile", "inammissibile", "uno scandalo", "mi lamento", "protesto", "disservizio", "non è possibile",
		"Segnalo un lampione spento in via Roma", "C'è una buca", "ci sono dei rifiuti", "tombino rotto", "semaforo guasto", "rifiuti abbandonati",
		"perdita d'acqua", "strada allagata", "scarico intasato", "incrocio pericoloso", "il lampione non funziona", "il camion non passa",
		"non è passato nessuno", "panchina danneggiata", "muro crollato", "albero caduto",
		"C'è una buca in via Borgazzi davanti al civico 12", "Lampione spento in Piazza Trento e Trieste", "VIALE Lombardia", "Loc. Cascina Nuova",
		"Località Molino", "LOCALITÀ Molino", "corſo Milano", "Vicolo Stretto", "Largo Mazzini", "Strada Provinciale", "via della Vittoria",
		"Bella iniziativa, complimenti!", "", "ſ", "K", "İ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		low := strings.ToLower(s)
		if got, want := IsIstanza(s), istanzaPattern.MatchString(low); got != want {
			t.Errorf("IsIstanza(%q) = %v, the pattern alone says %v", s, got, want)
		}
		want := routingv1.Kind_KIND_INFORMATION
		switch {
		case complaintPattern.MatchString(low):
			want = routingv1.Kind_KIND_COMPLAINT
		case reportPattern.MatchString(low):
			want = routingv1.Kind_KIND_REPORT
		}
		if got := KindOf(s); got != want {
			t.Errorf("KindOf(%q) = %s, the patterns alone say %s", s, got, want)
		}
		wantPlace := ""
		if m := placePattern.FindStringSubmatch(s); m != nil {
			wantPlace = "(some place)"
		}
		if got := PlaceOf(s); (got == "") != (wantPlace == "") {
			t.Errorf("PlaceOf(%q) = %q, the pattern alone finds %q", s, got, wantPlace)
		}
	})
}

// BenchmarkRequestText measures what routing reads in a request's text (istanza, kind, place),
// with the keyword gates and, as the baseline in the same run, with the patterns alone.
func BenchmarkRequestText(b *testing.B) {
	texts := []string{
		"Buongiorno, a che ora apre l'ufficio anagrafe il sabato mattina? Grazie",
		"C'è una buca enorme in via Borgazzi davanti al civico 12, quando la sistemate?",
		"Quando riprende la raccolta dell'umido dopo le feste? Nel calendario non lo trovo",
		"Il lampione all'angolo con piazza Trento è spento da una settimana",
		"Come presento la domanda per il contributo affitti?",
		"Vorrei sapere se il centro sportivo comunale è aperto anche la domenica pomeriggio",
		"Da mesi nessuno risponde alle mie mail, è inaccettabile",
		"Ci sono dei rifiuti abbandonati nel parcheggio della stazione",
	}
	b.Run("patterns alone", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			s := texts[i%len(texts)]
			low := strings.ToLower(s)
			if !istanzaPattern.MatchString(low) {
				_ = complaintPattern.MatchString(low) || reportPattern.MatchString(low)
				_ = placePattern.FindStringSubmatch(s)
			}
		}
	})
	b.Run("gated", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			s := texts[i%len(texts)]
			if !IsIstanza(s) {
				_ = KindOf(s)
				_ = PlaceOf(s)
			}
		}
	})
}
