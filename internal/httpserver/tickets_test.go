package httpserver_test

import (
	"crypto/tls"
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/httpserver"
)

// TestSessionTicketKeysRotate drives real TLS clients against the server
// with a controllable clock. Documented behaviour (docs/tls.md): a new
// ticket key starts every 12 hours and the previous one still decrypts
// for 12 more, so a session resumes within 24 hours of its ticket and
// never after the key that sealed it was dropped. TLS 1.2 tickets and
// TLS 1.3 resumption alike.
func TestSessionTicketKeysRotate(t *testing.T) {
	for _, v := range []struct {
		name string
		max  uint16
	}{{"TLS 1.2", tls.VersionTLS12}, {"TLS 1.3", tls.VersionTLS13}} {
		t.Run(v.name, func(t *testing.T) {
			ca := newCA(t)
			certPath, keyPath := ca.issue(t, t.TempDir(), leafSpec{serial: 2})
			clk := newClock()
			addr, _ := startServer(t, serveOptions{certPath: certPath, keyPath: keyPath, clock: clk})
			newClient := func() *client {
				return &client{addr: addr, roots: ca.pool, clock: clk, cache: tls.NewLRUClientSessionCache(4), max: v.max}
			}
			early, late := newClient(), newClient()
			if cs := early.get(t); cs.DidResume || cs.Version != v.max {
				t.Fatalf("first connection: resumed=%v version=%x", cs.DidResume, cs.Version)
			}
			if late.get(t).DidResume {
				t.Fatal("first connection resumed")
			}
			// t0+1h: the key that sealed both tickets is current.
			clk.Advance(time.Hour)
			if !early.get(t).DidResume {
				t.Fatal("a one-hour-old ticket did not resume")
			}
			// t0+13h: a new key is current; the first is the previous one
			// and still decrypts.
			clk.Advance(12 * time.Hour)
			if !late.get(t).DidResume {
				t.Fatal("a 13-hour-old ticket sealed by the previous key did not resume")
			}
			// t0+24h01m: the first key is dropped. early's ticket (issued at
			// t0+1h under it) no longer resumes; late's (issued at t0+13h
			// under the second key) does.
			clk.Advance(11*time.Hour + time.Minute)
			if early.get(t).DidResume {
				t.Fatal("a ticket resumed after the key that sealed it was dropped")
			}
			if !late.get(t).DidResume {
				t.Fatal("an 11-hour-old ticket sealed by the previous key did not resume")
			}
			// No traffic for two days: every key is dropped.
			clk.Advance(48 * time.Hour)
			if late.get(t).DidResume {
				t.Fatal("a two-day-old ticket resumed")
			}
		})
	}
}

// TestTicketKeysDefault: tickets live at most 24 hours by default.
func TestTicketKeysDefault(t *testing.T) {
	if 2*httpserver.DefaultTicketKeyRotation > 24*time.Hour {
		t.Fatalf("default rotation %v lets a ticket live %v", httpserver.DefaultTicketKeyRotation, 2*httpserver.DefaultTicketKeyRotation)
	}
}
