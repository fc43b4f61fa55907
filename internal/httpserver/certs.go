package httpserver

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// CertOptions configure Certificates.
type CertOptions struct {
	// Load reads the certificate chain and key (from --tls-cert and
	// --tls-key, or the data directory's self-signed pair).
	Load func() (tls.Certificate, error)
	Log  *slog.Logger
	// Now is the clock for OCSP freshness (default time.Now).
	Now func() time.Time
	// HTTPClient fetches OCSP responses (default: a client with a 10 s
	// timeout).
	HTTPClient *http.Client
}

// Certificates is the certificate the server presents. Reload replaces it
// without dropping a connection or refusing one: handshakes in progress
// finish with the old certificate, the next ones get the new. When the
// certificate names an OCSP responder, a fresh OCSP response is stapled to
// it (see ocsp.go).
type Certificates struct {
	load   func() (tls.Certificate, error)
	log    *slog.Logger
	now    func() time.Time
	client *http.Client

	cur  atomic.Pointer[tls.Certificate]
	wake chan struct{} // a reload asks the maintenance loop for a staple now

	mu     sync.Mutex  // serializes reloads
	staple stapleState // owned by the maintenance loop
}

// NewCertificates loads the certificate once; failing that, it fails.
func NewCertificates(opts CertOptions) (*Certificates, error) {
	c := &Certificates{load: opts.Load, log: opts.Log, now: opts.Now, client: opts.HTTPClient, wake: make(chan struct{}, 1)}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.client == nil {
		c.client = &http.Client{Timeout: 10 * time.Second}
	}
	cert, err := c.read()
	if err != nil {
		return nil, err
	}
	if err := checkValidity(cert.Leaf, c.now()); err != nil {
		// Served all the same, as before: the operator sees why clients
		// refuse it.
		c.log.Warn("the TLS certificate is not valid now", slog.Any("err", err))
	}
	c.cur.Store(cert)
	return c, nil
}

// GetCertificate is tls.Config.GetCertificate: the current certificate.
func (c *Certificates) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return c.cur.Load(), nil
}

// Reload reads the certificate and key again and serves them from the
// next handshake. A pair that does not load, does not match, or is not
// valid now is refused with an error (logged) and the current certificate
// stays.
func (c *Certificates) Reload() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	cert, err := c.read()
	if err == nil {
		err = checkValidity(cert.Leaf, c.now())
	}
	if err != nil {
		c.log.Error("TLS certificate reload failed; still serving the previous certificate", slog.Any("err", err))
		return err
	}
	c.cur.Store(cert)
	c.log.Info("TLS certificate reloaded", certAttrs(cert.Leaf)...)
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return nil
}

func (c *Certificates) read() (*tls.Certificate, error) {
	cert, err := c.load()
	if err != nil {
		return nil, err
	}
	if len(cert.Certificate) == 0 {
		return nil, errors.New("TLS certificate file holds no certificate")
	}
	if cert.Leaf == nil {
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return nil, fmt.Errorf("parse TLS certificate: %w", err)
		}
	}
	return &cert, nil
}

// checkValidity refuses a certificate outside its validity period: every
// client would refuse it.
func checkValidity(leaf *x509.Certificate, now time.Time) error {
	if now.After(leaf.NotAfter) {
		return fmt.Errorf("TLS certificate expired at %s", leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	if now.Before(leaf.NotBefore) {
		return fmt.Errorf("TLS certificate is not valid before %s", leaf.NotBefore.UTC().Format(time.RFC3339))
	}
	return nil
}

func certAttrs(leaf *x509.Certificate) []any {
	return []any{
		slog.String("subject", leaf.Subject.String()), slog.String("issuer", leaf.Issuer.String()),
		slog.String("serial", leaf.SerialNumber.Text(16)), slog.Time("not_after", leaf.NotAfter.UTC()),
	}
}
