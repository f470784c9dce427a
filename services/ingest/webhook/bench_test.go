package webhook_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/piazza-pa/piazza/services/ingest/platform/facebook"
	"github.com/piazza-pa/piazza/services/ingest/webhook"
)

// BenchmarkVerifyAndParseFullBatch measures the work done on a delivery of Meta's largest batch
// (1000 feed changes) before anything is published: signature check and parse.
func BenchmarkVerifyAndParseFullBatch(b *testing.B) {
	changes := make([]string, 1000)
	for i := range changes {
		changes[i] = fmt.Sprintf(`{"field":"feed","value":{"from":{"id":"%d","name":"Cittadino"},"item":"comment","verb":"add","comment_id":"P_%d","post_id":"monza-fb_1","parent_id":"monza-fb_1","created_time":1678886390,"message":"Buongiorno, quando riapre la biblioteca di via Italia?"}}`, i, i)
	}
	body := []byte(`{"object":"page","entry":[{"id":"monza-fb","time":1678886400,"changes":[` + strings.Join(changes, ",") + `]}]}`)
	sig := facebook.SignBody(secret, body)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if !facebook.VerifySignature(secret, body, sig) {
			b.Fatal("signature refused")
		}
		events, err := webhook.ParseDelivery(body)
		if err != nil || len(events) != 1000 {
			b.Fatalf("%d events, %v", len(events), err)
		}
	}
}
