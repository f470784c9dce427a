package rules

import (
	"fmt"
	"strings"
)

// kind is what a lexicon entry means to the detectors.
type kind uint8

// Lexicon kinds. Each entry of the lexicon belongs to exactly one kind; the
// detectors combine kinds (an insult word needs a target, a holy name needs
// an insult next to it, and so on).
const (
	kProf          kind = iota // vulgar word or expression
	kInsStrong                 // insult that is a personal attack by itself when aimed at someone
	kInsWeak                   // derogatory word that needs a person as target
	kInsPhrase                 // an insult whatever surrounds it
	kInsSarcasm                // sarcastic praise of a person
	kHoly                      // divine or holy name
	kBlasWord                  // insult or animal that makes a holy name blasphemous
	kSlur                      // slur against a protected group
	kSlurWeak                  // slur that can be self-identification
	kSlurPerson                // word that is a slur only when aimed at a person ("come te")
	kGroup                     // protected group
	kDerogStrong               // dehumanising word
	kDerogWeak                 // derogatory predicate that needs a copula
	kHateVerb                  // I hate, I can't stand
	kExclusion                 // expulsion, segregation, denial of rights
	kConspiracy                // conspiracy tropes
	kFascistName               // dictators and regimes
	kFascistPraise             // praise words
	kFascistPhrase             // fascist or nazi slogans
	kVictimBlame               // victim blaming
	kCondemn                   // condemning or reporting hate
	kThreatPhrase              // threat by itself
	kThreatVerb                // first or third person violent verb, needs a clitic target
	kThreatPron                // clitic or object pronoun
	kCallViolence              // modal that turns a violent participle into a call to violence
	kViolentAct                // violent participle or infinitive with a target
	kAwait                     // "ti aspetto"
	kAwaitCtx                  // where and how one waits
	kPersonTarget              // a person or a group of people who can be insulted
	kCollective                // "banda di", "manica di"
	kDecision                  // a decision or object rather than a person
	kParty                     // party, movement, politician
	kPolStrong                 // vote solicitation, political by itself
	kPolWeak                   // election words
	kCommStrong                // offer, sale
	kCommWeak                  // price, contact, promotion words
	kSpamStrong                // chain, scheme, giveaway
	kSpamWeak                  // link bait
	kDrug                      // drugs
	kWeapon                    // weapons
	kCounterfeit               // forgery
	kSaleCue                   // offering something
	kIllegalMarker             // the placeholder used for content that must not be written out
	kPhishCue                  // asking for credentials or card data
	kMalwareCue                // installing unknown apps
	kDanger                    // ongoing danger
	kDangerStrong              // danger that is urgent by itself
	kUrgent                    // now, just happened, call the emergency numbers
	kChronic                   // since days, every time
	kPast                      // yesterday, last year
	kReqStrong                 // request to the Comune
	kReqWeak                   // interrogative or report words
	kRhetoric                  // rhetorical or polemic markers
	kOffTopic                  // small talk
	kHealth                    // health or other sensitive facts
	kJudicial                  // judicial facts
	kOrientation               // sexual orientation
	kResidence                 // where someone lives
	kTitle                     // titles before a surname
	kPrivate                   // private contact markers
	kInstitution               // office contact markers
	kFirstName                 // common Italian first names
	kCommerceCtx               // business context for contacts
	kTopic                     // topic keyword (entry.topic says which)
	numKinds
)

var kindNames = [numKinds]string{
	"prof", "insult", "insult.weak", "insult.phrase", "insult.sarcasm", "holy", "blasword", "slur", "slur.weak",
	"slur.person", "group", "derog", "derog.weak", "hateverb", "exclusion", "conspiracy", "fascist.name",
	"fascist.praise", "fascist.slogan", "victimblame", "condemn", "threat", "threat.verb", "threat.pron",
	"threat.call", "threat.act", "threat.await", "threat.awaitctx", "target", "collective", "decision", "party",
	"vote", "election", "offer", "promo", "spam", "linkbait", "drug", "weapon", "counterfeit", "sale",
	"illegal.marker", "phishing", "malware", "danger", "danger.strong", "urgent", "chronic", "past", "request",
	"question", "rhetoric", "offtopic", "health", "judicial", "orientation", "residence", "title", "private",
	"institution", "firstname", "business", "topic",
}

// Topics, in the order of the taxonomy.
var topicNames = []string{
	"roads", "lighting", "waste", "green", "water", "traffic", "registry", "taxes", "social", "schools",
	"culture", "business", "animals", "general",
}

// entry is one compiled lexicon item.
type entry struct {
	kind   kind
	topic  int8
	weight int8
	id     string
	stem   bool // matches any ending
	joined bool // space-free variant, valid only inside joined words
}

// source lists the lexicons. Items are separated by '|'; a trailing '*'
// makes an item a stem. They are written in plain Italian and folded by
// Normalize at compile time, so "madonna" also matches "m4d0nn4".
type source struct {
	kind  kind
	words string
}

