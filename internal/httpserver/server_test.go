package httpserver_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/httpserver"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestMiddlewareHeadersLimitsAndLogs(t *testing.T) {
	var logs syncBuffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/echo", func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		if _, err := b.ReadFrom(r.Body); err != nil {
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	mux.HandleFunc("GET /api/v1/panic", func(http.ResponseWriter, *http.Request) { panic("handler bug") })
	h := httpserver.Middleware(mux, log, func(*http.Request) int64 { return 1024 })

	rec := httptest.NewRecorder()
	req := httptest.NewRequestWithContext(context.Background(), "POST", "/api/v1/echo?phone=13800138000&email=zw@example.com", strings.NewReader("{}"))
	h.ServeHTTP(rec, req)
	for k, want := range map[string]string{
		"Strict-Transport-Security": "max-age=63072000; includeSubDomains",
		"X-Content-Type-Options":    "nosniff",
		"Cache-Control":             "no-store",
		"X-Frame-Options":           "DENY",
		"Referrer-Policy":           "no-referrer",
	} {
		if got := rec.Header().Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q", csp)
	}
	if id := rec.Header().Get("X-Request-ID"); !strings.HasPrefix(id, "req_") {
		t.Errorf("request id %q", id)
	}

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequestWithContext(context.Background(), "POST", "/api/v1/echo", strings.NewReader(strings.Repeat("x", 2048))))
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: %d", rec.Code)
	}

	rec = httptest.NewRecorder()
	req = httptest.NewRequestWithContext(context.Background(), "GET", "/api/v1/panic", nil)
	req.Header.Set("X-Request-ID", "trace-123")
	h.ServeHTTP(rec, req)
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "handler bug") || !strings.Contains(rec.Body.String(), `"internal"`) {
		t.Errorf("panic answered %d %q", rec.Code, rec.Body.String())
	}
	if rec.Header().Get("X-Request-ID") != "trace-123" {
		t.Errorf("a well-formed client request id was not kept")
	}
	rec = httptest.NewRecorder()
	req = httptest.NewRequestWithContext(context.Background(), "GET", "/healthz", nil)
	req.Header.Set("X-Request-ID", "bad id\nwith newline")
	h.ServeHTTP(rec, req)
	if got := rec.Header().Get("X-Request-ID"); strings.Contains(got, "\n") || !strings.HasPrefix(got, "req_") {
		t.Errorf("a malformed client request id was echoed: %q", got)
	}

	out := logs.String()
	if !strings.Contains(out, `"route":"POST /api/v1/echo"`) {
		t.Errorf("access log lacks the route pattern: %s", out)
	}
	// Query strings can carry personal data: they never reach the log.
	for _, leak := range []string{"13800138000", "zw@example.com", "phone="} {
		if strings.Contains(out, leak) {
			t.Errorf("log contains %q: %s", leak, out)
		}
	}
}

// A User-Agent reaches the services as UTF-8 of at most 256 bytes cut
// between characters, whatever bytes the header held: it is stored with
// sessions and audit events, and PostgreSQL refuses text that is not
// UTF-8.
func TestMiddlewareUserAgentIsUTF8(t *testing.T) {
	var got string
	h := httpserver.Middleware(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		got = domain.RequestInfoFrom(r.Context()).UserAgent
	}), slog.New(slog.DiscardHandler), func(*http.Request) int64 { return 1024 })
	for _, ua := range []string{"Mozilla/5.0 \xff\xfe\xc3", "Mozilla/5.0 " + strings.Repeat("浏览器", 100) + "\xff"} {
		req := httptest.NewRequestWithContext(context.Background(), "GET", "/healthz", nil)
		req.Header.Set("User-Agent", ua)
		h.ServeHTTP(httptest.NewRecorder(), req)
		if !utf8.ValidString(got) || len(got) > 256 || !strings.HasPrefix(got, "Mozilla/5.0 ") {
			t.Errorf("User-Agent %q reached the services as %q", ua, got)
		}
	}
}
