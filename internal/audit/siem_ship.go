package audit

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"sync"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

// Sink receives shipped audit events. Send must deliver all of evs or
// return an error (the batch is then retried).
type Sink interface {
	// Name identifies the sink's cursor in the database.
	Name() string
	Send(ctx context.Context, evs []*domain.AuditEvent) error
	Close() error
}

// Shipper copies integrated log entries to a sink in sequence order. It
// reads from the log and keeps its own cursor (the last shipped seq) in
// the database, so it never slows or blocks recording: a sink that is
// down only makes the shipper fall behind and retry with backoff, and it
// resumes where it stopped, after a restart too. Delivery is at least
// once: a batch sent just before a crash may be sent again (event.id
// tells duplicates apart).
type Shipper struct {
	st    Store
	sink  Sink
	log   *slog.Logger
	batch int
	poll  time.Duration
	min   time.Duration
	max   time.Duration
}

// NewShipper returns a shipper of st's log to sink.
func NewShipper(st Store, sink Sink, log *slog.Logger) *Shipper {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Shipper{st: st, sink: sink, log: log, batch: 500, poll: time.Second, min: time.Second, max: time.Minute}
}

// ShipOnce sends the next batch after the cursor and advances it. It
// returns how many events were shipped.
func (sh *Shipper) ShipOnce(ctx context.Context) (int, error) {
	last, err := sh.st.AuditShipCursor(ctx, sh.sink.Name())
	if err != nil {
		return 0, err
	}
	evs, err := sh.st.SearchAudit(ctx, domain.AuditFilter{FromSeq: last + 1, ToSeq: -1, Limit: sh.batch})
	if err != nil || len(evs) == 0 {
		return 0, err
	}
	if err := sh.sink.Send(ctx, evs); err != nil {
		return 0, fmt.Errorf("ship to %s: %w", sh.sink.Name(), err)
	}
	if err := sh.st.SetAuditShipCursor(ctx, sh.sink.Name(), evs[len(evs)-1].Seq); err != nil {
		return 0, err
	}
	return len(evs), nil
}

// Run ships until ctx ends, backing off exponentially (with jitter)
// while the sink fails.
func (sh *Shipper) Run(ctx context.Context) {
	defer sh.sink.Close()
	backoff := time.Duration(0)
	for {
		n, err := sh.ShipOnce(ctx)
		wait := sh.poll
		switch {
		case err != nil && ctx.Err() == nil:
			backoff = min(max(2*backoff, sh.min), sh.max)
			wait = backoff/2 + rand.N(backoff/2+1) //nolint:gosec // retry jitter, not a secret
			sh.log.Warn("audit: SIEM shipping failed; retrying", slog.String("sink", sh.sink.Name()),
				slog.Duration("in", wait), slog.Any("err", err))
		case n == sh.batch:
			backoff, wait = 0, 0 // behind: keep going
		default:
			backoff = 0
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// JSONLSink writes ECS JSON lines to a file (appending, mode 0600,
// synced after every batch) or to a writer such as stdout.
type JSONLSink struct {
	name   string
	origin string
	w      io.Writer
	f      *os.File
}

// NewJSONLSink ships to path, or to stdout when path is "-".
func NewJSONLSink(path, origin string, stdout io.Writer) (*JSONLSink, error) {
	s := &JSONLSink{name: "jsonl:" + path, origin: origin}
	if path == "-" {
		s.w = stdout
		return s, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600) //nolint:gosec // the operator configures the SIEM file
	if err != nil {
		return nil, fmt.Errorf("audit JSON lines file: %w", err)
	}
	s.w, s.f = f, f
	return s, nil
}

// Name implements Sink.
func (s *JSONLSink) Name() string { return s.name }

// Send implements Sink.
func (s *JSONLSink) Send(_ context.Context, evs []*domain.AuditEvent) error {
	var buf []byte
	for _, ev := range evs {
		doc, err := MarshalECS(ev, s.origin)
		if err != nil {
			return err
		}
		buf = append(append(buf, doc...), '\n')
	}
	if _, err := s.w.Write(buf); err != nil {
		return err
	}
	if s.f != nil {
		return s.f.Sync()
	}
	return nil
}

// Close implements Sink.
func (s *JSONLSink) Close() error {
	if s.f != nil {
		return s.f.Close()
	}
	return nil
}

// SyslogSink sends RFC 5424 messages over TCP or TLS with octet-counting
// framing, reconnecting after any error.
type SyslogSink struct {
	name   string
	origin string
	addr   string
	tls    *tls.Config // nil for plain TCP
	host   string
	pid    int

	mu   sync.Mutex
	conn net.Conn
}

// NewSyslogSink ships to addr (host:port); scheme is "tcp" or "tls". For
// TLS, caFile (PEM) replaces the system roots when set.
func NewSyslogSink(scheme, addr, caFile, origin string) (*SyslogSink, error) {
	s := &SyslogSink{name: "syslog:" + scheme + "://" + addr, origin: origin, addr: addr, host: hostname(), pid: os.Getpid()}
	if scheme == "tls" {
		host, _, _ := net.SplitHostPort(addr)
		s.tls = &tls.Config{MinVersion: tls.VersionTLS12, ServerName: host}
		if caFile != "" {
			pem, err := os.ReadFile(caFile) //nolint:gosec // the operator configures the CA bundle
			if err != nil {
				return nil, fmt.Errorf("syslog CA file: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, errors.New("syslog CA file: no PEM certificate in it")
			}
			s.tls.RootCAs = pool
		}
	}
	return s, nil
}

// Name implements Sink.
func (s *SyslogSink) Name() string { return s.name }

// Send implements Sink.
func (s *SyslogSink) Send(ctx context.Context, evs []*domain.AuditEvent) error {
	var buf []byte
	for _, ev := range evs {
		msg, err := FormatSyslog(ev, s.origin, s.host, s.pid)
		if err != nil {
			return err
		}
		buf = FrameOctetCounted(buf, msg)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		d := &net.Dialer{Timeout: 10 * time.Second}
		var c net.Conn
		var err error
		if s.tls != nil {
			c, err = (&tls.Dialer{NetDialer: d, Config: s.tls}).DialContext(ctx, "tcp", s.addr)
		} else {
			c, err = d.DialContext(ctx, "tcp", s.addr)
		}
		if err != nil {
			return err
		}
		s.conn = c
	}
	_ = s.conn.SetWriteDeadline(time.Now().Add(30 * time.Second))
	if _, err := s.conn.Write(buf); err != nil {
		_ = s.conn.Close()
		s.conn = nil
		return err
	}
	return nil
}

// Close implements Sink.
func (s *SyslogSink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return nil
	}
	err := s.conn.Close()
	s.conn = nil
	return err
}