var lexiconSources = []source{
	{kProf, `cazzo|cazzi|cazzata|cazzate|del cazzo|che cazzo|un cazzo|col cazzo|sticazzi|incazz*|cazzeggi*|merda|merde|di merda|merdoso|merdosa|merdaio|` +
		`cagare|fa cagare|fanno cagare|cagata|cagate|minchia|minchiata|minchiate|coglionata|coglionate|rotto i coglioni|rompe i coglioni|` +
		`rompere i coglioni|rompono i coglioni|che coglioni|sui coglioni|fuori dai coglioni|che palle|rotto le palle|rompe le palle|` +
		`rompere le palle|puttanata|puttanate|porca puttana|porca troia|troiata|troiate|vaffanculo|fanculo|affanculo|fare in culo|in culo|` +
		`del culo|nel culo|fottuto|fottuta|fottuti|fottute|fottere|fottiti|fottetevi|stronzata|stronzate|figa|pompino|bocchinar*|` +
		`belin|cesso|sto cazzo|me ne sbatto|frega un cazzo|fregacazzi|porco cazzo`},
	{kInsStrong, `idiota|idioti|idiote|imbecille|imbecilli|cretino|cretina|cretini|cretine|deficiente|deficienti|stronzo|stronza|stronzi|` +
		`stronze|stronzone|coglione|coglioni|cogliona|cazzone|cazzoni|pirla|ciula|mona|pagliaccio|pagliacci|pagliaccia|buffone|buffona|` +
		`buffoni|cialtrone|cialtroni|scemo|scema|scemi|sceme|demente|dementi|mentecatto|mentecatti|mentecatta|cerebroleso|cerebrolesi|` +
		`rincoglionito|rincoglionita|rincoglioniti|rincoglionite|rimbambito|rimbambita|rimbambiti|rimbambite|rimbecillito|rimbecilliti|` +
		`babbeo|babbei|minorato|minorati|decerebrato|decerebrati|sfigato|sfigati|zoccola|zoccole|troia|troie|puttana|puttane|bastardo|` +
		`bastarda|bastardi|bastarde|infame|infami|verme|vermi|leccaculo|lecchino|lecchini|rompipalle|rompicoglioni|ebete|ebeti|` +
		`analfabeta|analfabeti|capra|capre|somaro|somari|asino|asini|oca|oche|sanguisuga|sanguisughe|fannullone|fannulloni|fannullona|` +
		`scaldasedie|scaldapoltrone|scaldapoltrone|mangiapane|magnaccia|farabutto|farabutti|mascalzone|mascalzoni|cazzaro|cazzari|` +
		`quaquaraqua|cornuto|cornuti|citrullo|citrulli|tonto|tonti|beota|beoti|zotico|zotici|burino|burini|cafone|cafoni|buzzurro|` +
		`coglioncello|merdaccia|idiozia ambulante|nullita|incapacissimi|incapacissimo|incompetentissimi`},
	{kInsWeak, `incapace|incapaci|incompetente|incompetenti|ladro|ladri|ladra|ladre|ladroni|ladrone|ignorante|ignoranti|ipocrita|ipocriti|` +
		`bugiardo|bugiardi|bugiarda|arrogante|arroganti|maleducato|maleducati|maleducata|corrotto|corrotti|corrotta|venduto|venduti|` +
		`parassita|parassiti|delinquente|delinquenti|criminale|criminali|mafioso|mafiosi|inetto|inetti|inetta|raccomandato|raccomandati|` +
		`schifoso|schifosa|schifosi|lurido|lurida|luridi|maiale|maiali|porco|porci|falsone|falsoni|vigliacco|vigliacchi|codardo|codardi|` +
		`incompetenza fatta persona|nullafacente|nullafacenti|mangiasoldi|magnoni|sciacallo|sciacalli|pezzente|pezzenti|accattone|` +
		`poveraccio|poveracci|squallido|squallida|squallidi|patetico|patetica|patetici|ridicolo|ridicola|ridicoli|vergognosi|` +
		`buoni a nulla|buono a nulla|buoni a niente|buono a niente|pecorone|pecoroni|servo|servi|servetto|lacche|marionetta|burattino|burattini`},
	{kInsPhrase, `pezzo di merda|pezzi di merda|testa di cazzo|teste di cazzo|testa di minchia|faccia di merda|faccia da culo|facce da culo|` +
		`figlio di puttana|figli di puttana|figlio di troia|sacco di merda|brutto stronzo|brutta stronza|stai zitto|stai zitta|state zitti|` +
		`chiudi la bocca|taci idiota|ma vai a cagare|vai a cagare|andate a cagare|vai a quel paese|andate a quel paese|vaffanculo sindaco|` +
		`non capisci niente|non capisci un cazzo|non sai neanche leggere|non sai nemmeno leggere|non sapete fare niente|non sapete fare nulla|` +
		`vai a lavorare|andate a lavorare|ritorna a scuola|torna a scuola|ti devi vergognare|mangiapane a tradimento|idiota patentato|` +
		`cretino patentato|scemo patentato|oca giuliva|utile idiota|utili idioti|feccia umana|essere inutile|siete inutili|sei inutile`},
	{kInsSarcasm, `vero genio|veri geni|un genio proprio|che genio|geni del male|premio nobel|complimenti al genio|complimenti ai geni|mente eccelsa`},
	{kHoly, `dio|iddio|madonna|cristo|gesu|gesu cristo|gesucristo|signore iddio|padreterno|spirito santo`},
	{kBlasWord, `cane|can|cani|cagna|porco|porca|porc|maiale|maiala|suino|bestia|boia|ladro|ladra|infame|bastardo|bastarda|merda|merdoso|` +
		`schifoso|troia|puttana|zoccola|vacca|serpente|lupo|impestato|assassino|stronzo|stronza|lurido|cornuto|negro|ebreo|bestione|` +
		`sporco|fauso|fa schifo|porcone|scannato|inculato|rotto|ciccione|infamone|cagnaccio`},
	{kSlur, `negro|negri|negra|negre|negraccio|negracci|froci|frocio|frocia|frocetto|ricchione|ricchioni|culattone|culattoni|` +
		`zingaro|zingari|zingara|zingare|zingaraccio|musi gialli|muso giallo|mangiabanane|vu cumpra|bingo bongo|giudeo|giudei|` +
		`mongoloide|mongoloidi|handicappato|handicappati|handicappata|spastico|spastici|negretto|negretti|beduino|beduini|` +
		`lesbicona|lesbicone|invertito|invertiti|travone|travoni|tranvione|tranvioni|sporco ebreo|sporchi ebrei|ebreo di merda|` +
		`marocchino di merda|islamici di merda|musulmani di merda|stranieri di merda|neri di merda|crucchi|polentoni|mangiaspaghetti|` +
		`nazi islamici|scimmie africane|abbronzati`},
	{kSlurWeak, `terrone|terroni|terrona|terrone di merda`},
	{kSlurPerson, `jihadista|jihadisti|travestito|travestiti|ritardato|ritardati|ritardata|mongolo|mongoli|checca|checche|finocchio|finocchi`},
	{kGroup, `stranieri|straniero|straniera|straniere|immigrati|immigrato|immigrata|immigrate|migranti|migrante|extracomunitari|` +
		`extracomunitario|clandestini|clandestino|profughi|profugo|rifugiati|richiedenti asilo|africani|africano|africane|albanesi|` +
		`albanese|rumeni|rumeno|rumene|romeni|rom|sinti|nomadi|zingari|zingaro|marocchini|marocchino|tunisini|egiziani|arabi|arabo|` +
		`cinesi|cinese|nigeriani|senegalesi|pakistani|bengalesi|bangla|indiani|filippini|ucraini|ebrei|ebreo|ebrea|ebree|musulmani|` +
		`musulmano|musulmana|musulmane|mussulmani|islamici|islamico|islamiche|islam|giudei|terroni|meridionali|gay|lesbiche|lesbica|` +
		`trans|transessuali|transgender|omosessuali|omosessuale|bisessuali|froci|frocio|donne|donna|femmine|le femmine|vecchi|` +
		`anziani|vecchie|disabili|disabile|handicappati|persone di colore|persona di colore|di colore|i neri|sti neri|ai neri|` +
		`dei neri|neri|invalidi|immigrazione|negri|negro|rumene|russi|slavi|nordafricani|sudamericani|latinos|asiatici|cristiani|` +
		`buddisti|induisti|sikh|atei|ebraici|lgbt|lgbtq|queer|persone con disabilita|ciechi|sordi|senzatetto|barboni|` +
		`meridionale|napoletani|siciliani|calabresi|veneti|lombardi|sardi`},
	{kDerogStrong, `sudiciume|rifiuti umani|scarafaggi|scarafaggio|pidocchi|insetti|spreco di spazio|uno spreco|disumane|disumani|creature|sciami|infestando|infestano|infestare|non hanno valore|non valgono|valgono meno|meno della merda|piu intelligente di|piu preziosa di|sporco sotto|topo morto|cibo che e stato toccato|testare i nuovi farmaci|in una discarica|gettati in|nessun altro e|tipico di|tipico dei|tipico delle|e nella natura|per loro natura|per natura|sono esseri inferiori|non sono altro che|specie|feccia|parassiti|parassita|bestie|scimmie|scimmia|subumani|subumano|inferiori|inferiore|vermi|topi|ratti|` +
		`spazzatura|sporcizia|immondizia|letame|contro natura|di umano non|niente di umano|nulla di umano|nel sangue|e genetico|` +
		`un peso per la societa|un peso|un cancro|una piaga|un virus|una malattia|malati|malate|pervertiti|pervertito|degenerati|` +
		`senza valore|non valgono niente|non sono umani|non sono persone|razza inferiore|sono animali|come animali|come le bestie|` +
		`peggio delle bestie|peggio degli animali|disgustosi|disgustose|disgustoso|disgustosa|ripugnanti|schifosi|schifose|abominio|` +
		`abominevoli|mi fanno schifo|fanno schifo|mi fanno cosi tanto schifo|mi fa cosi tanto schifo|mi fa schifo|sporcano|invasori|` +
		`ci invadono|ci rovinano|rovinano il paese|ci rubano il lavoro|tutti uguali|vanno curati|vanno curate|da curare|abomini|` +
		`delinquenti per natura|sono tutti delinquenti|sono tutti ladri|tutti terroristi|sono tutti terroristi`},
	{kDerogWeak, `spregevol*|nausean*|rivoltan*|disonest*|pessim*|patetic*|incivil*|sudic*|stupid*|scem*|senza cervello|una minaccia|un pericolo|crudel*|viscid*|vili|meschin*|perfid*|deplorevol*|ributtan*|insopportabil*|orrend*|odios*|cervello fottuto|merdos*|cazzon*|teste di cazzo|figli di puttana|persone completamente stronze|stronze|stupida|irritante|fastidios*|inaffidabil*|traditor*|dare problemi|danno problemi|solo problemi|inutil*|peggiori|buoni a nulla|cretin*|idiot*|imbecill*|deficient*|ignorant*|ritardat*|senza valore|nessun valore|perdenti|falliti|sporch*|puzz*|brutt*|lerci*|ladr*|criminal*|delinquent*|violent*|assassin*|pedofil*|stupratori|terrorist*|malat*|anormal*|innaturali|sbagliati|un errore|il piu grande errore|rovinera|rovinano|rovinare|ladri|ladre|delinquenti|terroristi|terrorista|criminali|stupidi|stupide|ignoranti|sporchi|sporche|inutili|violenti|` +
		`esagerate|esagerati|pericolosi|pericolose|puzzano|puzzolenti|luridi|luride|rincoglioniti|rimbambiti|falsi|bugiardi|ubriaconi|` +
		`fannulloni|spacciatori|stupratori|assassini|rapinatori|scansafatiche|nullafacenti|mantenuti|approfittatori|incivili|` +
		`selvaggi|barbari|primitivi|arretrati|malvagi|cattivi|odiosi|orribili|brutti|brutte|mai attraenti|cosi ignoranti|cosi stupidi|` +
		`cosi stupide|incapaci|incompetenti|idioti|idiote|deficienti|cretini|cretine|imbecilli|coglioni|stronzi|stronze|bastardi|` +
		`se la sono cercata|se la cercano|isteriche|isterici`},
	{kHateVerb, `disdegno|aborro|aborrisco|mi fate vomitare|mi fa vomitare|mi fanno vomitare|mi fa arrabbiare|mi fanno arrabbiare|mi fanno infuriare|mi fate infuriare|ribollire di rabbia|mi riempiono di|tanta rabbia|niente di peggio|i peggiori|le peggiori|la peggior specie|mi fanno incazzare|mi fate incazzare|incazzato con|incazzata con|non provo altro che|sdegno|non mi piacciono|mi piaccia meno|mai fidarsi|non fidarti|non fidatevi|preferirei morire|preferirei avere il cancro|non hanno posto|starebbe meglio senza|staremmo meglio senza|meglio senza|farsi fottere|a farsi fottere|rompere il cazzo|non li voglio|non le voglio|non vogliamo|che schifo i|che schifo le|odio|odiamo|odiate|odiano|odiare|odiarli|li odio|le odio|detesto|detestiamo|detestare|disprezzo|disprezziamo|` +
		`non sopporto|non sopportiamo|non tollero|non li sopporto|non le sopporto|sono disgustato|sono disgustata|disgustato da|` +
		`disgustata da|astio per|sdegno per|disgusto per|disprezzo per|ribrezzo|mi ripugnano|mi disgustano|mi fanno vomitare|` +
		`nessuna compassione per|nessuna pieta per|scarsa considerazione|stufo di|stufa di|stufi di|fanculo a|fanculo ai|` +
		`cosa cazzo volete|che cazzo volete|fuori dalle palle|fuori dai coglioni|non meritano|non hanno diritto|a morte|abbasso`},
	{kExclusion, `unica soluzione|soluzione finale|una volta per tutte|se ne tornino|se ne tornassero|tornatevene|tornino a casa|tornino a casa loro|a casa loro|rimandarli|rimandateli|` +
		`rimandare a casa|da rimandare|rimpatriarli|rimpatriateli|cacciarli|cacciateli|vanno cacciati|vanno cacciate|vanno espulsi|` +
		`andrebbero cacciati|andrebbero tenuti fuori|tenuti fuori|tenerli fuori|fuori dall italia|fuori dal paese|non li vogliamo|` +
		`non le vogliamo|portateveli a casa vostra|portateveli a casa|coi barconi|sui barconi|non dovrebbero votare|non dovrebbero lavorare|` +
		`non dovrebbero esistere|non dovrebbero avere|non dovrebbero uscire|dovrebbero stare negli zoo|negli zoo|da un veterinario|` +
		`in un gruppo a parte|separati dagli altri|chiuderli|chiudeteli|rinchiuderli|vanno rinchiusi|vanno chiusi|prima gli italiani|` +
		`non sono italiani|non sono come noi|bambini normali|gente normale|via dall italia|fuori dalle scuole|in gabbia|vanno eliminati|` +
		`andrebbero eliminati|sterilizzarli|castrarli|no grazie|vanno curati|vanno rieducati`},
	{kConspiracy, `soliti ebrei|che comandano tutto|comandano tutto|controllano tutto|lobby ebraica|lobby gay|sostituzione etnica|` +
		`piano kalergi|invasione|ci stanno invadendo|complotto giudaico|i poteri forti ebrei|usura ebraica`},
	{kFascistName, `duce|hitler|mussolini|ventennio|fascismo|nazismo|terzo reich|reich|marcia su roma|camerati|camerata|benito|adolf`},
	{kFascistPraise, `viva|w|onore|onore al|grande|aveva ragione|avevano ragione|ragione|torni|tornare|ritorni|rimpiango|rimpianto|` +
		`bei tempi|quando c era lui|quando c era|treni in orario|arrivavano in orario|festeggio|eroe|mito|` +
		`ci vorrebbe|servirebbe`},
	{kFascistPhrase, `boia chi molla|sieg heil|heil hitler|eia eia alala|eja eja alala|viva il duce|w il duce|onore al duce|` +
		`duce duce|dux mea lux|noi tireremo diritto|faccetta nera|forni crematori|zyklon|hitler aveva ragione|` +
		`mussolini aveva ragione|quando c era lui|14 parole|white power|razza ariana|difesa della razza`},
	{kVictimBlame, `se la sono cercata|se l e cercata|se la cercano|se le cercano|un po se lo meritano|con quella gonna|` +
		`tutte esagerate|le donne esagerano|sono tutte uguali|donne al volante|in cucina|a fare la calza`},
	{kCondemn, `smettere di|devi smettere|deve finire|chiamare i|chiamare gli|chiamare le|quando chiami|non puoi credere|fa male vedere|minacciare di|in prigione|continui a insistere|insistere che|la tua opinione|la dice lunga|mentalita|non parlero con te|gente che dice|che dice che|sei odioso|sei odiosa|cosa orribile|e orribile|mi fa male|non e accettabile|ha detto che|dicono che|tratta i|tratta le|non ho mai detto|violenza sulle donne|contro la violenza|femminicidio|femminicidi|vittime|vittima|giornata contro|giornata internazionale|panchina rossa|solidarieta|rispetto per|diritti|non ho niente contro|chi scrive|chi dice|chi ha scritto|se dici|dire che|dire nel|dici cose|cose come|denunciare|denunciamo|condanno|` +
		`condanniamo|razzismo|razzista|razzisti|omofobia|omofobo|omofobi|bigotto|bigotti|vergognarsi|dovrebbe vergognarsi|dovreste vergognarvi|` +
		`fa paura|falso e offensivo|e falso|non generalizziamo|non generalizzare|sono persone come noi|persone come noi|frase piu schifosa|` +
		`studiate la storia|non deve succedere|ho letto|ho visto che qualcuno|qualcuno ha scritto|hanno scritto|commenti vergognosi|` +
		`discriminazione|discriminazioni|dimostra|traviati|odio razziale|incitamento all odio|antifascista|antifascismo|resistenza|` +
		`liberazione|contro il razzismo|contro l omofobia|non odio|non c e astio|nessun astio|` +
		`e stato chiamato|sono stati chiamati|chiamato frocio|insultato|insultata|insulti razzisti|hate speech|sono contrario al razzismo|` +
		`negazionismo|cosa ti fa dire|perche dici|smettila di dire|non si dice|e inaccettabile|inaccettabile|vergognoso dire`},
	{kThreatPhrase, `ti aspetto sotto casa|vi aspetto sotto casa|ti vengo a prendere|vi vengo a prendere|ti vengo a cercare|so dove abiti|` +
		`so dove abitate|sappiamo dove abiti|so dove vivi|stai attento quando esci|state attenti quando uscite|guardati le spalle|` +
		`te la faccio pagare|ve la faccio pagare|te la faremo pagare|ve la faremo pagare|la pagherai|la pagherete|farai una brutta fine|` +
		`farete una brutta fine|fai una brutta fine|ti faccio fuori|vi faccio fuori|ti ammazzo|vi ammazzo|ti uccido|vi uccido|` +
		`ti sparo|vi sparo|ti spacco la faccia|gli spacco la faccia|vi spacco la faccia|ti spacco le ossa|spaccare le ossa|spacco le ossa|` +
		`ti rompo le gambe|gli rompo le gambe|ti rompo la faccia|gli rompo la faccia|rompere le gambe|chi trovo trovo|tanica di benzina|` +
		`in ambulanza|tornano a casa in ambulanza|torna a casa in ambulanza|finisce all ospedale|finisci all ospedale|al muro|` +
		`ti brucio|gli brucio|vi brucio|diamo fuoco|diamogli fuoco|dare fuoco|daremo fuoco|do fuoco|bisognerebbe bruciarli|` +
		`bruciarli tutti|ammazzarli tutti|sparargli|spararli|impiccarli|fucilarli|sterminarli|gasarli|sgozzarli|ucciderli|` +
		`voglio uccidere|vogliamo uccidere|voglio ammazzare|porre fine alla vita|meritano di morire|merita di morire|si meritano di morire|` +
		`dovrebbero morire|devono morire|devi morire|dovete morire|morte a|morte ai|dovrebbero essere uccisi|dovrebbero essere uccise|` +
		`dovrebbero essere tutti uccisi|dovrebbero essere tutte uccise|vanno uccisi|vanno ammazzati|andrebbero ammazzati|` +
		`andrebbero uccisi|vanno fucilati|andrebbero fucilati|andrebbero impiccati|vanno impiccati|andrebbero bruciati|vanno bruciati|` +
		`presi a bastonate|prese a bastonate|presi a calci|cacciati a calci|presi a sprangate|a colpi di spranga|fare le ronde|` +
		`spaccare la testa|spacco la testa|ti spacco la testa|ti meno|vi meno|ti gonfio|ti riempio di botte|vi riempio di botte|` +
		`ti taglio la gola|taglio la gola|ti sgozzo|ti accoltello|ti investo|` +
		`sfondo la porta|vengo li e|stai attento|state attenti a voi|fine che fai|vi faccio vedere io|ti faccio vedere io|ti faccio male|` +
		`vi faccio male|a calci nel culo|la prossima volta lo|mazzate|ti ammazzerei|li ammazzerei|li ucciderei|bomba al comune|` +
		`una bomba|mettere una bomba|lo ammazzo|la ammazzo|li ammazzo|lo uccido|la uccido|li uccido|lo prendo a|la prendo a|li prendo a|` +
		`gli taglio le gomme|ti taglio le gomme|vi taglio le gomme|taglio le gomme`},
	{kThreatVerb, `ammazzo|ammazzero|uccido|uccidero|spacco|spacchero|brucio|brucero|sparo|sparero|spara|sparano|picchio|picchiero|` +
		`meno|menero|strozzo|sgozzo|accoltello|investo|ammazza|ammazzano|uccide|uccidono|brucia|bruciano|pesto|massacro|massacrero|` +
		`distruggo|distruggero|ammazzerei|ucciderei|prendo a sprangate|prendo a bastonate|prendo a calci|prendo a pugni|prendo a schiaffi|` +
		`gonfio|rompo la faccia|rompo le ossa|faccio fuori`},
	{kThreatPron, `ti|vi|gli|lo|la|li|le|te|ve|ce|t`},
	{kCallViolence, `fossero|venissero|siano|essere|dovremmo|vorrei|mi piacerebbe|se solo|qualcuno dovrebbe|bisognerebbe|bisogna|andrebbero|vanno|dovrebbero|devono|meritano|meriterebbero|ci vorrebbe|servirebbe`},
	{kViolentAct, `tutti morti|tutte morte|per mano mia|uccid*|ammazz*|pugnal*|stupr*|strangol*|tortur*|massacr*|impicc*|stermin*|sbarazz*|sradic*|debell*|annegas*|fucil*|far soffrire|faro soffrire|fare soffrire|dovrebbero soffrire|di soffrire|soffrire|al rogo|messi al rogo|giustiziati|giustiziare|morire|morira|mettere fine|mettiamo fine|metta fine|porre fine|gola tagliata|taglierò le gole|gole|spezzare il collo|spezzero il collo|sparero|sparassero|sparare|fare del male|faro del male|attaccare|sgozz*|decapit*|linciar*|picchiar*|bastonar*|bruciarli|bruciarle|bruciati|bruciate|ammazzarli|ammazzati|uccisi|uccise|ucciderli|impiccati|fucilati|sterminati|` +
		`sterminarli|gasati|presi a bastonate|presi a calci|picchiati|pestati|massacrati|massacrarli|eliminati fisicamente|sparati|` +
		`sparargli|legnate|bastonate|randellate|sprangate|frustati|torturati|affogati|annegati|buttati a mare|buttarli a mare|` +
		`affondare i barconi|affondarli|spaccare le ossa|prendere a bastonate|prenderli a calci|bombardare|bombardarli`},
	{kAwait, `ti aspetto|vi aspetto|ti aspettiamo|vi aspettiamo|ti aspetta|vi aspetta|aspettami|aspettatemi`},
	{kAwaitCtx, `sotto casa|fuori|all uscita|uscita|vediamo se|e vediamo|al parcheggio|sotto il comune|in ambulanza|da solo|da sola|` +
		`la sera|stasera|al buio|coltello|pistola`},
	{kPersonTarget, `sindaco|sindaca|sindic|vicesindaco|assessore|assessora|assessori|consigliere|consigliera|consiglieri|giunta|presidente|` +
		`dirigente|dirigenti|funzionario|funzionari|funzionaria|impiegato|impiegata|impiegati|impiegate|dipendente|dipendenti|vigile|` +
		`vigili|vigilessa|agente|agenti|poliziotto|poliziotti|segretario|segretaria|geometra|architetto|ingegnere|tecnico|tecnici|ufficio|` +
		`uffici|addetto|addetta|addetti|operatore|operatori|operatrice|moderatore|moderatori|admin|chi gestisce|chi ha progettato|` +
		`chi ha deciso|chi ha fatto|chi fa|chi ha disegnato|chi scrive|chi ha scritto|quella|quello|quel|quei|quegli|questi|sti|ste|` +
		`voi|tu|te|lei|lui|sei|siete|vi|ti|organizzatore|organizzatori|organizzatrice|dietista|maestra|maestre|insegnante|bibliotecaria|` +
		`autista|amministratori|amministratore|amministrazione|politici|politicanti|maggioranza|opposizione|comunisti|fascisti|` +
		`leghisti|grillini|grillino|piddini|piddino|sinistri|destrorsi|fasci|zecche|zecca|compagni|rossi|neri|primo cittadino|` +
		`gestore|gestori|direttore|direttrice|responsabile|responsabili|personale|staff|capo|capi|capoufficio|comandante|medico|` +
		`dottore|dottoressa|parroco|prete|preti|tua|tuo|tuoi|vostro|vostra|vostri|el|l e un|l e una|ragazzo|ragazza|signora|signore|` +
		`tizio|tizia|vicina|vicino|marito|moglie|figlio|figlia|gente|commentatore|utente|utenti|pagina|staff della pagina|sindacalisti`},
	{kCollective, `banda di|manica di|branco di|massa di|accozzaglia di|covo di|mucchio di|gruppo di|una manica di|una banda di|` +
		`un branco di|una massa di|un covo di|mandria di|gregge di|ufficio di|ufficio tecnico di|ufficio scuola di|uffici di`},
	{kDecision, `scelta|scelte|decisione|decisioni|idea|idee|progetto|progetti|regola|regole|ordinanza|calendario|orario|orari|legge|` +
		`proposta|piano|cosa|cose|domanda|risposta|frase|ragionamento|iniziativa|provvedimento|gestione|lavoro|lavori|opera|opere|` +
		`rotonda|ciclabile|variante|delibera|bando|regolamento|tassa|tasse|aumento|multa|multe|spesa|spese|situazione|film|canzone|` +
		`gioco|partita|prezzo|prezzi|servizio|sistema|modo|metodo|storia|errore|politica|messaggio|post|commento|discorso`},
	{kParty, `pd|piddini|piddina|piddino|partito democratico|lega|lega nord|lega salvini|leghisti|fratelli d italia|fdi|forza italia|` +
		`m5s|movimento 5 stelle|movimento cinque stelle|5 stelle|cinque stelle|grillini|grillino|di azione|italia viva|piu europa|avs|` +
		`alleanza verdi sinistra|alleanza verdi e sinistra|sinistra italiana|verdi|europa verde|noi moderati|rifondazione|` +
		`rifondazione comunista|casapound|casa pound|forza nuova|potere al popolo|partito comunista|salvini|meloni|schlein|conte|` +
		`calenda|renzi|tajani|berlusconi|vannacci|bonelli|fratoianni|anpi|centrodestra|centrosinistra|la destra|la sinistra|della sinistra|della destra|lista civica|` +
		`gruppo di minoranza|il movimento|fascisti|comunisti|sardine|udc|psi|radicali|la russa|zingaretti|` +
		`letta|grillo|di maio|boldrini`},
	{kPolStrong, `votate|votatelo|votatela|votateli|votateci|votiamo|fai votare|vota e fai votare|votare per|alle urne|ricordatevelo alle urne|` +
		`ricordatevelo quando si vota|quando si vota|quando andate a votare|ricordatevelo quando andate a votare|ricordatelo alle urne|tesseratevi|` +
		`tesserati|tesserarvi|iscriviti al partito|sosteneteci|sostieni il|sostieni la|sostieni anche tu|firma la petizione|firmate la petizione|` +
		`firma anche tu la petizione|firmate la nostra petizione|sulla scheda|scrivi sulla scheda|barra il simbolo|croce sul simbolo|` +
		`dai il tuo voto|dategli il voto|date il voto|dacci il tuo voto|scegli il pd|scegli la lega|vota pd|vota lega|vota fdi|` +
		`vota forza italia|vota m5s|vota avs|vota azione|votalega|votapd|i nostri candidati|nostri candidati|il nostro candidato|` +
		`la nostra candidata|nostra lista|al nostro gazebo|al nostro banchetto|nostro banchetto|nostro gazebo|mandiamoli a casa|mandiamo a casa|alle prossime votate|alle prossime votiamo|alle prossime comunali|` +
		`alle prossime elezioni|alle comunali|alle europee|alle regionali|alle politiche|vota verde|votaverde|votacentrodestra|` +
		`votacentrosinistra|primagliitaliani|prima gli italiani|santino`},
	{kPolWeak, `elezioni|elezione|comunali|europee|regionali|politiche|candidati|candidato|candidata|gazebo|banchetto|stand|lista|` +
		`propaganda|voto|votare|partito|tesseramento|petizione|opposizione|simbolo|solo noi|solo la|solo il|merito della|merito del|` +
		`merito nostro|lo chiedevamo|chiedeva da anni|chiediamo da anni|l abbiamo chiesto noi|il coraggio di|` +
		`sosteniamo|sostenere|venite a conoscerli|trovate i nostri|passate a trovarci|insieme per|bene comune|futura|vota|` +
		`campagna elettorale|preferenza|cambiamo musica|cambiamo pagina|ideologica|follia ideologica|ora e sempre|bella ciao|iononfesteggio|io non festeggio|viva|forza`},
	{kCommStrong, `vendo|vendesi|vendiamo|svendo|affitto posto|affittasi|cedo|offro|offresi|prezzi imbattibili|prezzo imbattibile|prezzi bassissimi|` +
		`prezzi onesti|prezzi di fabbrica|prezzo fisso|a prezzi|super offerta|in offerta|offerta speciale|offerte per|sconto|sconti|` +
		`promo|promozione|preventivo gratuito|preventivi gratuiti|preventivo|preventivi|sopralluogo gratuito|prima consulenza gratuita|` +
		`prima lezione gratis|prima lezione gratuita|spedizione gratis|spedizione gratuita|consegna a domicilio|consegna gratuita|` +
		`scrivetemi in privato|scrivimi in privato|scriveteci in privato|contattatemi in privato|contattatemi in pvt|contattami in privato|` +
		`info in privato|info in pvt|scrivete in pvt|scrivetemi in pvt|in pvt|info e prezzi|per le tariffe|chiedeteci un preventivo|` +
		`link in bio|seguite la nostra pagina|seguiteci su|seguici su|visitate il nostro|visita il nostro|il nostro negozio|` +
		`il nostro banco|dal nostro banco|passate dal nostro|nostri prodotti|i nostri lavori|realizziamo|interveniamo|` +
		`assistenza domiciliare|agenzia|impresa edile|studio di consulenza|posti ancora disponibili|disponibile anche per|` +
		`referenziata|referenziato|automunita|automunito|ripetizioni|lezioni private|ordinate entro|ordina ora|ordinate ora|acquista ora|` +
		`compra ora|solo questa settimana|solo oggi|chiama ora|` +
		`vi aspettiamo in negozio|installazione compresa|su misura|in giornata|24 ore su 24|h24|` +
		`codice sconto|spedizioni in tutta|tutta italia|clienti|guadagna|acquistate|comprate|prenotate su|` +
		`costa meno|a due passi dal|trattabili|tratt|pezzi|pz|usato|usate|nuovo di zecca`},
	{kCommWeak, `per info|chiamate lo|contattaci|contattateci|whatsapp|whats app|prezzo|prezzi|euro|offerta|offerte|tariffe|tariffa|gratis|gratuito|gratuita|info|instagram|facebook|pagina|negozio|` +
		`ditta|azienda|servizio|servizi|professionale|professionali|qualificate|qualificati|consulenza|contratti|condomini|aziende|` +
		`privati|disponibile|disponibili|chiamate|chiamare|scrivete|scrivetemi|contattatemi|prenotate|ordinate|personalizzati|` +
		`personalizzate|garantito|garantita|qualita|economico|convenienti|conveniente|novita|catalogo|shop|bio|prenota|prenotazioni|chiamateci|nuova apertura|inaugurazione`},
	{kSpamStrong, `manda questo messaggio|invia questo messaggio|inoltra questo messaggio|condividi con 10 amici|condividi con|` +
		`condividete questo post|condividi questo post|se ci tieni condividi|se non condividi|copia e incolla|copia incolla|` +
		`non autorizzo|anni di sfortuna|chi lo interrompe|tagga 3 amici|tagga tre amici|tagga i tuoi amici|metti like|mettete like|` +
		`like e condividi|giveaway|hai vinto|avete vinto|sei stato selezionato|ritiralo entro|follow x follow|follow for follow|` +
		`followme|follow me|ricambio subito|ricambio|iscrivetevi al mio canale|andate tutti sul mio canale|sul mio canale|mio canale youtube|` +
		`guadagnare da casa|guadagna da casa|lavoro da casa|lavora da casa|guadagni fino a|guadagnato|nessuna esperienza richiesta|` +
		`investi|investite|ricevi|trading|bitcoin|crypto|criptovalute|forex|mentore|mentor|telegram|cerco persone motivate|` +
		`ti cambia la vita|cambia la vita|guardate il mio profilo|guardate il profilo|link in bio|cercate su google|recupero crediti|` +
		`funziona davvero|clicca qui|cliccate qui|clicca sul link|entrate nel link|entra nel link|votate la foto|vota la foto|` +
		`sto raccogliendo voti|guardate cosa sta succedendo|video shock|notizia shock|` +
		`non crederai|incredibile ma vero|vediamo quanti|scrivi amen|scrivete amen|condividete|diventera a pagamento|` +
		`facebook diventera|intelligenza artificiale|piattaforma|rendita passiva|soldi facili|guadagno facile|vinci|vincere un iphone|` +
		`iphone|buono spesa|buono amazon|estrazione|premio in denaro`},
	{kSpamWeak, `clicca|cliccate|link|guardate|guardare|video|condividi|shock|scioccante|incredibile|ricchi|euro al giorno|al giorno|` +
		`in 7 giorni|in una settimana|in 30 giorni|subito|info|scrivimi|profilo|canale|iscrivetevi|seguitemi|seguimi`},
	{kDrug, `droga|erba|marijuana|hashish|fumo|coca|cocaina|coke|eroina|crack|mdma|ecstasy|pasticche|pasticca|anfetamine|` +
		`ketamina|lsd|funghetti|spinelli|canne|ossicodone|xanax|fentanyl|metadone|ricette senza visita|ricette per|roba buona|la roba|` +
		`oppio|morfina|codeina|rivotril|tavor|ricetta bianca|senza ricetta|steroidi|anabolizzanti`},
	{kWeapon, `pistola|pistole|fucile|fucili|revolver|kalashnikov|mitra|munizioni|proiettili|armi|arma|senza matricola|matricola abrasa|` +
		`beretta|glock|coltello a scatto|tirapugni|esplosivo|esplosivi|petardi illegali|bombe carta`},
	{kCounterfeit, `clonati|clonate|clonato|falsi identici|identici agli originali|documenti falsi|patenti false|patente falsa|` +
		`green pass falso|certificati falsi|soldi falsi|banconote false|borse false|tarocchi|taroccati|contraffatti|pass clonati|` +
		`biglietti falsi|carta d identita falsa|senza fattura in nero|in nero|rubati|refurtiva|account rubati|netflix gratis per sempre`},
	{kSaleCue, `vendo|vendesi|vendiamo|chi vuole|chi cerca|chi ne vuole|scrivetemi|contattatemi|mi trova|mi trovate|` +
		`trovate da me|consegna a mano|consegna a domicilio|l uno|al grammo|prezzi buoni|trattabili|` +
		`in privato|in pvt|telegram|whatsapp|spedisco|porto io|ho della|chi ha bisogno|solo contatti`},
	{kIllegalMarker, `contenuto illecito`},
	{kPhishCue, `credenziali|credenziali della tua banca|dati della tua carta|dati della carta|inserendo i dati|inserisci i dati|` +
		`numero della carta|codice della carta|pin della carta|accedi subito|accedi con|verifica il tuo conto|conto bloccato|` +
		`account sospeso|riattiva|sblocca il|entro 24 ore|rimborso|rimborsi|per ricevere il contributo|password|codice otp|otp|` +
		`conferma i tuoi dati|aggiorna i tuoi dati|spid e password`},
	{kMalwareCue, `scaricate l app|scarica l app|installatela|installala|installate|installare|apk|exe|se il telefono dice|` +
		`e pericolosa|ignora l avviso|disattiva l antivirus|file allegato|scarica il file`},
	{kDanger, `fuoco|fiamme|in fiamme|incendio|brucia|bruciando|sta bruciando|fumo|fumo nero|odore di gas|puzza di gas|gas|fuga di gas|` +
		`allaga|allagando|si sta allagando|sta allagando|allagata|acqua e entrata|acqua e gia|acqua nei|sott acqua|esonda|esondando|` +
		`sta uscendo|straripa|straripando|sta esondando|incidente|investito|investita|ferito|ferita|feriti|a terra|per terra|` +
		`non si muove|svenuto|svenuta|non respira|sangue|perde sangue|accoltellato|accoltellata|crollato|crollata|crollo|caduto|caduta|` +
		`cadute|caduti|fili della luce|cavi elettrici|scintille|bloccati in casa|bloccato in casa|bloccata in casa|intrappolati|` +
		`intrappolato|non riusciamo a uscire|non riesce a uscire|non riesce ad alzarsi|non riesce a risalire|non riesce a uscire|annega|annegando|` +
		`corrente fortissima|si schiaccia|schiacciati|ressa|malore|infarto|arresto cardiaco|defibrillatore|rimasta sotto|rimasto sotto|` +
		`qualcuno sotto|ribaltata|ribaltato|scontro|tamponamento|esplosione|esploso|scoppio|voragine|zampilla|tubo rotto|si e rotto un tubo|` +
		`lastra di ghiaccio|non apre la porta|non risponde al telefono|aggressione|rissa|pistola|armato|rapina|ladri in casa|` +
		`crolla|cede|cedendo|sta cedendo|frana|smottamento|albero caduto|ramo caduto|e caduto un albero|e caduto un ramo|fulmine|` +
		`black out|cavi scoperti|tranciato|senza transenne`},
	{kDangerStrong, `odore di gas|puzza di gas|fuga di gas|in fiamme|sta bruciando|incendio|accoltellato|accoltellata|non respira|` +
		`perde sangue|perde tantissimo sangue|chiamate il 118|chiamate il 112|chiamate il 115|chiamate i soccorsi|chiamate l ambulanza|` +
		`chiamate i pompieri|chiamate i vigili del fuoco|aiuto|aiutateci|aiutatemi|bloccati in casa|non riusciamo a uscire|sta esondando|` +
		`sta uscendo adesso|arresto cardiaco|ho paura che sia caduta|ho paura che sia caduto`},
	{kUrgent, `adesso|in questo momento|proprio ora|appena|e appena|si e appena|ha appena|sta andando|ancora per terra|` +
		`ancora a terra|subito|presto|urgente|urgentissimo|chiamate|chiamate subito|qualcuno chiami|ho chiamato il 112|` +
		`ho chiamato il 118|mandate qualcuno|mandate la polizia|mandate i vigili|fate qualcosa|aiuto|vi prego|cosa faccio|cosa posso fare|` +
		`cosa facciamo|da mezz ora|da un ora|in corso|stasera|stanotte adesso|emergenza|pericolo|pericolosissimo`},
	{kChronic, `da giorni|da settimane|da mesi|da anni|da un anno|da una settimana|da tempo|ogni volta|ogni anno|sempre|tutti i giorni|` +
		`ogni giorno|ogni sera|ogni mattina|spesso|di nuovo|ancora una volta|cronico|da febbraio|da marzo|da gennaio|da ieri|` +
		`quando piove|ogni acquazzone|a ogni|sono anni|da quando|prima che`},
	{kPast, `ieri|ieri sera|l anno scorso|la settimana scorsa|stanotte|il mese scorso|anni fa|nel 2014|nel 2022|l altro giorno|l altra sera|` +
		`era|erano|c era|e stato|e stata|ricordo|una volta|fortunatamente|per fortuna|non e successo niente`},
	{kReqStrong, `a chi devo|a chi dobbiamo|a chi posso|a chi possiamo|a chi mi devo|a chi mi posso|a chi ci si|a chi si|a chi bisogna|` +
		`a chi fare|a chi mandare|a chi chiedere|a chi rivolgersi|a chi rivolgermi|a chi segnalare|a chi scrivere|chi devo chiamare|` +
		`chi devo contattare|chi dobbiamo chiamare|chi bisogna chiamare|chi lo deve|chi la deve|chi li deve|chi deve|chi si occupa|` +
		`chi lo segue|chi controlla|chi lo guarda|come si fa|come faccio|come posso|come possiamo|come si puo|come si chiede|` +
		`come si prenota|come si richiede|come ci si iscrive|come si iscrive|come funziona|come fare|potete|potreste|puo|potrebbe|si puo|` +
		`si potrebbe|si possono|e possibile|sarebbe possibile|posso|possiamo|mandate qualcuno|mandare qualcuno|mandate i vigili|` +
		`intervenite|intervenire|sistemate|sistemare|lo sistemate|la sistemate|quando sistemate|quando passa|quando passano|` +
		`quando ripassa|quando ripassano|quando intervenite|quando asfaltate|quando escono|quando esce|quando arriva|quando si torna|` +
		`quando mandate|quando chiudete|quando riaprite|quando riapre|quando aprite|quando pensate|quando pensate di|quando vi decidete|quando avete intenzione|quando contate di|quando si decide|quando si decidono|vorrei sapere|vorrei|vorremmo|volevo sapere|volevo|` +
		`voglio sapere|voglio parlare|mi serve|mi servirebbe|ci serve|serve la|serve il|serve l|serve un|serve una|serve ancora|` +
		`servono|bisogna prenotare|bisogna fare|bisogna rifare|segnalo|segnalare|vi segnalo|segnalato|multatelo|multateli|multate|` +
		`fate controllare|far controllare|controllate|potete controllare|rimuovere|farla rimuovere|rimettere|potare|avvisare|c e modo|` +
		`a che ora|dove si|dove posso|dove trovo|dove si trova|dove si trovano|qual e|quali documenti|che documenti|che pratiche|` +
		`quanto costa|quanto paghiamo|quanto si paga|si paga|vale anche|conta la|e compreso|basta la|basta il|basta iscriversi|` +
		`lo faccio|lo porto|li lascio|li riporto|rispondete|mi spiegate|spiegatemi|mi date|mi dite|mi sa dire|mi sapete dire|` +
		`sapete dirmi|chi lo deve ritirare|e aperto|e libera|e cambiato|si puo bere|arriva a casa|deve venire|si prenota|` +
		`mi potete|ci potete|mi potreste|ci sono controlli|ci sono posti|c e posto|e necessario|occorre|bisogna|serve|servirebbe|` +
		`richiedere|prenotare|iscriversi|iscrivere|partecipare|informazioni|info su|chiedo|chiediamo|domanda|vi chiedo|` +
		`fatemi sapere|fateci sapere|aspetto risposta|attendo risposta|qualcuno del comune|qualcuno lo guarda|li controllate|` +
		`lo controllate|intervenga|provvedete|provvedere|risolvete|risolvere|rimediate|pulite|la pulite|pulirle|tagliate|asfaltate|` +
		`cambiate|riparate|aggiustate|mettete|mettere|installate|rifate|ripristinate|chi mi risponde|a chi fare reclamo|` +
		`o no|si o no|lo segnalo|li controllate anche`},
	{kReqWeak, `buongiorno|salve|buonasera|gentili|grazie|scusate|segnalo|segnalazione|problema|rotto|rotta|rotti|spento|spenti|spenta|` +
		`guasto|guasta|non funziona|non funzionano|pericoloso|pericolosa|da settimane|da mesi|da giorni|sono anni|ancora|mai|nessuno|` +
		`abbandonata|abbandonato|pieno|piena|intasato|intasata|sporco|sporca|buio|alta|alte|puzza`},
	{kRhetoric, `boh|secondo voi|scherzo|che bello|che bella|che belli|scherzavo|ma serviva|ma chi|chi le guarda|come fa|finiranno mai|non ci avete pensato|chissa|` +
		`ma perche|perche mai|ma davvero|ma dai|che vergogna|vergogna|complimenti|bravi|pazienza|ma come|possibile che|e poi|` +
		`non lo capiro mai|mai|ma la gente|chi e che|ma secondo|figuriamoci|magari|speriamo|spero|ci credo poco`},
	{kOffTopic, `qualcuno sa|qualcuno conosce|qualcuno ha|qualcuno mi consiglia|qualcuno consiglia|qualcuno ha visto|mi consigliate|` +
		`consigliatemi|consigli su|cerco casa|cerco un|cerco una|cerco bilocale|buon compleanno|auguri|tanti auguri|buongiorno a tutti|` +
		`buon mercoledi|buon lunedi|buon martedi|buon giovedi|buon venerdi|buon sabato|buona domenica|buon weekend|buona giornata a tutti|` +
		`che dio vi benedica|forza juve|forza inter|forza milan|forza toro|forza napoli|forza roma|forza lazio|forza atalanta|forza monza|` +
		`juve|juventus|inter|milan|toro|napoli|atalanta|derby|partita|campionato|allenatore|scudetto|champions|serie a|gol|` +
		`masterchef|sanremo|grande fratello|puntata|ricetta|torta|pizza|superenalotto|lotto|gratta e vinci|oroscopo|luna piena|` +
		`che tempo fara|meteo di|concerto|ho perso il mio|ho perso la mia|se lo vedete|` +
		`dentista|meccanico|idraulico|elettricista|` +
		`coscritti|battesimo|parroco|matrimonio di|ahahah|sognato|` +
		`chi va al|facciamo un gruppo|` +
		`in tv|su rai|netflix|serie tv|film|cinema|vacanze|ferie|al mare|in montagna|neve a|chi viene|ci vediamo stasera`},
	{kHealth, `tumore|tumori|cancro|infarto|ictus|dialisi|depressione|depresso|depressa|pacemaker|diabetico|diabetica|diabete|la 104|` +
		`legge 104|invalidita|pensione di invalidita|pensione d invalidita|chemioterapia|chemio|alzheimer|demenza|parkinson|sla|` +
		`non ci sta piu con la testa|hiv|aids|sieropositivo|sieropositiva|psichiatrico|psichiatrica|ricoverato|ricoverata|` +
		`in ospedale|al pronto soccorso|incinta|aborto|ha abortito|si e rotto|si e rotta|frattura|operato|operata|` +
		`tossicodipendente|alcolizzato|alcolizzata|disabile|malato di|malata di|malattia|esaurimento|psicofarmaci|terapia|` +
		`in carrozzina|cieco|cieca|sordo|sorda|trapianto|metastasi|leucemia|epilessia|autistico|autistica|anoressia|bulimia|` +
		`ha il covid|positivo al covid|positiva al covid|e morto|e morta|lutto|vedova|divorziato|divorziata|separata|separato|` +
		`disoccupato|disoccupata|cassa integrazione|sfrattato|sfrattata|debiti|pignoramento|non paga|non paga la tari|evasore|nata il|nato il`},
	{kJudicial, `spacciatore|spacciatrice|spaccia|pregiudicato|pregiudicata|in carcere|ai domiciliari|arrestato|arrestata|denunciato|` +
		`denunciata|condannato|condannata|processato|indagato|indagata|ex detenuto|galera|fedina penale|precedenti penali|ladro di`},
	{kOrientation, `gay|lesbica|omosessuale|bisessuale|trans|transessuale|ragazzo gay|ragazza lesbica|coming out|fidanzato di|fidanzata di|amante`},
	{kResidence, `abita in|abita a|abita al|abitano in|vive in|vive a|vive al|vive da sola|vive da solo|abita da solo|abita da sola|` +
		`di via|in via|al civico|del civico|del quarto piano|del primo piano|del secondo piano|del terzo piano|scala|interno|` +
		`casa sua|sotto casa sua|il suo indirizzo|indirizzo|cascina|abitazione`},
	{kTitle, `signor|signora|sig|sigra|sigg|dott|dottor|dottoressa|dr|prof|professor|professoressa|avv|avvocato|ing|arch|geom|` +
		`maestra|maestro|don|suor|rag|cav|famiglia|il|la|al|alla|del|della|dalla|dal`},
	{kPrivate, `cellulare privato|cell privato|numero privato|telefono privato|numero di casa|telefono di casa|a casa allo|a casa al|` +
		`chiamatela a casa|chiamatelo a casa|il suo cell|il suo cellulare|il suo numero|suo numero|sua mail|la sua mail|mail personale|` +
		`e mail personale|email personale|indirizzo personale|chiamatela|chiamatelo|chiamateli|scrivetegli|scrivetele|intasategliela|` +
		`ditegliene|tempestatelo|tempestatela|a qualsiasi ora|il mio codice fiscale|il mio cf|mio codice fiscale|mio iban|l iban|iban|` +
		`codice fiscale|cf|targato|targata|targa|personale|privato|privata|nata il|nato il`},
	{kInstitution, `ufficio|uffici|comando|caserma|polizia municipale|ospedale|anagrafe|comune|comunale|urp|municipio|numero verde|polizia locale|vigili|reperibilita|servizi sociali|` +
		`servizi educativi|sportello|segreteria|protocollo|tributi|biblioteca|ufficio tecnico|stato civile|elettorale|centralino|` +
		`carabinieri|questura|asl|ats|farmacia|scuola|pro loco|parrocchia|oratorio|associazione|croce rossa|protezione civile|` +
		`pronto intervento|guardia medica|emergenza|118|112|115|numero unico|rispondono|risponde|orari|sito|pec`},
	{kFirstName, `maria|anna|giuseppe|giovanni|antonio|mario|luigi|francesco|angelo|vincenzo|pietro|salvatore|carlo|franco|domenico|` +
		`bruno|paolo|michele|giorgio|aldo|sergio|luciano|giovanna|rosa|angela|giuseppina|lucia|carmela|teresa|francesca|elena|` +
		`laura|paola|sara|giulia|chiara|martina|sofia|alessandra|alessandro|andrea|marco|matteo|lorenzo|luca|davide|simone|federico|` +
		`riccardo|stefano|roberto|fabio|massimo|claudio|daniele|gianni|gino|renato|walter|ivano|kevin|tommaso|emanuele|ernesta|` +
		`ernesto|giancarlo|gianluca|gianna|rita|carla|sabrina|claudia|marta|silvia|valentina|federica|elisa|monica|cristina|barbara|` +
		`patrizia|daniela|roberta|simona|manuela|raffaella|antonella|nadia|gabriella|luisa|ornella|franca|adriana|mirella|graziella|` +
		`loredana|rosanna|rossella|tiziana|cinzia|stefania|silvana|nicoletta|serena|beatrice|alice|giorgia|aurora|ginevra|emma|` +
		`gabriele|edoardo|leonardo|filippo|nicola|enrico|alberto|massimiliano|maurizio|marcello|mauro|sandro|alessio|cristian|` +
		`christian|diego|emilio|enzo|ettore|fausto|fernando|flavio|gaetano|giacomo|guido|ugo|umberto|valerio|vittorio|rocco|raffaele|` +
		`pasquale|nino|tonino|lino|dino|piero|pierluigi|piergiorgio|gianfranco|giampiero|gianpaolo|pierpaolo|ferruccio|osvaldo|` +
		`remo|romano|rodolfo|silvio|tullio|benito|elio|ezio|livio|lucio|mirko|ivan|igor|jessica|debora|deborah|denise|noemi|` +
		`irene|ilaria|elisabetta|margherita|caterina|agnese|bianca|camilla|cecilia|diana|eleonora|erika|fabiola|greta|ida|ines|` +
		`lidia|linda|lorena|marina|marisa|mara|nives|olga|pamela|rebecca|samanta|samantha|sonia|tamara|vanessa|veronica|viola|` +
		`wanda|assunta|concetta|immacolata|annunziata|carmelo|calogero|gennaro|ciro|cosimo|donato|oreste|arturo|amedeo|armando|` +
		`attilio|augusto|cesare|dario|elia|fabrizio|gianmarco|gioele|jacopo|kristian|mattia|michela|mirco|nicolo|ottavio|pino|` +
		`rino|sabatino|sebastiano|severino|tiziano|vito|zeno`},
	{kCommerceCtx, `vendo|offro|prezzi|preventivo|preventivi|impresa|ditta|azienda|agenzia|studio|negozio|info|promo|offerta|offerte|` +
		`prenotazioni|ordini|servizio|consegna|chiama|chiamate|chiamaci|whatsapp|interveniamo|realizziamo|sopralluogo|tariffe|` +
		`prezzo|euro|sconto|gratuito|gratuita|lezioni|ripetizioni|babysitter|toelettatura|sgombero|trivellazioni|zanzariere|legna`},
}

