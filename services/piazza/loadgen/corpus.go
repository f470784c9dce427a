package loadgen

import (
	"bytes"
	"fmt"
	"math/rand/v2"

	commentv1 "github.com/piazza-pa/piazza/proto/gen/piazza/comment/v1"
	"github.com/piazza-pa/piazza/services/ingest/replay"
	"github.com/piazza-pa/piazza/services/piazza/demo"
)

// template is one kind of comment with its share of the mix.
type template struct {
	weight int
	posts  []string
	texts  []string
}

// The mix is what a Comune's page sees on an ordinary day: mostly clean comments, a share of
// requests, and a minority of violations. Texts are the project's own, with {n} and {via}
// filled at random so that no two comments are the same.
var mix = []template{
	{weight: 45, posts: posts, texts: []string{
		"Grazie per l'informazione, buona giornata a tutti",
		"Ottima iniziativa, ci saremo anche quest'anno con i bambini",
		"Finalmente! Era ora che sistemassero {via}",
		"La giunta ha sbagliato tutto sulla viabilità di {via}, tre mesi di disagi",
		"Complimenti agli operai, lavoro fatto bene e in fretta",
	}},
	{weight: 25, posts: posts, texts: []string{
		"Buongiorno, in {via} c'è una buca enorme davanti al civico {n}, quando la sistemate?",
		"Il lampione in {via} {n} è spento da una settimana, potete intervenire?",
		"Scusate, quando passa la raccolta del vetro in {via}?",
		"Come si rinnova la carta d'identità? Serve l'appuntamento?",
		"In {via} {n} ci sono rifiuti abbandonati da giorni, chi li rimuove?",
		"Gli orari dell'ufficio anagrafe sono cambiati? Devo chiedere un certificato di residenza",
	}},
	{weight: 12, posts: posts, texts: []string{
		"Sindaco sei un idiota e un incapace",
		"Assessore, sei proprio un buffone",
		"Ma chi vi ha eletto, branco di incompetenti e ladri",
	}},
	{weight: 6, posts: posts, texts: []string{
		"Che schifo di strada, cazzo, {n} giorni che aspettiamo",
		"Ma che cazzo fanno in {via}",
	}},
	{weight: 5, posts: posts, texts: []string{
		"Votate la lista Rinnovamento alle prossime comunali! #cambiamo",
		"Offerta imperdibile: infissi a 99 euro, scrivimi in privato per il preventivo",
	}},
	{weight: 3, posts: posts, texts: []string{
		"C'è un forte odore di gas in {via} {n}, aiuto!",
		"È caduto un albero sulla strada in {via}, la carreggiata è bloccata adesso",
	}},
}

var posts = []string{
	"Lavori in {via}: da lunedì chiusa al traffico per il rifacimento dell'asfalto",
	"Raccolta differenziata: dal 1° del mese cambia il calendario del vetro",
	"Festa patronale: domenica concerto in piazza alle 21",
}

var vie = []string{"via Roma", "via Italia", "via Garibaldi", "via Mazzini", "viale Europa", "piazza Duomo"}

// Corpus draws synthetic comments: the template mix plus the demo comments.
type Corpus struct {
	total int
	demo  []*commentv1.Comment
}

// NewCorpus builds the corpus.
func NewCorpus() (*Corpus, error) {
	c := &Corpus{}
	for _, t := range mix {
		c.total += t.weight
	}
	_, err := replay.Read(bytes.NewReader(demo.Comments), func(_ int, cm *commentv1.Comment) error {
		c.demo = append(c.demo, cm)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read demo comments: %w", err)
	}
	return c, nil
}

// Draw returns the text and post text of one comment; one in ten comes from the demo set.
func (c *Corpus) Draw(r *rand.Rand) (text, post string) {
	if len(c.demo) > 0 && r.IntN(10) == 0 {
		d := c.demo[r.IntN(len(c.demo))]
		return d.GetText(), d.GetPostText()
	}
	k := r.IntN(c.total)
	for _, t := range mix {
		if k < t.weight {
			return fill(t.texts[r.IntN(len(t.texts))], r), fill(t.posts[r.IntN(len(t.posts))], r)
		}
		k -= t.weight
	}
	return "Grazie", ""
}

func fill(s string, r *rand.Rand) string {
	out := bytes.Buffer{}
	for i := 0; i < len(s); i++ {
		switch {
		case hasAt(s, i, "{via}"):
			out.WriteString(vie[r.IntN(len(vie))])
			i += len("{via}") - 1
		case hasAt(s, i, "{n}"):
			fmt.Fprint(&out, 1+r.IntN(120))
			i += len("{n}") - 1
		default:
			out.WriteByte(s[i])
		}
	}
	return out.String()
}

func hasAt(s string, i int, tok string) bool {
	return len(s)-i >= len(tok) && s[i:i+len(tok)] == tok
}
