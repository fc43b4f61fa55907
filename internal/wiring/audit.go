package wiring

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/custoscrm/custos/internal/audit"
	"github.com/custoscrm/custos/internal/store"
)

// ErrAuditLogInconsistent is returned by Start when the audit log does not
// match its last anchored checkpoint.
var ErrAuditLogInconsistent = errors.New("refusing to serve")

func (a *App) sequencerOptions(now func() time.Time) audit.SequencerOptions {
	return audit.SequencerOptions{
		Interval:           a.Config.AuditSequenceInterval,
		CheckpointInterval: a.Config.AuditCheckpointInterval,
		AnchorFile:         a.Config.AuditAnchorFile,
		AnchorURL:          a.Config.AuditAnchorURL,
		Now:                now,
		Log:                a.Log,
		OnLeader:           a.runShippers,
	}
}

// Start checks the audit log against its last anchored checkpoint and
// starts the background work of a serving node: the audit sequencer (and,
// on the node elected to sequence, SIEM shipping) and the background jobs
// (the pool's automatic return, one node at a time). A log that is not
// consistent with what was anchored is an error: the node must not serve.
func (a *App) Start(ctx context.Context) error {
	if a.Config.AuditAnchorFile != "" {
		if err := audit.CheckAnchored(ctx, a.Store.AuditLog, a.AuditSigner, a.Config.AuditAnchorFile); err != nil {
			return fmt.Errorf("%w: %w", ErrAuditLogInconsistent, err)
		}
	}
	if a.Config.AuditAnchorURL != "" {
		client := &http.Client{Timeout: 15 * time.Second}
		if err := audit.CheckAnchoredURL(ctx, a.Store.AuditLog, a.AuditSigner, client, a.Config.AuditAnchorURL); err != nil {
			return fmt.Errorf("%w: %w", ErrAuditLogInconsistent, err)
		}
	}
	sinks, err := a.Sinks() // fail now on a bad SIEM configuration, not later on the leader
	if err != nil {
		return err
	}
	for _, s := range sinks {
		_ = s.Close()
	}
	a.AuditSequencer.Start()
	a.started = true
	a.Jobs.Start(ctx, a.PoolReturnJob())
	return nil
}

// stopAudit stops the sequencer after a last integration and checkpoint.
func (a *App) stopAudit() {
	if a.started && a.AuditSequencer != nil {
		a.AuditSequencer.Stop()
		a.started = false
	}
}

// Sinks returns the SIEM sinks the configuration names.
func (a *App) Sinks() ([]audit.Sink, error) {
	var sinks []audit.Sink
	origin := a.AuditSigner.Origin()
	if a.Config.AuditShipJSONL != "" {
		s, err := audit.NewJSONLSink(a.Config.AuditShipJSONL, origin, os.Stdout)
		if err != nil {
			return nil, err
		}
		sinks = append(sinks, s)
	}
	if a.Config.AuditShipSyslog != "" {
		scheme, addr, err := a.Config.SyslogTarget()
		if err != nil {
			return nil, err
		}
		s, err := audit.NewSyslogSink(scheme, addr, a.Config.AuditShipSyslogCA, origin)
		if err != nil {
			return nil, err
		}
		sinks = append(sinks, s)
	}
	return sinks, nil
}

// runShippers ships the log to every configured sink until ctx ends. It
// runs only on the node elected to sequence, so each event is shipped by
// one node.
func (a *App) runShippers(ctx context.Context) {
	sinks, err := a.Sinks()
	if err != nil {
		a.Log.Error("audit: SIEM shipping not started", slog.Any("err", err))
		return
	}
	var wg sync.WaitGroup
	for _, s := range sinks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			audit.NewShipper(a.Store.AuditLog, s, a.Log).Run(ctx)
		}()
	}
	wg.Wait()
}

// recorderFlushers is how many audit appends may be in flight at once.
// SQLite has a single writer: one flusher lets events gather while a
// commit is in flight, so each commit carries more of them (fewer fsyncs
// and fewer log changes for readers to catch up with). PostgreSQL commits
// concurrently and gains from two.
func recorderFlushers(st *store.Store) int {
	if st.Dialect() == store.SQLite {
		return 1
	}
	return 2
}
