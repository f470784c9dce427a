package app_test

import (
	"context"
	"io"
	"testing"

	"github.com/piazza-pa/piazza/pkg/bus"
	"github.com/piazza-pa/piazza/pkg/livepolicy"
	"github.com/piazza-pa/piazza/pkg/pseudonym"
	"github.com/piazza-pa/piazza/pkg/telemetry"
	"github.com/piazza-pa/piazza/pkg/testinfra"
	"github.com/piazza-pa/piazza/services/piazza/app"
)

// testbed starts what every end-to-end test of this package starts from: a private Redis,
// telemetry as tc says (named name, logs discarded unless tc says where), the policies of
// deploy/policies and a pseudonym key. It returns them as an app.Common with the key prefix
// name + ":", and no NATS URL: each test says which server the services use.
func testbed(t *testing.T, name string, tc telemetry.Config) (app.Common, *testinfra.Redis) {
	t.Helper()
	rds := testinfra.StartRedis(t)
	tc.ServiceName = name
	tc.Getenv = func(string) string { return "" }
	if tc.LogOutput == nil {
		tc.LogOutput = io.Discard
	}
	tel, err := telemetry.Setup(context.Background(), tc)
	if err != nil {
		t.Fatal(err)
	}
	policies, err := livepolicy.Load("../../../deploy/policies")
	if err != nil {
		t.Fatal(err)
	}
	pseud, err := pseudonym.New([]byte(name + "-test-key-0123456789"))
	if err != nil {
		t.Fatal(err)
	}
	return app.Common{
		RedisURL: rds.URL, KeyPrefix: name + ":", Policies: policies, Pseudonyms: pseud,
		Telemetry: tel, Retention: bus.DefaultRetention(),
	}, rds
}

// running stops, when the test ends, the services it started, the last started first.
type running struct {
	t        *testing.T
	services []*app.Service
}

func runServices(t *testing.T) *running {
	r := &running{t: t}
	t.Cleanup(func() {
		for i := len(r.services) - 1; i >= 0; i-- {
			if err := r.services[i].Stop(context.Background()); err != nil {
				t.Errorf("stop %s: %v", r.services[i].Name, err)
			}
		}
	})
	return r
}

// start takes what an app.Start function returns, failing the test on an error.
func (r *running) start(s *app.Service, err error) *app.Service {
	r.t.Helper()
	if err != nil {
		r.t.Fatal(err)
	}
	r.services = append(r.services, s)
	return s
}
