package httpserver_test

import (
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"
)

// TestCertificateReload replaces the certificate files under a running
// server and reloads. Documented behaviour (docs/tls.md): the next
// connection gets the new certificate; a pair that does not load, whose
// key does not match, or that is outside its validity period is refused
// with a logged error and the current certificate stays.
func TestCertificateReload(t *testing.T) {
	ca := newCA(t)
	dir := t.TempDir()
	certPath, keyPath := ca.issue(t, dir, leafSpec{serial: 100})
	var logs syncBuffer
	addr, certs := startServer(t, serveOptions{certPath: certPath, keyPath: keyPath, clock: newClock(),
		log: slog.New(slog.NewJSONHandler(&logs, nil))})
	c := &client{addr: addr, roots: ca.pool}
	serial := func() int64 { return c.get(t).PeerCertificates[0].SerialNumber.Int64() }
	if s := serial(); s != 100 {
		t.Fatalf("serving serial %d, want 100", s)
	}

	ca.issue(t, dir, leafSpec{serial: 101})
	if err := certs.Reload(); err != nil {
		t.Fatal(err)
	}
	if s := serial(); s != 101 {
		t.Fatalf("after reload serving serial %d, want 101", s)
	}

	other := t.TempDir()
	_, otherKey := ca.issue(t, other, leafSpec{serial: 102})
	mismatched, err := os.ReadFile(otherKey)
	if err != nil {
		t.Fatal(err)
	}
	bad := map[string]func(){
		"key of another certificate": func() { writeFile(t, keyPath, mismatched, 0o600) },
		"truncated certificate": func() {
			b, _ := os.ReadFile(certPath)
			writeFile(t, certPath, b[:len(b)/2], 0o644)
		},
		"key readable by others": func() {
			if err := os.Chmod(keyPath, 0o644); err != nil { //nolint:gosec // the mode under test
				t.Fatal(err)
			}
		},
		"missing key": func() { _ = os.Remove(keyPath) },
		"expired certificate": func() {
			ca.issue(t, dir, leafSpec{serial: 103, notBefore: time.Now().Add(-48 * time.Hour), notAfter: time.Now().Add(-time.Hour)})
		},
		"not yet valid": func() {
			ca.issue(t, dir, leafSpec{serial: 104, notBefore: time.Now().Add(time.Hour)})
		},
	}
	for name, breakIt := range bad {
		t.Run(name, func(t *testing.T) {
			ca.issue(t, dir, leafSpec{serial: 101}) // a good pair (new key) on disk …
			breakIt()                               // … then broken
			if err := certs.Reload(); err == nil {
				t.Fatal("a broken pair was accepted")
			}
			if s := serial(); s != 101 {
				t.Fatalf("after a failed reload serving serial %d, want 101", s)
			}
		})
	}
	if n := strings.Count(logs.String(), "TLS certificate reload failed"); n != len(bad) {
		t.Errorf("%d failed reloads logged, want %d", n, len(bad))
	}
	if strings.Contains(logs.String(), "PRIVATE KEY") {
		t.Error("key material in the logs")
	}

	// A good pair again.
	ca.issue(t, dir, leafSpec{serial: 105})
	if err := certs.Reload(); err != nil {
		t.Fatal(err)
	}
	if s := serial(); s != 105 {
		t.Fatalf("serving serial %d, want 105", s)
	}
}
