package routing_test

import (
	"testing"

	routingv1 "github.com/piazza-pa/piazza/proto/gen/piazza/routing/v1"
	"github.com/piazza-pa/piazza/services/routing"
)

func TestIsIstanza(t *testing.T) {
	tests := []struct {
		text string
		want bool
	}{
		{"Vorrei fare una richiesta di accesso agli atti per la pratica edilizia del mio vicino", true},
		{"Come presento la domanda per il contributo affitti?", true},
		{"Dove trovo il modulo per il passo carraio?", true},
		{"Vi allego la domanda di iscrizione al nido", true},
		{"Ho presentato un'istanza a settembre e non so nulla", true},
		{"Domanda di contributo per le associazioni: fino a quando?", true},
		// Not istanze: a question, a report, a plain "domanda".
		{"Ho una domanda: a che ora apre l'anagrafe?", false},
		{"C'è una buca in via Borgazzi, quando la sistemate?", false},
		{"La mia domanda è semplice: perché il lampione è spento da una settimana?", false},
		{"Bella iniziativa, complimenti!", false},
	}
	for _, tt := range tests {
		if got := routing.IsIstanza(tt.text); got != tt.want {
			t.Errorf("IsIstanza(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}

func TestKindOf(t *testing.T) {
	tests := []struct {
		text string
		want routingv1.Kind
	}{
		{"A che ora apre l'ufficio tributi il sabato?", routingv1.Kind_KIND_INFORMATION},
		{"Segnalo un lampione spento in via Roma", routingv1.Kind_KIND_REPORT},
		{"C'è una buca enorme davanti al civico 12", routingv1.Kind_KIND_REPORT},
		{"È la terza volta che scrivo e nessuno risponde, vergogna", routingv1.Kind_KIND_COMPLAINT},
		{"Da mesi la raccolta non passa: è inaccettabile", routingv1.Kind_KIND_COMPLAINT},
	}
	for _, tt := range tests {
		if got := routing.KindOf(tt.text); got != tt.want {
			t.Errorf("KindOf(%q) = %s, want %s", tt.text, got, tt.want)
		}
	}
}

func TestPlaceOf(t *testing.T) {
	tests := map[string]string{
		"C'è una buca in via Borgazzi davanti al civico 12": "via borgazzi",
		"Lampione spento in Piazza Trento e Trieste":        "piazza trento",
		"Rifiuti abbandonati in viale Lombardia, da giorni": "viale lombardia",
		"Perdita d'acqua in via San Rocco":                  "via san rocco",
		"Cassonetti pieni in via della Vittoria":            "via della vittoria",
		"Quando apre l'anagrafe?":                           "",
		"la via è piena di buche":                           "",
	}
	for text, want := range tests {
		if got := routing.PlaceOf(text); got != want {
			t.Errorf("PlaceOf(%q) = %q, want %q", text, got, want)
		}
	}
}
