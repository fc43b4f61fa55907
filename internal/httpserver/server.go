// Package httpserver runs Custos's HTTPS listener: the served certificate
// (reloaded on demand, OCSP-stapled), session ticket key rotation,
// security headers, request ids, body limits, timeouts, access logs, panic
// recovery, health checks and graceful shutdown. Applications (the API,
// the web UI) register their routes on its mux.
package httpserver

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/custoscrm/custos/internal/domain"
)

// Options configure the server.
type Options struct {
	// TLS is the TLS policy (versions, suites, ALPN); required, and
	// copied.
	TLS *tls.Config
	// Certificates, when set, is the certificate served (reloadable,
	// OCSP-stapled) in place of TLS.Certificates.
	Certificates *Certificates
	Handler      http.Handler
	Log          *slog.Logger
	MaxBodyBytes int64
	// BodyLimit, when set, is the body limit of each request (uploads
	// may be larger than MaxBodyBytes).
	BodyLimit func(*http.Request) int64
	// Ready reports whether the server can serve (database reachable).
	Ready func(ctx context.Context) error
	// Now is the clock of session tickets and their keys (default
	// time.Now).
	Now func() time.Time
	// TicketKeyRotation is how often a new session ticket key starts
	// (default DefaultTicketKeyRotation; tickets resume for at most twice
	// this).
	TicketKeyRotation time.Duration
	// MaintainEvery is how often ticket keys and the OCSP staple are
	// checked in the background (default 1 minute).
	MaintainEvery time.Duration
}

// Timeouts and limits.
const (
	DefaultMaxBodyBytes = 1 << 20
	readHeaderTimeout   = 10 * time.Second
	readTimeout         = 30 * time.Second
	writeTimeout        = 60 * time.Second
	idleTimeout         = 120 * time.Second
	maxHeaderBytes      = 64 << 10
	shutdownGrace       = 30 * time.Second
)

// Server is an HTTPS server.
type Server struct {
	srv     *http.Server
	log     *slog.Logger
	tls     *tls.Config
	tickets *ticketKeys
	certs   *Certificates
	every   time.Duration
}

// New builds the server around opts.Handler, adding /healthz and
// /readyz.
func New(opts Options) *Server {
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if opts.Ready != nil {
			if err := opts.Ready(r.Context()); err != nil {
				opts.Log.Warn("not ready", slog.Any("err", err))
				w.Header().Set("Retry-After", "5")
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = w.Write([]byte(`{"status":"unavailable"}` + "\n"))
				return
			}
		}
		_, _ = w.Write([]byte(`{"status":"ready"}` + "\n"))
	})
	mux.Handle("/", opts.Handler)
	limit := opts.BodyLimit
	if limit == nil {
		limit = func(*http.Request) int64 { return opts.MaxBodyBytes }
	}
	h := Middleware(mux, opts.Log, limit)
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.TicketKeyRotation <= 0 {
		opts.TicketKeyRotation = DefaultTicketKeyRotation
	}
	if opts.MaintainEvery <= 0 {
		opts.MaintainEvery = time.Minute
	}
	cfg := opts.TLS.Clone()
	if opts.Certificates != nil {
		cfg.Certificates, cfg.GetCertificate = nil, opts.Certificates.GetCertificate
	}
	cfg.Time = opts.Now
	tickets := newTicketKeys(cfg, opts.Now, opts.TicketKeyRotation)
	cfg.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
		tickets.rotate()
		return nil, nil // go on with cfg
	}
	return &Server{
		log:     opts.Log,
		tls:     cfg,
		tickets: tickets,
		certs:   opts.Certificates,
		every:   opts.MaintainEvery,
		srv: &http.Server{
			Handler:           h,
			TLSConfig:         cfg,
			ReadHeaderTimeout: readHeaderTimeout,
			ReadTimeout:       readTimeout,
			WriteTimeout:      writeTimeout,
			IdleTimeout:       idleTimeout,
			MaxHeaderBytes:    maxHeaderBytes,
			ErrorLog:          slog.NewLogLogger(opts.Log.Handler(), slog.LevelWarn),
		},
	}
}

