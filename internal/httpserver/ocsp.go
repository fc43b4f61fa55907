package httpserver

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"golang.org/x/crypto/ocsp"
)

// OCSP stapling: when the served certificate names an OCSP responder and
// its file holds the issuer's certificate after it (a full chain), the
// server fetches the certificate's OCSP response and staples it to every
// handshake, so clients need not ask the CA themselves. The response is
// fetched again halfway between now and its NextUpdate; a failed fetch is
// logged and retried (1 minute, doubling to 1 hour) while the previous
// response stays stapled until its NextUpdate, then none is. Fetching
// never delays serving: the certificate is served, unstapled if need be,
// while the responder is asked.
const (
	ocspRetryFirst   = time.Minute
	ocspRetryLongest = time.Hour
	ocspNoNextCheck  = time.Hour // a response without NextUpdate: ask hourly
	ocspMaxResponse  = 64 << 10  // bytes read from a responder
	ocspFetchLimit   = 15 * time.Second
)

// stapleState is what the maintenance loop knows of the current
// certificate's OCSP response.
type stapleState struct {
	leaf     *x509.Certificate // the certificate this is about
	issuer   *x509.Certificate
	off      bool      // nothing to staple for this certificate
	next     time.Time // when to ask the responder
	failures int
	expires  time.Time // NextUpdate of the stapled response (zero: none, or open-ended)
	stapled  bool
}

// refreshStaple fetches and staples an OCSP response when one is due, and
// drops a stapled response past its NextUpdate.
func (c *Certificates) refreshStaple(ctx context.Context) {
	cert := c.cur.Load()
	st := &c.staple
	if st.leaf != cert.Leaf {
		*st = stapleState{leaf: cert.Leaf}
		switch {
		case len(cert.Leaf.OCSPServer) == 0:
			st.off = true
			c.log.Debug("the TLS certificate names no OCSP responder: served without stapling")
		case len(cert.Certificate) < 2:
			st.off = true
			c.log.Warn("OCSP stapling off: the TLS certificate file holds no issuer certificate after the server's (use the full chain)")
		default:
			issuer, err := x509.ParseCertificate(cert.Certificate[1])
			if err == nil {
				err = cert.Leaf.CheckSignatureFrom(issuer)
			}
			if err != nil {
				st.off = true
				c.log.Warn("OCSP stapling off: the second certificate in the TLS certificate file is not the issuer", slog.Any("err", err))
			}
			st.issuer = issuer
		}
	}
	if st.off {
		return
	}
	now := c.now()
	if st.stapled && !st.expires.IsZero() && !now.Before(st.expires) {
		// An outdated response is worse than none: clients refuse it.
		cert = c.setStaple(cert, nil)
		st.stapled = false
		c.log.Warn("the stapled OCSP response is out of date: serving without one until the responder answers",
			slog.Time("next_update", st.expires))
	}
	if now.Before(st.next) {
		return
	}
	resp, raw, err := c.fetchOCSP(ctx, st.leaf, st.issuer)
	if err == nil && !resp.NextUpdate.IsZero() && !now.Before(resp.NextUpdate) {
		err = fmt.Errorf("the responder's answer is out of date (next update %s)", resp.NextUpdate.UTC().Format(time.RFC3339))
	}
	if err != nil && ctx.Err() != nil {
		return // shutting down
	}
	if err != nil {
		st.failures++
		wait := min(ocspRetryFirst<<min(st.failures-1, 10), ocspRetryLongest)
		st.next = now.Add(wait)
		c.log.Warn("OCSP fetch failed; serving on, will retry", slog.Any("err", err), slog.Duration("retry_in", wait))
		return
	}
	st.failures = 0
	if resp.Status != ocsp.Good {
		if st.stapled {
			c.setStaple(cert, nil)
			st.stapled = false
		}
		st.next = now.Add(ocspRetryLongest)
		status := "unknown"
		if resp.Status == ocsp.Revoked {
			status = "revoked"
		}
		c.log.Error("the OCSP responder reports the TLS certificate "+status+": replace the certificate", certAttrs(st.leaf)...)
		return
	}
	c.setStaple(cert, raw)
	st.stapled, st.expires = true, resp.NextUpdate
	st.next = now.Add(ocspNoNextCheck)
	if !resp.NextUpdate.IsZero() {
		st.next = now.Add(max(resp.NextUpdate.Sub(now)/2, ocspRetryFirst))
	}
	c.log.Info("OCSP response stapled", slog.Time("this_update", resp.ThisUpdate), slog.Time("next_update", resp.NextUpdate),
		slog.Time("refresh_at", st.next))
}

// setStaple serves cert with staple (nil: none) unless a reload replaced
// cert meanwhile, and returns what is served now.
func (c *Certificates) setStaple(cert *tls.Certificate, staple []byte) *tls.Certificate {
	next := *cert
	next.OCSPStaple = staple
	if c.cur.CompareAndSwap(cert, &next) {
		return &next
	}
	return c.cur.Load()
}

// fetchOCSP asks the certificate's OCSP responders, in order, for its
// status, and returns the first answer that verifies against issuer.
func (c *Certificates) fetchOCSP(ctx context.Context, leaf, issuer *x509.Certificate) (*ocsp.Response, []byte, error) {
	req, err := ocsp.CreateRequest(leaf, issuer, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("OCSP request: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, ocspFetchLimit)
	defer cancel()
	var errs []error
	for _, url := range leaf.OCSPServer {
		raw, err := c.postOCSP(ctx, url, req)
		if err == nil {
			var resp *ocsp.Response
			if resp, err = ocsp.ParseResponseForCert(raw, leaf, issuer); err == nil {
				return resp, raw, nil
			}
		}
		errs = append(errs, fmt.Errorf("%s: %w", url, err))
	}
	return nil, nil, errors.Join(errs...)
}

func (c *Certificates) postOCSP(ctx context.Context, url string, req []byte) ([]byte, error) {
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(req))
	if err != nil {
		return nil, err
	}
	hreq.Header.Set("Content-Type", "application/ocsp-request")
	hreq.Header.Set("Accept", "application/ocsp-response")
	resp, err := c.client.Do(hreq)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("responder answered %s", resp.Status)
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, ocspMaxResponse+1))
	if err != nil {
		return nil, err
	}
	if len(raw) > ocspMaxResponse {
		return nil, errors.New("responder's answer is too large")
	}
	return raw, nil
}
