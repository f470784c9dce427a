// Package evaluation measures the classifier: per-category precision, recall and F1, micro and
// macro F1, topic accuracy and confusion on labelled files in the project's taxonomy format, and
// on the public Italian data sets through small adapters that map their labels onto the
// taxonomy (HaSpeeDe, AMI, Multilingual HateCheck), next to word-list baselines measured in the
// same run.
package evaluation

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// Case is one labelled comment.
type Case struct {
	ID, Tenant, Channel, Text, PostText string
	Anonymous                           bool
	// Labels are the gold categories; Topic the gold topic (with "request").
	Labels []string
	Topic  string
}

// Prediction is what a classifier said of a case.
type Prediction struct {
	Labels []string
	Topic  string
}

// CategoryScore is one category's counts and scores.
type CategoryScore struct {
	Code      string  `json:"code"`
	Support   int     `json:"support"`
	TP        int     `json:"tp"`
	FP        int     `json:"fp"`
	FN        int     `json:"fn"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
}

// MultiLabelReport scores a multi-label file.
type MultiLabelReport struct {
	Name       string          `json:"name"`
	Cases      int             `json:"cases"`
	Categories []CategoryScore `json:"categories"`
	MicroF1    float64         `json:"micro_f1"`
	// MacroF1 averages F1 over the categories present in the gold labels.
	MacroF1 float64 `json:"macro_f1"`
	// ExactMatch is the share of cases whose label set is exactly right.
	ExactMatch float64 `json:"exact_match"`
	// TopicAccuracy is over cases whose gold labels include request.
	TopicAccuracy float64 `json:"topic_accuracy"`
	TopicCases    int     `json:"topic_cases"`
	// TopicConfusion counts gold topic → predicted topic ("-" when none was predicted).
	TopicConfusion map[string]map[string]int `json:"topic_confusion"`
}

// ScoreMultiLabel compares predictions with gold labels, case by case.
func ScoreMultiLabel(name string, cases []Case, preds []Prediction) MultiLabelReport {
	r := MultiLabelReport{Name: name, Cases: len(cases), TopicConfusion: map[string]map[string]int{}}
	counts := map[string]*CategoryScore{}
	get := func(code string) *CategoryScore {
		c := counts[code]
		if c == nil {
			c = &CategoryScore{Code: code}
			counts[code] = c
		}
		return c
	}
	exact, topicOK := 0, 0
	for i, c := range cases {
		gold, got := set(c.Labels), set(preds[i].Labels)
		for code := range gold {
			get(code).Support++
			if got[code] {
				get(code).TP++
			} else {
				get(code).FN++
			}
		}
		for code := range got {
			if !gold[code] {
				get(code).FP++
			}
		}
		if sameSet(gold, got) {
			exact++
		}
		if gold["request"] {
			r.TopicCases++
			pt := preds[i].Topic
			if pt == "" {
				pt = "-"
			}
			if r.TopicConfusion[c.Topic] == nil {
				r.TopicConfusion[c.Topic] = map[string]int{}
			}
			r.TopicConfusion[c.Topic][pt]++
			if pt == c.Topic {
				topicOK++
			}
		}
	}
	var tp, fp, fn int
	var macro float64
	present := 0
	for _, c := range counts {
		c.Precision, c.Recall, c.F1 = prf(c.TP, c.FP, c.FN)
		tp, fp, fn = tp+c.TP, fp+c.FP, fn+c.FN
		if c.Support > 0 {
			macro += c.F1
			present++
		}
		r.Categories = append(r.Categories, *c)
	}
	sort.Slice(r.Categories, func(i, j int) bool { return r.Categories[i].Code < r.Categories[j].Code })
	_, _, r.MicroF1 = prf(tp, fp, fn)
	if present > 0 {
		r.MacroF1 = macro / float64(present)
	}
	if len(cases) > 0 {
		r.ExactMatch = float64(exact) / float64(len(cases))
	}
	if r.TopicCases > 0 {
		r.TopicAccuracy = float64(topicOK) / float64(r.TopicCases)
	}
	return r
}

// BinaryReport scores a yes/no task, such as "is this hate speech".
type BinaryReport struct {
	Name  string `json:"name"`
	Cases int    `json:"cases"`
	TP    int    `json:"tp"`
	FP    int    `json:"fp"`
	FN    int    `json:"fn"`
	TN    int    `json:"tn"`
	// F1Positive is the F1 of the positive class.
	F1Positive float64 `json:"f1_positive"`
	// MacroF1 averages the F1 of both classes, as the EVALITA tasks rank systems.
	MacroF1  float64 `json:"macro_f1"`
	Accuracy float64 `json:"accuracy"`
}

// ScoreBinary scores predictions against gold booleans.
func ScoreBinary(name string, gold, got []bool) BinaryReport {
	r := BinaryReport{Name: name, Cases: len(gold)}
	for i := range gold {
		switch {
		case gold[i] && got[i]:
			r.TP++
		case !gold[i] && got[i]:
			r.FP++
		case gold[i] && !got[i]:
			r.FN++
		default:
			r.TN++
		}
	}
	_, _, f1pos := prf(r.TP, r.FP, r.FN)
	_, _, f1neg := prf(r.TN, r.FN, r.FP)
	r.F1Positive = f1pos
	r.MacroF1 = (f1pos + f1neg) / 2
	if r.Cases > 0 {
		r.Accuracy = float64(r.TP+r.TN) / float64(r.Cases)
	}
	return r
}

// GroupAccuracy is the accuracy of one group of cases, e.g. a HateCheck functionality.
type GroupAccuracy struct {
	Name     string  `json:"name"`
	Correct  int     `json:"correct"`
	Cases    int     `json:"cases"`
	Accuracy float64 `json:"accuracy"`
}

// GroupedReport is accuracy overall and per group.
type GroupedReport struct {
	Name     string          `json:"name"`
	Cases    int             `json:"cases"`
	Accuracy float64         `json:"accuracy"`
	Groups   []GroupAccuracy `json:"groups"`
}

// ScoreGrouped scores gold/got booleans per group, keeping the groups' first-seen order.
func ScoreGrouped(name string, groups []string, gold, got []bool) GroupedReport {
	r := GroupedReport{Name: name, Cases: len(gold)}
	idx := map[string]int{}
	correct := 0
	for i := range gold {
		g, ok := idx[groups[i]]
		if !ok {
			g = len(r.Groups)
			idx[groups[i]] = g
			r.Groups = append(r.Groups, GroupAccuracy{Name: groups[i]})
		}
		r.Groups[g].Cases++
		if gold[i] == got[i] {
			r.Groups[g].Correct++
			correct++
		}
	}
	for i := range r.Groups {
		r.Groups[i].Accuracy = float64(r.Groups[i].Correct) / float64(r.Groups[i].Cases)
	}
	if r.Cases > 0 {
		r.Accuracy = float64(correct) / float64(r.Cases)
	}
	return r
}

func prf(tp, fp, fn int) (p, r, f float64) {
	if tp+fp > 0 {
		p = float64(tp) / float64(tp+fp)
	}
	if tp+fn > 0 {
		r = float64(tp) / float64(tp+fn)
	}
	if p+r > 0 {
		f = 2 * p * r / (p + r)
	}
	return p, r, f
}

func set(xs []string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

func sameSet(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

// WriteMultiLabel prints a report as a table.
func WriteMultiLabel(w io.Writer, r MultiLabelReport) {
	fmt.Fprintf(w, "%s — %d cases\n", r.Name, r.Cases)
	fmt.Fprintf(w, "  %-14s %7s %9s %7s %6s   %4s %4s %4s\n", "category", "support", "precision", "recall", "F1", "TP", "FP", "FN")
	for _, c := range r.Categories {
		fmt.Fprintf(w, "  %-14s %7d %9.3f %7.3f %6.3f   %4d %4d %4d\n", c.Code, c.Support, c.Precision, c.Recall, c.F1, c.TP, c.FP, c.FN)
	}
	fmt.Fprintf(w, "  micro-F1 %.3f · macro-F1 %.3f · exact match %.3f · topic accuracy %.3f (%d requests)\n",
		r.MicroF1, r.MacroF1, r.ExactMatch, r.TopicAccuracy, r.TopicCases)
	var topics []string
	for t := range r.TopicConfusion {
		topics = append(topics, t)
	}
	sort.Strings(topics)
	var wrong []string
	for _, t := range topics {
		for p, n := range r.TopicConfusion[t] {
			if p != t {
				wrong = append(wrong, fmt.Sprintf("%s→%s×%d", t, p, n))
			}
		}
	}
	sort.Strings(wrong)
	if len(wrong) > 0 {
		fmt.Fprintf(w, "  topic confusions: %s\n", strings.Join(wrong, ", "))
	}
}

// WriteBinary prints binary reports side by side with their baselines.
func WriteBinary(w io.Writer, title string, rows []BinaryReport) {
	fmt.Fprintf(w, "%s\n", title)
	fmt.Fprintf(w, "  %-36s %6s %8s %8s %8s\n", "system", "cases", "macroF1", "F1(pos)", "accuracy")
	for _, r := range rows {
		fmt.Fprintf(w, "  %-36s %6d %8.3f %8.3f %8.3f\n", r.Name, r.Cases, r.MacroF1, r.F1Positive, r.Accuracy)
	}
}

// WriteGrouped prints accuracy per group.
func WriteGrouped(w io.Writer, r GroupedReport) {
	fmt.Fprintf(w, "%s — accuracy %.3f over %d cases\n", r.Name, r.Accuracy, r.Cases)
	for _, g := range r.Groups {
		fmt.Fprintf(w, "  %-24s %6.3f  (%d/%d)\n", g.Name, g.Accuracy, g.Correct, g.Cases)
	}
}
