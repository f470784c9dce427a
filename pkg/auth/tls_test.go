package auth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	"github.com/piazza-pa/piazza/pkg/auth"
	routingv1 "github.com/piazza-pa/piazza/proto/gen/piazza/routing/v1"
)

// pki writes a CA and certificates it signs into a temporary directory, as an operator would
// with openssl or cert-manager.
type pki struct {
	t    *testing.T
	dir  string
	ca   *x509.Certificate
	key  *ecdsa.PrivateKey
	next int64
}

func newPKI(t *testing.T, name string) *pki {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(der)
	p := &pki{t: t, dir: t.TempDir(), ca: ca, key: key, next: 2}
	p.write("ca.pem", "CERTIFICATE", der)
	return p
}

func (p *pki) write(name, typ string, der []byte) string {
	p.t.Helper()
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		p.t.Fatal(err)
	}
	return path
}

// issue writes a certificate for name with the given piazza URI (none when empty) and returns
// the cert and key paths.
func (p *pki) issue(name, uri string) (string, string) {
	p.t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		p.t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(p.next), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
	}
	p.next++
	if uri != "" {
		u, err := url.Parse(uri)
		if err != nil {
			p.t.Fatal(err)
		}
		tmpl.URIs = []*url.URL{u}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.key)
	if err != nil {
		p.t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		p.t.Fatal(err)
	}
	return p.write(name+".pem", "CERTIFICATE", der), p.write(name+"-key.pem", "EC PRIVATE KEY", kder)
}

// TestMutualTLS serves over TLS with the Guard and calls as clients holding certificates bound
// to roles, as services do with mTLS between them.
func TestMutualTLS(t *testing.T) {
	ca := newPKI(t, "piazza test CA")
	serverCert, serverKey := ca.issue("routing", "piazza://region/service")
	srvTLS, err := auth.TLSFiles{Cert: serverCert, Key: serverKey, CA: filepath.Join(ca.dir, "ca.pem")}.Server()
	if err != nil {
		t.Fatal(err)
	}
	offices := func(context.Context, string, string) (string, bool, error) { return "urp", true, nil }
	g, err := auth.NewGuard(auth.GuardConfig{Offices: offices})
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpc.Creds(credentials.NewTLS(srvTLS)), grpc.ChainUnaryInterceptor(g.UnaryInterceptor()), grpc.ChainStreamInterceptor(g.StreamInterceptor()))
	healthpb.RegisterHealthServer(srv, health.NewServer())
	routingv1.RegisterRoutingServiceServer(srv, routingv1.UnimplementedRoutingServiceServer{})
	reflection.Register(srv)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(srv.Stop)

	dial := func(files auth.TLSFiles) *grpc.ClientConn {
		t.Helper()
		cfg, err := files.Client()
		if err != nil {
			t.Fatal(err)
		}
		conn, err := grpc.NewClient(l.Addr().String(), grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = conn.Close() })
		return conn
	}
	caFile := filepath.Join(ca.dir, "ca.pem")
	officeCert, officeKey := ca.issue("urp-monza", "piazza://monza/office/urp")
	serviceCert, serviceKey := ca.issue("sanctions", "piazza://region/service")
	plainCert, plainKey := ca.issue("nobody", "")
	rogue := newPKI(t, "rogue CA")
	rogueCert, rogueKey := rogue.issue("rogue", "piazza://region/admin")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	list := func(conn *grpc.ClientConn, tenant, office string) error {
		_, err := routingv1.NewRoutingServiceClient(conn).ListRequests(ctx, &routingv1.ListRequestsRequest{Tenant: tenant, Office: office})
		return err
	}
	anonymous := dial(auth.TLSFiles{CA: caFile})
	office := dial(auth.TLSFiles{Cert: officeCert, Key: officeKey, CA: caFile})
	service := dial(auth.TLSFiles{Cert: serviceCert, Key: serviceKey, CA: caFile})
	plain := dial(auth.TLSFiles{Cert: plainCert, Key: plainKey, CA: caFile})
	for _, tc := range []struct {
		name string
		err  error
		want codes.Code
	}{
		{"health without credential", func() error {
			_, err := healthpb.NewHealthClient(anonymous).Check(ctx, &healthpb.HealthCheckRequest{})
			return err
		}(), codes.OK},
		{"no certificate", list(anonymous, "monza", "urp"), codes.Unauthenticated},
		{"office certificate, own office", list(office, "monza", "urp"), codes.Unimplemented},
		{"office certificate, other office", list(office, "monza", "ambiente"), codes.PermissionDenied},
		{"office certificate, other tenant", list(office, "bussero", "urp"), codes.PermissionDenied},
		{"office certificate, own request", func() error {
			_, err := routingv1.NewRoutingServiceClient(office).Answer(ctx, &routingv1.AnswerRequest{Tenant: "monza", RequestId: "r1"})
			return err
		}(), codes.Unimplemented},
		{"service certificate on an office api", list(service, "monza", ""), codes.PermissionDenied},
		{"certificate without a piazza identity", list(plain, "monza", "urp"), codes.Unauthenticated},
	} {
		if got := status.Code(tc.err); got != tc.want {
			t.Errorf("%s: got %v, want %s", tc.name, tc.err, tc.want)
		}
	}

	// Reflection is a bidirectional stream: open to any authenticated caller only.
	refl := func(conn *grpc.ClientConn) error {
		st, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(ctx)
		if err != nil {
			return err
		}
		if err := st.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
			return err
		}
		_, err = st.Recv()
		return err
	}
	if err := refl(service); err != nil {
		t.Errorf("reflection with a certificate: %v", err)
	}
	if err := refl(anonymous); status.Code(err) != codes.Unauthenticated {
		t.Errorf("reflection without a credential: %v, want Unauthenticated", err)
	}

	// A certificate of another CA is no credential (the client does not even offer it: the
	// server names the CAs it accepts), and a client without TLS is not served at all.
	rogueConn := dial(auth.TLSFiles{Cert: rogueCert, Key: rogueKey, CA: caFile})
	if err := list(rogueConn, "monza", "urp"); status.Code(err) != codes.Unauthenticated {
		t.Errorf("certificate of another CA: %v, want Unauthenticated", err)
	}
	plainText, err := grpc.NewClient(l.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer plainText.Close()
	if _, err := healthpb.NewHealthClient(plainText).Check(ctx, &healthpb.HealthCheckRequest{}); err == nil {
		t.Error("a client without TLS was served")
	}
}

func TestIdentityFromCertificateURIs(t *testing.T) {
	for uri, want := range map[string]string{
		"piazza://region/admin":          "",
		"piazza://monza/office/urp":      "",
		"piazza://monza/operator":        "",
		"piazza://monza/admin":           "regional",
		"piazza://region/office/urp":     "needs a tenant",
		"piazza://monza/office":          "needs an office",
		"piazza://monza/office/urp/more": "too many",
		"piazza://monza/wizard":          "unknown role",
	} {
		u, _ := url.Parse(uri)
		_, err := auth.IdentityFromCertificate(&x509.Certificate{SerialNumber: big.NewInt(7), URIs: []*url.URL{u}})
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: %v", uri, err)
		case want != "" && (err == nil || !contains(err.Error(), want)):
			t.Errorf("%s: got %v, want an error saying %q", uri, err, want)
		}
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