// topicSources lists the topic keywords; the number after ':' is the weight.
var topicSources = map[string]string{
	"roads": `buca:3|buche:3|voragine:3|strada:1|strade:1|asfalto:2|asfaltare:3|asfaltate:3|asfaltatura:3|marciapiede:3|marciapiedi:3|` +
		`tombino:3|tombini:2|caditoia:3|caditoie:3|segnaletica:3|cartello:2|cartelli:2|stop:1|cantiere:2|transenne:2|dosso:1|` +
		`strisce pedonali:3|strisce:2|rotonda:2|pavimentazione:3|sampietrini:3|pista ciclabile:1|ciclabile:1|radici:2|sollevato:2|` +
		`crepando:2|crepe:2|lavori stradali:3|manutenzione strade:3|guardrail:3|ponte:1|sottopasso:2|buchi:2|asfaltano:3`,
	"lighting": `lampione:4|lampioni:4|illuminazione:4|luce pubblica:4|luci:2|punti luce:4|lampadina:3|lampada:2|lampeggia:3|` +
		`spento:1|spenti:1|buio:2|al buio:2|led:1|illuminata:2|illuminato:2`,
	"waste": `rifiuti:3|raccolta:2|cassonetto:4|cassonetti:4|ingombranti:4|abbandono:2|spazzamento:3|sacchi:2|sacco:2|differenziata:3|` +
		`plastica:2|vetro:2|carta:1|organico:3|umido:3|indifferenziato:3|multimateriale:3|calendario:1|ritirato:1|ritirata:1|` +
		`ritirati:1|piazzola:3|ecocentro:4|isola ecologica:4|verde:1|sfalci:1|divano:2|spazzatura:3|immondizia:3|netturbini:3|` +
		`mastelli:3|mastello:3|bidone:3|bidoni:3|discarica:2|raccolta porta a porta:4|passa:1|ripassano:2|tari calendario:2`,
	"green": `alberi:3|albero:3|parco:2|parchetto:3|giardini:3|giardino pubblico:4|giardino:2|sfalcio:4|potatura:4|potare:4|` +
		`erba:3|erbacce:3|siepi:3|siepe:3|aiuole:3|aiuola:3|verde pubblico:4|giochi:2|giochi bimbi:4|parco giochi:4|scivolo:3|` +
		`altalena:3|panchina:2|panchine:2|tigli:3|rami:3|ramo:3|secchi:1|ombra:1|campetto:2|prato:3|foglie:2|tagliare l erba:4`,
	"water": `acqua:2|perdita d acqua:4|perdita:2|fognatura:4|fognature:4|fogna:4|fogne:4|allagamento:3|allaga:2|allaghiamo:3|` +
		`tubo:2|tubature:3|rubinetto:3|acquedotto:4|fosso:3|fossi:3|rigurgita:3|scarico:3|pozzo:1|pozzi:1|cantina:1|acquazzone:1|` +
		`piove:1|pioggia:1|potabile:3|gestore idrico:4|pressione dell acqua:4|puzza di fogna:4`,
	"traffic": `sosta:3|parcheggio:2|parcheggiano:3|parcheggiato:3|parcheggiata:2|auto abbandonata:4|abbandonata:1|viabilita:3|` +
		`velocita:3|ztl:4|multe:3|multa:3|verbale:3|varco:3|vigili:3|polizia locale:3|passi carrai:4|passo carraio:4|senso unico:3|` +
		`traffico:2|semaforo:2|dosso:2|autovelox:4|controlli:1|permesso:2|libretto:2|rimozione:3|carro attrezzi:4|doppia fila:4|` +
		`targa:2|sfrecciano:3|corrono:2|camion:2|furgoni:2|auto:1|macchine:1|macchina:1`,
	"registry": `carta d identita:4|carta di identita:4|cie:4|residenza:3|certificato:3|certificati:3|stato civile:4|elettorale:3|` +
		`tessera elettorale:4|anagrafe:4|cambio indirizzo:4|cambio di residenza:4|pubblicazioni:3|matrimonio:2|` +
		`unione civile:4|cittadinanza:4|passaporto:2|certificato storico:4|atto di nascita:4|stato di famiglia:3|duplicato:2|` +
		`spid:1|iscrizione anagrafica:4|trasferito:2|documenti:1|foto:1`,
	"taxes": `imu:4|tari:3|tasse:3|tassa:3|tributi:4|tributo:3|pagamento:2|pagamenti:2|avviso:2|avvisi:2|accertamento:4|sollecito:3|` +
		`f24:4|rendita:3|aliquota:3|aliquote:3|rimborso:2|ricevuta:2|bollettino:3|pagopa:2|acconto:3|saldo:2|esenzione:2|` +
		`rateizzazione:3|cartella:3|addizionale:3|tassa rifiuti:4`,
	"social": `isee:4|contributi:3|contributo:3|anziani:2|disabili:2|disabile:2|bonus:3|servizi sociali:4|assistente sociale:4|` +
		`sfratto:4|affitto:2|bando:2|graduatoria:2|graduatorie:2|famiglie in difficolta:4|sussidio:4|pacco alimentare:4|` +
		`trasporto:2|carrozzina:3|sedia a rotelle:3|badante:2|casa popolare:3|case popolari:3|alloggio:3|reddito:2|utenze:3|` +
		`bando utenze:4|centro anziani:3|ho bisogno di aiuto:3|visita:1`,
	"schools": `mensa:4|scuolabus:4|iscrizioni:2|iscrizione:2|asilo nido:4|nido:4|nidi:4|asilo:3|scuola:2|scuole:2|materna:3|` +
		`infanzia:3|primaria:3|pre scuola:4|prescuola:4|post scuola:4|centro estivo:3|menu:2|retta:3|rette:3|insegnanti:2|` +
		`sostegno:2|educatore:2|lista d attesa:3|diete:2|commissione mensa:4|classe:1|maestre:2`,
	"culture": `biblioteca:4|eventi:3|evento:3|manifestazione:3|manifestazioni:3|palestra:3|patrocinio:4|museo:4|mostra:3|` +
		`concerto:2|teatro:4|spettacolo:3|festa:1|sagra:2|laboratori:3|laboratorio:3|visita guidata:4|coro:2|torneo:3|` +
		`associazione:2|stand:2|sala:1|campo comunale:3|streaming:1|cinema:3|libri:2|prestito:2|corso:2|` +
		`serata:2|sport:3|calcetto:3|piscina:3`,
	"business": `licenza:4|licenze:4|scia:4|suap:4|mercato:3|mercatino:3|negozi:3|negozio:3|dehors:4|ambulante:4|ambulanti:4|` +
		`posteggio:3|commercio:4|attivita:2|insegna:4|autorizzazione:2|partita iva:3|bancarella:3|banchetto:1|hobbisti:4|` +
		`tesserino:3|orari dei negozi:4|occupazione suolo pubblico:4|suolo pubblico:4|aprire un attivita:4|estetista:3|bar:1|` +
		`vendere:3|produttore:3|apertura:1`,
	"animals": `randagi:4|randagio:4|cani:2|cane:2|gatti:3|gatto:3|gattini:4|colonia felina:4|colonia:2|colonie feline:4|` +
		`deiezioni:4|cacca:3|guinzaglio:4|animale:3|animali:3|sterilizzazioni:4|sterilizzazione:4|canile:4|gattile:4|` +
		`pastore tedesco:3|pitbull:3|abbaia:2|galline:3|api:3|topi:3|ratti:3|zanzare:2|piccioni:3|cinghiali:4|nutrie:4`,
	"general": `orari:2|orario:2|ufficio:1|uffici:1|contatti:3|mail:2|email:2|pec:3|urp:4|reclamo:3|sito:2|link:2|telefono:2|` +
		`consiglio comunale:3|consiglio:2|seduta:3|sedute:3|atti:3|amministrazione trasparente:4|protocollo:3|raccomandata:2|` +
		`municipio:2|apre:1|chiude:1|aperto:1|appuntamento:2|streaming:2|delibera:3|trasparenza:3`,
}

