package app_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/piazza-pa/piazza/pkg/auth"
	"github.com/piazza-pa/piazza/pkg/bus"
	"github.com/piazza-pa/piazza/pkg/telemetry"
	"github.com/piazza-pa/piazza/pkg/testinfra"
	classifierv1 "github.com/piazza-pa/piazza/proto/gen/piazza/classifier/v1"
	"github.com/piazza-pa/piazza/services/ingest/replay"
	"github.com/piazza-pa/piazza/services/piazza/app"
)

// writeCA makes a CA and returns a function that issues certificates for 127.0.0.1 with a
// piazza:// identity, written as PEM files under dir.
func writeCA(t *testing.T, dir string) (caFile string, issue func(name, uri string) (cert, key string)) {
	t.Helper()
	write := func(name, typ string, der []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	serial := int64(2)
	return write("ca.pem", "CERTIFICATE", caDER), func(name, uri string) (string, string) {
		t.Helper()
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(uri)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name}, NotBefore: time.Now().Add(-time.Hour),
			NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature, URIs: []*url.URL{u},
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
		serial++
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kder, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		return write(name+".pem", "CERTIFICATE", der), write(name+"-key.pem", "EC PRIVATE KEY", kder)
	}
}

// TestServicesOverMutualTLS configures the classifier and sanctions as `piazza serve` does,
// from GRPC_TLS_CERT/KEY/CA: sanctions calls the classifier over mTLS with its certificate as
// its only credential, comments get decided, and a client without TLS is not served.
func TestServicesOverMutualTLS(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	caFile, issue := writeCA(t, dir)
	nats := testinfra.StartNATS(t)
	common, rds := testbed(t, "tls", telemetry.Config{SpanExporter: tracetest.NewInMemoryExporter()})
	tel := common.Telemetry
	common.NATSURL = nats.URL
	security := func(service string) app.Security {
		cert, key := issue(service, "piazza://region/service")
		env := map[string]string{"GRPC_TLS_CERT": cert, "GRPC_TLS_KEY": key, "GRPC_TLS_CA": caFile}
		sec, closeSec, err := app.SecurityFromEnv(ctx, func(k string) string { return env[k] }, rds.URL, "tls:", service, tel.Logger)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(closeSec)
		if sec.Credential != nil {
			t.Fatalf("%s: with mTLS the certificate must be the only credential, got %T", service, sec.Credential)
		}
		return sec
	}
	clsCommon, snCommon := common, common
	clsCommon.Security, snCommon.Security = security("classifier"), security("sanctions")
	cls, err := app.StartClassifier(ctx, clsCommon, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cls.Stop(context.Background()) })
	sn, err := app.StartSanctions(ctx, snCommon, "127.0.0.1:0", cls.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sn.Stop(context.Background()) })

	nc, js, err := app.ConnectNATS(nats.URL, "tls-source")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	source := replay.BusPublisher{Bus: bus.NewPublisher(js, bus.Telemetry{Tracer: tel.Tracer, Propagator: tel.Propagator})}
	c, err := replay.Parse([]byte(`{"id":"tls-1","tenant":"monza","platform":"facebook","page_id":"monza-fb","post_id":"p1","text":"Sindaco sei un idiota","author":{"id":"fb-user-1","name":"A B"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := source.PublishComment(ctx, c); err != nil {
		t.Fatal(err)
	}
	testinfra.Eventually(t, 20*time.Second, func() error {
		n, err := decisionCount(ctx, js, "monza")
		if err != nil {
			return err
		}
		if n != 1 {
			return fmt.Errorf("%d decisions, want 1 (sanctions must reach the classifier over mTLS)", n)
		}
		return nil
	})

	// An operator's client certificate is a credential too; no certificate is none.
	opCert, opKey := issue("monza-operator", "piazza://monza/operator")
	clientTLS := func(files auth.TLSFiles) *grpc.ClientConn {
		cfg, err := files.Client()
		if err != nil {
			t.Fatal(err)
		}
		conn, err := grpc.NewClient(cls.Addr, grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = conn.Close() })
		return conn
	}
	operator := classifierv1.NewClassifierServiceClient(clientTLS(auth.TLSFiles{Cert: opCert, Key: opKey, CA: caFile}))
	if _, err := operator.GetPolicy(ctx, &classifierv1.GetPolicyRequest{Tenant: "monza"}); err != nil {
		t.Errorf("operator certificate, own Comune: %v", err)
	}
	if _, err := operator.GetPolicy(ctx, &classifierv1.GetPolicyRequest{Tenant: "bussero"}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("operator certificate, other Comune: %v, want PermissionDenied", err)
	}
	anonymous := clientTLS(auth.TLSFiles{CA: caFile})
	if _, err := classifierv1.NewClassifierServiceClient(anonymous).GetPolicy(ctx, &classifierv1.GetPolicyRequest{Tenant: "monza"}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("TLS without certificate or token: %v, want Unauthenticated", err)
	}
	if resp, err := healthpb.NewHealthClient(anonymous).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("health over TLS without credential: %v %v", resp, err)
	}
	if err := app.CheckHealth(ctx, cls.Addr); err == nil {
		t.Error("a client without TLS was served by a TLS server")
	}
}
