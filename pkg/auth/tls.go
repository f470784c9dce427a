package auth

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// TLSFiles names the PEM files of a process's gRPC TLS: its certificate and key, and the CA that
// signs its peers' certificates. Read them from GRPC_TLS_CERT, GRPC_TLS_KEY and GRPC_TLS_CA.
type TLSFiles struct {
	// Cert is the process's certificate chain.
	Cert string
	// Key is its private key.
	Key string
	// CA signs the servers' certificates (for clients) and the client certificates (for
	// servers: with it, servers accept mTLS client certificates as credentials).
	CA string
}

// TLSFilesFromEnv reads GRPC_TLS_CERT, GRPC_TLS_KEY and GRPC_TLS_CA.
func TLSFilesFromEnv(getenv func(string) string) TLSFiles {
	return TLSFiles{Cert: getenv("GRPC_TLS_CERT"), Key: getenv("GRPC_TLS_KEY"), CA: getenv("GRPC_TLS_CA")}
}

// Enabled reports whether a certificate is configured.
func (f TLSFiles) Enabled() bool { return f.Cert != "" || f.Key != "" }

func (f TLSFiles) pool() (*x509.CertPool, error) {
	pem, err := os.ReadFile(f.CA)
	if err != nil {
		return nil, fmt.Errorf("read GRPC_TLS_CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("GRPC_TLS_CA %s holds no PEM certificate", f.CA)
	}
	return pool, nil
}

func (f TLSFiles) keyPair() (tls.Certificate, error) {
	if f.Cert == "" || f.Key == "" {
		return tls.Certificate{}, errors.New("set both GRPC_TLS_CERT and GRPC_TLS_KEY")
	}
	c, err := tls.LoadX509KeyPair(f.Cert, f.Key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("load GRPC_TLS_CERT/GRPC_TLS_KEY: %w", err)
	}
	return c, nil
}

// Server returns the TLS configuration of a gRPC server: its certificate, TLS 1.2 at least, and
// — when a CA is set — client certificates verified against it when presented (a caller may
// still use a bearer token instead).
func (f TLSFiles) Server() (*tls.Config, error) {
	cert, err := f.keyPair()
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if f.CA != "" {
		if cfg.ClientCAs, err = f.pool(); err != nil {
			return nil, err
		}
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
	}
	return cfg, nil
}

// Client returns the TLS configuration of a gRPC client: servers verified against the CA (the
// system roots when none is set) and, when a certificate is set, presented as the client's mTLS
// credential.
func (f TLSFiles) Client() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if f.CA != "" {
		pool, err := f.pool()
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = pool
	}
	if f.Cert != "" || f.Key != "" {
		cert, err := f.keyPair()
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}
