package cli_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/custoscrm/custos/internal/audit"
	"github.com/custoscrm/custos/internal/config"
	"github.com/custoscrm/custos/internal/testkit"
)

// anchorService is an anchoring service as Custos expects one: it keeps
// the checkpoints POSTed to it and answers GET with the newest (404 before
// the first). forge and down make it misbehave.
type anchorService struct {
	mu          sync.Mutex
	latest      []byte
	forge, down bool
}

func (s *anchorService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	switch r.Method {
	case http.MethodPost:
		b, _ := io.ReadAll(r.Body)
		s.latest = b
	case http.MethodGet:
		if s.latest == nil {
			http.NotFound(w, r)
			return
		}
		b := s.latest
		if s.forge { // claim a larger log under the same signature
			b = []byte(strings.Replace(string(b), "\n15\n", "\n16\n", 1))
		}
		_, _ = w.Write(b)
	}
}

// With an anchor URL configured, start-up asks the service for the newest
// checkpoint it holds: a consistent log starts; a truncated one (every
// trace rewritten inside the database) is refused, naming the URL; a
// forged answer or a service that cannot be asked is an error too.
func TestAuditTruncationCaughtByAnchorURL(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		svc := &anchorService{}
		srv := httptest.NewServer(svc)
		defer srv.Close()
		a := testkit.NewApp(t, d, testkit.AppOptions{Config: func(c *config.Config) { c.AuditAnchorURL = srv.URL }})
		l := &auditLog{TestApp: a, raw: testkit.RawDB(t, a)}
		ctx := context.Background()
		check := func() error {
			return audit.CheckAnchoredURL(ctx, a.Store.AuditLog, a.AuditSigner, srv.Client(), srv.URL)
		}
		if err := check(); err != nil {
			t.Fatalf("nothing anchored yet: %v", err)
		}
		l.fill(t, 10)
		l.fill(t, 15)
		if err := check(); err != nil {
			t.Fatalf("consistent log: %v", err)
		}
		svc.forge = true
		if err := check(); err == nil || !strings.Contains(err.Error(), "anchor URL") || !strings.Contains(err.Error(), "checkpoint") {
			t.Fatalf("forged checkpoint from the service: %v", err)
		}
		svc.forge, svc.down = false, true
		if err := check(); err == nil || !strings.Contains(err.Error(), "503") {
			t.Fatalf("service down: %v", err)
		}
		svc.down = false

		l.raw.Exec(t, `DELETE FROM audit_events WHERE seq >= 12`)
		l.rewriteHashes(t)
		l.raw.Exec(t, `DELETE FROM audit_checkpoints WHERE size > 12`)
		err := a.Start(ctx)
		if err == nil || !strings.Contains(err.Error(), "refusing to serve") || !strings.Contains(err.Error(), "truncated") ||
			!strings.Contains(err.Error(), srv.URL) {
			t.Fatalf("start after truncation: %v", err)
		}
	})
}
