package rules

import (
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

func newTestEngine(t testing.TB) *Engine {
	t.Helper()
	e, err := NewEngine()
	if err != nil {
		t.Fatalf("NewEngine: %v", err)
	}
	return e
}

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"v.a.f.f.a n c u l o", "vafanculo"},
		{"s t r o n z o", "stronzo"},
		{"m🤬rda", "merda"},
		{"stronzooooo", "stronzo"},
		{"sei un іdіota", "sei un idiota"}, // Cyrillic і
		{"Ηai vinto", "hai vinto"},         // Greek Eta
		{"c4zz0 di rotonda", "cazo di rotonda"},
		{"porcodd*o", "porcodio"},
		{"ca**o", "cazo"},
		{"dio🐷", "dio porco"},
		{"t! asp3tt0", "ti aspeto"},
		{"nn lo trovo xke cmq", "non lo trovo perche comunque"},
		{"PERCHÉ è così", "perche e cosi"},
		{"ｃａｚｚｏ", "cazo"}, // fullwidth, folded by NFKC
		{"3 multe in 2024", "3 multe in 2024"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in).Text; got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeOffsets(t *testing.T) {
	in := "Ciao s t r o n z o!"
	n := Normalize(in)
	i := strings.Index(n.Text, "stronzo")
	if i < 0 {
		t.Fatalf("Normalize(%q).Text = %q, want it to contain stronzo", in, n.Text)
	}
	s, e := n.Span(i, i+len("stronzo"))
	if got, want := in[s:e], "s t r o n z o"; got != want {
		t.Errorf("span of stronzo = %q, want %q", got, want)
	}
	if len(n.Start) != len(n.Text) || len(n.End) != len(n.Text) {
		t.Errorf("offset map lengths = %d,%d, want %d", len(n.Start), len(n.End), len(n.Text))
	}
}

func TestNormalizeInvalidUTF8(t *testing.T) {
	for _, in := range []string{"\xff\xfe", "ab\xc3", "\xed\xa0\x80x", strings.Repeat("\x80", 100)} {
		n := Normalize(in)
		for i := range n.Text {
			if n.Start[i] < 0 || n.End[i] > len(in) || n.Start[i] > n.End[i] {
				t.Errorf("Normalize(%q): bad offsets %d..%d", in, n.Start[i], n.End[i])
			}
		}
	}
}

