package jsonapi_test

import (
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/testkit"
)

// On a volume below the disk reserve a create answers 503 with
// Retry-After and the store_unavailable code, /readyz answers 503, nothing
// is stored; once space is back both recover without a restart.
func TestFullDiskAnswersHonestly(t *testing.T) {
	var free atomic.Uint64
	free.Store(10 << 30)
	a := testkit.NewApp(t, testkit.SQLite, testkit.AppOptions{FreeSpace: func(string) (uint64, error) {
		if n := free.Load(); n > 0 {
			return n, nil
		}
		return 0, errors.New("no reading")
	}})
	s := testkit.Serve(t, a)
	admin := s.Login(t, testkit.AdminEmail, testkit.AdminPassword)
	raw := testkit.RawDB(t, a)
	before := raw.Int(t, `SELECT COUNT(*) FROM customers`)

	free.Store(1 << 20)
	time.Sleep(300 * time.Millisecond) // past the guard's cached reading
	r := s.Do(t, "POST", "/api/v1/customers", admin, map[string]any{"name": "Full Disk Ltd", "kind": "company"})
	if r.Status != http.StatusServiceUnavailable || r.ErrorCode() != "store_unavailable" || r.Header.Get("Retry-After") == "" {
		t.Fatalf("create on a full disk: %d %s Retry-After=%q", r.Status, r.Body, r.Header.Get("Retry-After"))
	}
	if r := s.Do(t, "GET", "/readyz", "", nil); r.Status != http.StatusServiceUnavailable {
		t.Fatalf("readyz on a full disk: %d %s", r.Status, r.Body)
	}
	if r := s.Do(t, "GET", "/healthz", "", nil); r.Status != http.StatusOK {
		t.Fatalf("healthz (liveness) on a full disk: %d", r.Status)
	}
	if n := raw.Int(t, `SELECT COUNT(*) FROM customers`); n != before {
		t.Fatalf("customers went from %d to %d on a refused create", before, n)
	}

	free.Store(10 << 30)
	deadline := time.Now().Add(10 * time.Second)
	for s.Do(t, "GET", "/readyz", "", nil).Status != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatal("not ready again after space came back")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if r := s.Do(t, "POST", "/api/v1/customers", admin, map[string]any{"name": "Full Disk Ltd", "kind": "company"}); r.Status != http.StatusCreated {
		t.Fatalf("create with space back: %d %s", r.Status, r.Body)
	}
}