// compiled is the compiled lexicon.
type compiled struct {
	entries []entry
	m       *matcher
}

// compileLexicon folds every item and builds the automaton.
func compileLexicon() (*compiled, error) {
	c := &compiled{}
	var pats []string
	seen := make(map[string]bool)
	add := func(k kind, topic, weight int8, raw string) error {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			return nil
		}
		stem := strings.HasSuffix(raw, "*")
		raw = strings.TrimSuffix(raw, "*")
		folded := Normalize(raw).Text
		if folded == "" {
			return fmt.Errorf("lexicon item %q of kind %s folds to nothing", raw, kindNames[k])
		}
		key := fmt.Sprintf("%d/%d/%s/%v", k, topic, folded, stem)
		if seen[key] {
			return nil
		}
		seen[key] = true
		id := kindNames[k] + ":" + raw
		if k == kTopic {
			id = "topic." + topicNames[topic] + ":" + raw
		}
		c.entries = append(c.entries, entry{kind: k, topic: topic, weight: weight, id: id, stem: stem})
		pats = append(pats, folded)
		if strings.Contains(folded, " ") && len(folded) >= 6 {
			c.entries = append(c.entries, entry{kind: k, topic: topic, weight: weight, id: id, stem: stem, joined: true})
			pats = append(pats, strings.ReplaceAll(folded, " ", ""))
		}
		return nil
	}
	for _, s := range lexiconSources {
		for _, w := range strings.Split(s.words, "|") {
			if err := add(s.kind, -1, 1, w); err != nil {
				return nil, err
			}
		}
	}
	for ti, name := range topicNames {
		for _, item := range strings.Split(topicSources[name], "|") {
			word, wt, ok := strings.Cut(item, ":")
			if !ok || len(wt) != 1 || wt[0] < '1' || wt[0] > '9' {
				return nil, fmt.Errorf("topic %s: malformed item %q", name, item)
			}
			if err := add(kTopic, int8(ti), int8(wt[0]-'0'), word); err != nil {
				return nil, err
			}
		}
	}
	c.m = newMatcher(pats)
	return c, nil
}