func TestValidCodiceFiscale(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"RSSMRA80A01H501U", true},  // the textbook example
		{"RSSMRA80A01H501V", false}, // wrong check character
		{"RSSMRA8LA01H501F", true},  // omocodia: 0 -> L, check recomputed
		{"RSSMRA80Z01H501U", false}, // no month Z
		{"RSSMRA80A91H501U", false}, // day 91
		{"RSSMRA80A01H501", false},
	}
	for _, tt := range tests {
		if got := ValidCodiceFiscale(tt.in); got != tt.want {
			t.Errorf("ValidCodiceFiscale(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestValidIBAN(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"IT60X0542811101000000123456", true},
		{"IT60X0542811101000000123457", false},
		{"IT60X054281110100000012345", false}, // Italian IBANs are 27 characters
		{"GB82WEST12345698765432", true},
		{"XX", false},
	}
	for _, tt := range tests {
		if got := ValidIBAN(tt.in); got != tt.want {
			t.Errorf("ValidIBAN(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestValidPlateAndPhone(t *testing.T) {
	plates := []struct {
		in   string
		want bool
	}{{"AB123CD", true}, {"AI123CD", false}, {"A1123CD", false}, {"ABC123D", false}}
	for _, tt := range plates {
		if got := ValidPlate(tt.in); got != tt.want {
			t.Errorf("ValidPlate(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
	phones := []struct {
		in   string
		want bool
	}{{"3471234567", true}, {"021234567", true}, {"12345", false}, {"34712345678", false}, {"3a", false}}
	for _, tt := range phones {
		if got := ValidItalianPhone(tt.in); got != tt.want {
			t.Errorf("ValidItalianPhone(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// classifyCase is one comment and the exact labels it must get.
type classifyCase struct {
	name string
	in   Input
	want []string
}

func runCases(t *testing.T, e *Engine, opt *TenantOptions, cases []classifyCase) {
	t.Helper()
	for _, tc := range cases {
		got := e.Classify(tc.in, opt).Codes()
		want := tc.want
		if want == nil {
			want = []string{}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: Classify(%q) = %v, want %v", tc.name, tc.in.Text, got, want)
		}
	}
}

func txt(s string) Input { return Input{Text: s} }

func TestBlasphemy(t *testing.T) {
	e := newTestEngine(t)
	runCases(t, e, nil, []classifyCase{
		{"pair", txt("porco dio che traffico stamattina"), []string{CodeBlasphemy}},
		{"reversed", txt("dio boia, hanno chiuso il ponte"), []string{CodeBlasphemy}},
		{"compound", txt("diocan sempre la stessa storia"), []string{CodeBlasphemy}},
		{"spaced", txt("p o r c o d i o ma quando finiscono"), []string{CodeBlasphemy}},
		{"leet", txt("m4d0nn4 tr0i4 che freddo"), []string{CodeBlasphemy}},
		{"censored", txt("porco d*o che caldo"), []string{CodeBlasphemy}},
		{"emoji", txt("dio 🐷 non si respira"), []string{CodeBlasphemy}},
		{"compound with vulgar is blasphemy only", txt("madonna puttana che fila in posta"), []string{CodeBlasphemy}},
		{"porca miseria", txt("porca miseria che freddo"), nil},
		{"grazie a Dio", txt("grazie a Dio nessun ferito"), nil},
		{"church", txt("bella la festa alla Madonna del Rosario"), nil},
		{"Dio ce ne scampi", txt("Dio ce ne scampi da un altro inverno così"), nil},
		{"porco giuda", txt("porco giuda, ho perso il bus"), nil},
		{"Cristo santo", txt("Cristo santo che grandinata"), nil},
		{"porco cane", txt("porco cane che coda in tangenziale"), nil},
	})
}

func TestInsultVersusCriticism(t *testing.T) {
	e := newTestEngine(t)
	runCases(t, e, nil, []classifyCase{
		{"second person", txt("sei proprio un imbecille"), []string{CodeInsult}},
		{"mayor", txt("il sindaco è un buffone"), []string{CodeInsult}},
		{"weak word with target", txt("assessore incompetente, dimettiti"), []string{CodeInsult}},
		{"collective", txt("una manica di incapaci in quell'ufficio"), []string{CodeInsult}},
		{"obfuscated", txt("il consigliere è un c0gl10n3"), []string{CodeInsult}},
		{"vulgar at a person is insult only", txt("assessore pezzo di merda"), []string{CodeInsult}},
		{"criticism", txt("la giunta ha sbagliato tutto sulla viabilità"), nil},
		{"harsh criticism", txt("Vergogna, sei mesi per riparare un marciapiede. Pianificazione inesistente."), nil},
		{"decision, not a person", txt("una scelta idiota, il parcheggio andava lasciato"), nil},
		{"ability", txt("un comune incapace di programmare i lavori"), nil},
		{"self", txt("io sono un idiota, ho dimenticato la scadenza"), nil},
	})
}

func TestHate(t *testing.T) {
	e := newTestEngine(t)
	runCases(t, e, nil, []classifyCase{
		{"slur", txt("pieno di froci al parco"), []string{CodeHate}},
		{"dehumanising", txt("gli immigrati sono feccia"), []string{CodeHate}},
		{"copula", txt("i rumeni sono tutti ladri"), []string{CodeHate}},
		{"hate verb", txt("odio i musulmani"), []string{CodeHate}},
		{"exclusion", txt("gli stranieri se ne tornino a casa loro"), []string{CodeHate}},
		{"fascist praise", txt("viva il duce, altro che democrazia"), []string{CodeHate}},
		{"leet slur", txt("sti n3gr1 dappertutto"), []string{CodeHate}},
		{"neutral mention", txt("la comunità islamica organizza una festa in oratorio"), nil},
		{"quoted to condemn", txt(`Chi scrive "gli immigrati sono feccia" dovrebbe vergognarsi`), nil},
		{"negated", txt("non odio i gay, sia chiaro"), nil},
		{"surname", txt("Grazie al dott. Negro per la disponibilità"), nil},
		{"anti-fascist", txt("Il 25 aprile ricordiamo la fine del fascismo, viva la Liberazione"), nil},
	})
}

func TestThreat(t *testing.T) {
	e := newTestEngine(t)
	runCases(t, e, nil, []classifyCase{
		{"await", txt("ti aspetto sotto casa stasera"), []string{CodeThreat}},
		{"clitic", txt("se lo becco gli spacco la faccia"), []string{CodeThreat}},
		{"call to violence", txt("bisognerebbe bruciarli tutti"), []string{CodeThreat}},
		{"leet", txt("t1 4mm4zz0"), []string{CodeThreat}},
		{"group is also hate", txt("gli zingari andrebbero presi a bastonate"), []string{CodeHate, CodeThreat}},
		{"hyperbole", txt("mi uccide questo caldo"), nil},
		{"exclamation", txt("ammazza quanta gente alla sagra"), nil},
		{"fireworks", txt("i fuochi erano una bomba"), nil},
	})
}

func TestProfanity(t *testing.T) {
	e := newTestEngine(t)
	runCases(t, e, nil, []classifyCase{
		{"untargeted", txt("che schifo di strada, cazzo"), []string{CodeProfanity}},
		{"repeated letters", txt("che cazzoooooo di traffico"), []string{CodeProfanity}},
		{"dialect", txt("minchia che caldo"), []string{CodeProfanity}},
		{"mild", txt("mannaggia, accidenti, ho perso il treno"), nil},
		{"Madonna che caldo", txt("Madonna che caldo oggi"), nil},
	})
}

func TestPersonalData(t *testing.T) {
	e := newTestEngine(t)
	opt := &TenantOptions{Contacts: []string{"039 2372 999", "urp@comune.esempio.it"}}
	runCases(t, e, opt, []classifyCase{
		{"codice fiscale", txt("il codice fiscale del vicino è RSSMRA80A01H501U"), []string{CodePersonalData}},
		{"invalid codice fiscale", txt("il codice è RSSMRA80A01H501V"), nil},
		{"iban", txt("mandate i soldi sull'IBAN IT60 X054 2811 1010 0000 0123 456 del mio vicino"), []string{CodePersonalData}},
		{"mobile", txt("il cellulare privato del vicino è 347 123 4567"), []string{CodePersonalData}},
		{"spelled mobile", txt("chiamatelo al tre quattro sette 12 34 567"), []string{CodePersonalData}},
		{"email", txt("scrivetegli a mario.bianchi77@gmail.com"), []string{CodePersonalData}},
		{"health of a named person", txt("la signora Anna Verdi ha il tumore e non esce più"), []string{CodePersonalData}},
		{"tenant contact", txt("chiamate lo 039 2372 999, rispondono subito"), nil},
		{"tenant mail", txt("scrivete a urp@comune.esempio.it"), nil},
		{"office phone", txt("il numero dell'ufficio anagrafe è 02 1234 5678"), nil},
	})
}

func TestLinksCommercialSpam(t *testing.T) {
	e := newTestEngine(t)
	opt := &TenantOptions{Sponsors: []string{"Ferramenta Bianchi"}, AllowDomains: []string{"esempio.it"}, DenyDomains: []string{"cattivo.net"}}
	runCases(t, e, opt, []classifyCase{
		{"porn link", txt("ragazze sole ti aspettano 👉 sexy-chat.com"), []string{CodeIllegal, CodeSpam}},
		{"malware", txt("scaricate il modulo da moduli-bonus.ru/modulo.apk"), []string{CodeIllegal, CodeSpam}},
		{"phishing", txt("rimborso TARI: accedi con le credenziali della tua banca su tari-rimborsi-gov.info"), []string{CodeIllegal, CodeSpam}},
		{"shortener", txt("guardate qui 👉 bit.ly/abc123"), []string{CodeSpam}},
		{"denied domain", txt("info su cattivo.net"), []string{CodeSpam}},
		{"official link", txt("il modulo è su www.esempio.it/moduli"), nil},
		{"offer", txt("Vendo bici da corsa usata, 300€, contattatemi in privato"), []string{CodeCommercial}},
		{"sponsor", txt("Ferramenta Bianchi: sconto del 10% sulle stufe, vi aspettiamo"), nil},
		{"landmark", txt("la buca davanti al bar Roma è ancora lì"), nil},
		{"advert with a mobile number", txt("Trattoria da Lina: menù del giorno a 12 euro, prenota al 339 5551234"), []string{CodeCommercial}},
		{"a price and the office's landline are no advert", txt("il parcheggio costa 2 euro, chiamate il comando al 039 2816111 per info"), nil},
		{"chain", txt("Condividi con 10 amici o avrai 7 anni di sfortuna!!!"), []string{CodeSpam}},
		{"crypto", txt("Ho guadagnato 3000€ con il trading bitcoin, scrivetemi su telegram"), []string{CodeSpam}},
		{"drugs", txt("chi cerca fumo buono scrivetemi in privato"), []string{CodeIllegal}},
		{"placeholder", txt("[contenuto illecito]"), []string{CodeIllegal}},
	})
}

func TestPolitical(t *testing.T) {
	e := newTestEngine(t)
	opt := &TenantOptions{PoliticalTerms: []string{"Progetto Paese"}}
	runCases(t, e, opt, []classifyCase{
		{"vote", txt("Alle comunali votate la Lega!"), []string{CodePolitical}},
		{"hashtag", txt("Basta tasse #VotaCentrodestra"), []string{CodePolitical}},
		{"tenant list", txt("Progetto Paese ci sarà al mercato, passate a trovarci"), []string{CodePolitical}},
		{"neutral mention", txt("In consiglio c'erano anche i consiglieri del PD e della Lega"), nil},
		{"opinion", txt("La ZTL è una scelta sbagliata per i negozi"), nil},
	})
}

func TestRequestEmergencyTopic(t *testing.T) {
	e := newTestEngine(t)
	tests := []struct {
		in        Input
		want      []string
		wantTopic string
	}{
		{txt("Quando sistemate la buca in via Manzoni?"), []string{CodeRequest}, "roads"},
		{txt("Il lampione davanti al civico 3 è spento da una settimana, potete mandare qualcuno?"), []string{CodeRequest}, "lighting"},
		{txt("Come si richiede la carta d'identità elettronica?"), []string{CodeRequest}, "registry"},
		{txt("A chi devo chiedere per la rata IMU?"), []string{CodeRequest}, "taxes"},
		{txt("C'è un incendio adesso nel bosco dietro le scuole, chiamate i pompieri!"), []string{CodeEmergency}, ""},
		{txt("sento odore di gas fortissimo in via Roma, cosa faccio?"), []string{CodeEmergency}, ""},
		{txt("L'anno scorso c'era stato un incendio nel bosco"), nil, ""},
		{txt("Ma serviva davvero una rotonda lì? Boh."), nil, ""},
	}
	for _, tt := range tests {
		res := e.Classify(tt.in, nil)
		want := tt.want
		if want == nil {
			want = []string{}
		}
		if got := res.Codes(); !slices.Equal(got, want) {
			t.Errorf("Classify(%q) = %v, want %v", tt.in.Text, got, want)
			continue
		}
		if res.Topic != tt.wantTopic {
			t.Errorf("Classify(%q).Topic = %q, want %q", tt.in.Text, res.Topic, tt.wantTopic)
		}
		if (res.Topic == "") != (res.TopicConfidence == 0) || res.TopicConfidence > 1 {
			t.Errorf("Classify(%q).TopicConfidence = %v with topic %q", tt.in.Text, res.TopicConfidence, res.Topic)
		}
	}
}

func TestOffTopic(t *testing.T) {
	e := newTestEngine(t)
	post := "Raccolta rifiuti: dal 1° marzo cambia il calendario del vetro e della plastica."
	runCases(t, e, nil, []classifyCase{
		{"football", Input{Text: "Forza Inter, domenica si vince il derby!", PostText: post}, []string{CodeOffTopic}},
		{"birthday", Input{Text: "Tanti auguri alla mia nonna che compie 90 anni", PostText: post}, []string{CodeOffTopic}},
		{"a question on the post is a request", Input{Text: "Qualcuno sa se il vetro passa anche il sabato?", PostText: post}, []string{CodeRequest}},
		{"on topic", Input{Text: "Qualcuno ha visto che bello il nuovo calendario del vetro?", PostText: post}, nil},
		{"no post", Input{Text: "Forza Inter!"}, nil},
	})
}

func TestEvidenceOffsets(t *testing.T) {
	e := newTestEngine(t)
	in := "Ciao, il sindaco è un i.d.i.o.t.a e basta"
	res := e.Classify(txt(in), nil)
	if !res.Has(CodeInsult) {
		t.Fatalf("Classify(%q) = %v, want insult", in, res.Codes())
	}
	for _, ev := range res.Evidence {
		if ev.Start < 0 || ev.End > len(in) || ev.Start >= ev.End {
			t.Fatalf("evidence %+v out of range for %q", ev, in)
		}
		if ev.Category == CodeInsult {
			if got := in[ev.Start:ev.End]; got != "i.d.i.o.t.a" {
				t.Errorf("insult evidence covers %q, want %q", got, "i.d.i.o.t.a")
			}
			if ev.RuleID == "" {
				t.Errorf("evidence %+v has no rule id", ev)
			}
		}
	}
}

func TestLabelsSortedAndScored(t *testing.T) {
	e := newTestEngine(t)
	res := e.Classify(txt("sindaco pezzo di merda, ti aspetto sotto casa, porco dio"), nil)
	codes := res.Codes()
	if !slices.IsSorted(codes) {
		t.Errorf("labels %v are not sorted", codes)
	}
	for _, l := range res.Labels {
		if l.Score <= 0 || l.Score > 1 {
			t.Errorf("label %s score %v outside (0,1]", l.Code, l.Score)
		}
	}
	if want := []string{CodeBlasphemy, CodeInsult, CodeThreat}; !slices.Equal(codes, want) {
		t.Errorf("codes = %v, want %v", codes, want)
	}
}

func TestConcurrentClassify(t *testing.T) {
	e := newTestEngine(t)
	inputs := []string{"porco dio", "sei un idiota", "Quando sistemate la buca?", "odio i gay", "vendo bici 100€ scrivimi in privato"}
	want := make([][]string, len(inputs))
	for i, in := range inputs {
		want[i] = e.Classify(txt(in), nil).Codes()
	}
	var wg sync.WaitGroup
	errs := make(chan string, 100)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 200; k++ {
				i := k % len(inputs)
				if got := e.Classify(txt(inputs[i]), nil).Codes(); !slices.Equal(got, want[i]) {
					errs <- inputs[i]
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for in := range errs {
		t.Errorf("concurrent Classify(%q) differs from sequential", in)
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"v.a.f.f.a", "m🤬rda", "\xff\xfe", "s t r o n z o", "ｃａｚｚｏ", "c4zz0", "#VotaLega @tizio", "**", "a*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		if len(n.Start) != len(n.Text) || len(n.End) != len(n.Text) {
			t.Fatalf("offset map length mismatch")
		}
		if !utf8.ValidString(n.Text) {
			t.Fatalf("folded text is not valid UTF-8: %q", n.Text)
		}
		for i := range n.Text {
			if n.Start[i] < 0 || n.End[i] > len(s) || n.Start[i] > n.End[i] {
				t.Fatalf("offsets %d..%d out of range for %d bytes", n.Start[i], n.End[i], len(s))
			}
		}
	})
}

func FuzzClassify(f *testing.F) {
	e, err := NewEngine()
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"porco dio", "IT60 X054 2811 1010 0000 0123 456", "p o r n o . c o m", "tre quattro sette 1 2", "\xff", "RSSMRA80A01H501U"} {
		f.Add(s, "post")
	}
	f.Fuzz(func(t *testing.T, s, post string) {
		res := e.Classify(Input{Text: s, PostText: post}, &TenantOptions{Contacts: []string{"1"}, Sponsors: []string{"x"}})
		if !slices.IsSorted(res.Codes()) {
			t.Fatalf("labels not sorted: %v", res.Codes())
		}
		for _, ev := range res.Evidence {
			if ev.Start < 0 || ev.End > len(s) || ev.Start > ev.End {
				t.Fatalf("evidence %+v out of range", ev)
			}
		}
		if res.Has(CodeEmergency) && res.Has(CodeRequest) {
			t.Fatalf("emergency together with request")
		}
	})
}

func BenchmarkClassify(b *testing.B) {
	f, err := os.ReadFile(devSetPath)
	if err != nil {
		b.Fatalf("dev set %s is missing: %v", devSetPath, err)
	}
	rows := loadDevSet(b)
	_ = f
	e := newTestEngine(b)
	inputs := make([]Input, len(rows))
	for i, r := range rows {
		inputs[i] = devInput(r)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.Classify(inputs[i%len(inputs)], nil)
	}
}
