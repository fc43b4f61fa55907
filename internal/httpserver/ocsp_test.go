package httpserver_test

import (
	"crypto/x509"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/custoscrm/custos/internal/tlscert"
)

// responder is an OCSP responder for a test CA, answering with the
// status it is set to, dated by the test clock.
type responder struct {
	*httptest.Server
	ca       *testCA
	clock    *clock
	validFor time.Duration
	status   atomic.Int32 // ocsp.Good, ocsp.Revoked…; -1: answer 500
	asked    atomic.Int32
	hang     chan struct{} // when set, requests wait for it to close
}

func newResponder(t *testing.T, ca *testCA, clk *clock) *responder {
	t.Helper()
	r := &responder{ca: ca, clock: clk, validFor: 4 * time.Hour}
	r.status.Store(ocsp.Good)
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

func (r *responder) serve(w http.ResponseWriter, req *http.Request) {
	r.asked.Add(1)
	if r.hang != nil {
		<-r.hang
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	q, err := ocsp.ParseRequest(body)
	if err != nil {
		http.Error(w, "malformed request", http.StatusBadRequest)
		return
	}
	status := int(r.status.Load())
	if status < 0 {
		http.Error(w, "responder down", http.StatusInternalServerError)
		return
	}
	now := r.clock.Now()
	tmpl := ocsp.Response{Status: status, SerialNumber: q.SerialNumber, ThisUpdate: now, NextUpdate: now.Add(r.validFor)}
	if status == ocsp.Revoked {
		tmpl.RevokedAt, tmpl.RevocationReason = now.Add(-time.Minute), ocsp.KeyCompromise
	}
	resp, err := ocsp.CreateResponse(r.ca.cert, r.ca.cert, tmpl, r.ca.key)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/ocsp-response")
	_, _ = w.Write(resp)
}

// stapled returns the OCSP response stapled to a new connection, parsed
// (nil when there is none).
func stapled(t *testing.T, c *client, ca *testCA) *ocsp.Response {
	t.Helper()
	raw := c.get(t).OCSPResponse
	if len(raw) == 0 {
		return nil
	}
	resp, err := ocsp.ParseResponse(raw, ca.cert)
	if err != nil {
		t.Fatalf("stapled OCSP response: %v", err)
	}
	return resp
}

// TestOCSPStapling serves a certificate whose CA runs an OCSP responder.
// Documented behaviour (docs/tls.md): the response is stapled to
// handshakes, fetched again halfway to its NextUpdate; when the responder
// fails the previous response stays until its NextUpdate, then none is
// stapled, and stapling resumes once the responder answers. Serving never
// stops.
func TestOCSPStapling(t *testing.T) {
	ca := newCA(t)
	clk := newClock()
	ocspd := newResponder(t, ca, clk)
	certPath, keyPath := ca.issue(t, t.TempDir(), leafSpec{serial: 7, ocspURL: ocspd.URL})
	var logs syncBuffer
	addr, _ := startServer(t, serveOptions{certPath: certPath, keyPath: keyPath, clock: clk,
		log: slog.New(slog.NewJSONHandler(&logs, nil))})
	c := &client{addr: addr, roots: ca.pool}
	t0 := clk.Now()

	var resp *ocsp.Response
	waitFor(t, "a stapled OCSP response", func() bool { resp = stapled(t, c, ca); return resp != nil })
	if resp.Status != ocsp.Good || resp.SerialNumber.Int64() != 7 || !resp.ThisUpdate.Equal(t0) {
		t.Fatalf("stapled: status %d serial %v this update %v", resp.Status, resp.SerialNumber, resp.ThisUpdate)
	}

	// Past halfway to NextUpdate: a fresh response replaces it.
	clk.Advance(2*time.Hour + time.Minute)
	waitFor(t, "a refreshed OCSP response", func() bool {
		resp = stapled(t, c, ca)
		return resp != nil && resp.ThisUpdate.Equal(t0.Add(2*time.Hour+time.Minute))
	})
	asked := ocspd.asked.Load()

	// The responder fails: the response stapled stays until its
	// NextUpdate (t0+6h01m).
	ocspd.status.Store(-1)
	clk.Advance(2*time.Hour + time.Minute) // t0+4h02m: a refresh is due
	waitFor(t, "a failed fetch to be logged", func() bool { return strings.Contains(logs.String(), "OCSP fetch failed") })
	if ocspd.asked.Load() == asked {
		t.Fatal("the responder was not asked")
	}
	if resp = stapled(t, c, ca); resp == nil || !resp.ThisUpdate.Equal(t0.Add(2*time.Hour+time.Minute)) {
		t.Fatalf("while the responder is down the previous response is not stapled: %+v", resp)
	}
	// Past its NextUpdate it is no longer stapled, and serving goes on.
	clk.Advance(2 * time.Hour)
	waitFor(t, "the outdated staple to be dropped", func() bool { return stapled(t, c, ca) == nil })

	// The responder is back: stapling resumes at the next retry.
	ocspd.status.Store(ocsp.Good)
	clk.Advance(time.Hour)
	waitFor(t, "stapling to resume", func() bool { resp = stapled(t, c, ca); return resp != nil })
	if !resp.ThisUpdate.Equal(clk.Now()) {
		t.Fatalf("resumed with a response of %v, want %v", resp.ThisUpdate, clk.Now())
	}
}

// TestOCSPRevokedIsNotStapled: a responder reporting the certificate
// revoked is logged as an error and nothing is stapled.
func TestOCSPRevokedIsNotStapled(t *testing.T) {
	ca := newCA(t)
	clk := newClock()
	ocspd := newResponder(t, ca, clk)
	ocspd.status.Store(ocsp.Revoked)
	certPath, keyPath := ca.issue(t, t.TempDir(), leafSpec{serial: 8, ocspURL: ocspd.URL})
	var logs syncBuffer
	addr, _ := startServer(t, serveOptions{certPath: certPath, keyPath: keyPath, clock: clk,
		log: slog.New(slog.NewJSONHandler(&logs, nil))})
	waitFor(t, "the revocation to be logged", func() bool { return strings.Contains(logs.String(), "revoked") })
	if resp := stapled(t, &client{addr: addr, roots: ca.pool}, ca); resp != nil {
		t.Fatalf("stapled a response with status %d", resp.Status)
	}
}

// TestNoOCSPResponderServesUnstapled: a certificate naming no OCSP
// responder (the self-signed one of a new installation) is served
// without stapling, and an
// OCSP responder that never answers does not delay serving.
func TestNoOCSPResponderServesUnstapled(t *testing.T) {
	ca := newCA(t)
	clk := newClock()
	t.Run("self-signed", func(t *testing.T) {
		dir := t.TempDir()
		certPath, keyPath := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
		if err := tlscert.GenerateSelfSigned(certPath, keyPath, nil, time.Now()); err != nil {
			t.Fatal(err)
		}
		pem, err := os.ReadFile(certPath)
		if err != nil {
			t.Fatal(err)
		}
		roots := x509.NewCertPool()
		roots.AppendCertsFromPEM(pem)
		addr, _ := startServer(t, serveOptions{certPath: certPath, keyPath: keyPath, clock: clk})
		c := &client{addr: addr, roots: roots}
		for range 3 {
			if cs := c.get(t); len(cs.OCSPResponse) != 0 {
				t.Fatal("an OCSP response was stapled")
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
	t.Run("responder hangs", func(t *testing.T) {
		ocspd := newResponder(t, ca, clk)
		ocspd.hang = make(chan struct{})
		defer close(ocspd.hang)
		certPath, keyPath := ca.issue(t, t.TempDir(), leafSpec{serial: 10, ocspURL: ocspd.URL})
		addr, _ := startServer(t, serveOptions{certPath: certPath, keyPath: keyPath, clock: clk})
		waitFor(t, "the responder to be asked", func() bool { return ocspd.asked.Load() > 0 })
		start := time.Now()
		if cs := (&client{addr: addr, roots: ca.pool}).get(t); len(cs.OCSPResponse) != 0 {
			t.Fatal("an OCSP response was stapled")
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("a connection took %v while the responder hangs", d)
		}
	})
}