// Serve serves HTTPS on ln until ctx ends, then drains in-flight requests
// (up to 30 s) and returns nil. Meanwhile it rotates session ticket keys
// and keeps the certificate's OCSP staple fresh.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	mctx, stopMaintain := context.WithCancel(ctx)
	maintained := make(chan struct{})
	go func() {
		defer close(maintained)
		s.maintain(mctx)
	}()
	defer func() {
		stopMaintain()
		<-maintained
	}()
	errc := make(chan error, 1)
	// The listener uses s.tls itself, not a copy (as ServeTLS would make),
	// so rotated ticket keys apply to it.
	go func() { errc <- s.srv.Serve(tls.NewListener(ln, s.tls)) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.log.Info("shutting down: draining requests")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := s.srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// maintain rotates ticket keys and refreshes the OCSP staple every
// MaintainEvery, and at once after a certificate reload, until ctx ends.
func (s *Server) maintain(ctx context.Context) {
	t := time.NewTicker(s.every)
	defer t.Stop()
	var reloaded <-chan struct{}
	if s.certs != nil {
		reloaded = s.certs.wake
	}
	for {
		s.tickets.rotate()
		if s.certs != nil {
			s.certs.refreshStaple(ctx)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-reloaded:
		}
	}
}

// Middleware wraps h with Custos's cross-cutting request handling.
func Middleware(h http.Handler, log *slog.Logger, maxBody func(*http.Request) int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ri := domain.RequestInfo{RequestID: requestID(r), SourceIP: sourceIP(r), UserAgent: clip(strings.ToValidUTF8(r.UserAgent(), "\uFFFD"), 256)}
		hd := w.Header()
		hd.Set("X-Request-ID", ri.RequestID)
		hd.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Cross-Origin-Resource-Policy", "same-origin")
		hd.Set("Permissions-Policy", "camera=(), microphone=(), payment=(), usb=()")
		// The API serves no active content; pages set their own policy.
		hd.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
		if strings.HasPrefix(r.URL.Path, "/api/") || r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
			hd.Set("Cache-Control", "no-store")
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, maxBody(r))
		}
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		r = r.WithContext(domain.WithRequestInfo(r.Context(), ri))
		defer func() {
			if p := recover(); p != nil {
				if err, ok := p.(error); ok && errors.Is(err, http.ErrAbortHandler) {
					panic(p)
				}
				log.Error("panic serving request", slog.String("request_id", ri.RequestID), slog.Any("panic", p),
					slog.String("stack", string(debug.Stack())))
				if !rec.wrote {
					rec.Header().Set("Content-Type", "application/json")
					rec.WriteHeader(http.StatusInternalServerError)
					_, _ = rec.Write([]byte(`{"error":{"code":"internal","message":"internal error"}}` + "\n"))
				}
			}
			// Log the route pattern, never the raw URL: query strings can
			// carry personal data (?phone=…).
			route := r.Pattern
			if route == "" {
				route = r.Method + " (unmatched)"
			}
			log.LogAttrs(r.Context(), slog.LevelInfo, "request",
				slog.String("request_id", ri.RequestID), slog.String("route", route),
				slog.Int("status", rec.status), slog.Int64("bytes", rec.bytes),
				slog.Duration("duration", time.Since(start)), slog.String("ip", ri.SourceIP))
		}()
		h.ServeHTTP(rec, r)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
	wrote  bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wrote = true
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// requestID accepts a well-formed client X-Request-ID (for tracing across
// systems) or makes one.
func requestID(r *http.Request) string {
	if v := r.Header.Get("X-Request-ID"); v != "" && len(v) <= 64 {
		ok := true
		for i := 0; i < len(v); i++ {
			c := v[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
				ok = false
				break
			}
		}
		if ok {
			return v
		}
	}
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "req_" + hex.EncodeToString(b[:])
}

func sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// clip shortens s to at most n bytes without splitting a character.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
