package wiring

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"

	"github.com/custoscrm/custos/internal/audit"
	"github.com/custoscrm/custos/internal/config"
	"github.com/custoscrm/custos/internal/masterkey"
	"github.com/custoscrm/custos/internal/store"
	"github.com/custoscrm/custos/internal/vault"
)

// AuditReader is what verifying the audit log needs: the store, and the
// checkpoint signer when the master key is at hand (it proves the stored
// verifier key is genuine).
type AuditReader struct {
	Log    audit.Store
	Signer *audit.Signer // nil without the master key
	st     *store.Store
	kr     *masterkey.Keyring
}

// Close closes the store and key provider.
func (r *AuditReader) Close() error {
	var errs []error
	if r.st != nil {
		errs = append(errs, r.st.Close())
	}
	if r.kr != nil {
		errs = append(errs, r.kr.Close())
	}
	return errors.Join(errs...)
}

// OpenAuditReader opens cfg's database to verify its audit log. The
// master key is optional, so a copy of the database can be verified off
// the box with only the anchor file or the verifier key.
func OpenAuditReader(ctx context.Context, cfg config.Config, log *slog.Logger) (*AuditReader, error) {
	if cfg.DatabaseURL == "" {
		if _, err := os.Stat(cfg.SQLitePath()); err != nil {
			return nil, fmt.Errorf("no Custos database in %s: %w", cfg.DataDir, err)
		}
	}
	st, err := store.Open(ctx, store.Options{SQLitePath: cfg.SQLitePath(), DatabaseURL: cfg.DatabaseURL, Logger: log})
	if err != nil {
		return nil, err
	}
	r := &AuditReader{Log: st.AuditLog, st: st}
	if _, err := os.Stat(cfg.MasterKeyFile); errors.Is(err, fs.ErrNotExist) {
		return r, nil
	}
	fp, err := masterkey.OpenFile(cfg.MasterKeyFile)
	if err != nil {
		_ = r.Close()
		return nil, err
	}
	if r.kr, err = masterkey.New(ctx, fp); err != nil {
		_ = fp.Close()
		_ = r.Close()
		return nil, err
	}
	v, err := vault.New(r.kr, 1)
	if err != nil {
		_ = r.Close()
		return nil, err
	}
	k, err := st.AuditLog.AuditSigningKey(ctx)
	if err != nil {
		_ = r.Close()
		return nil, err
	}
	if k != nil {
		if r.Signer, err = audit.OpenSigner(ctx, k, v); err != nil {
			_ = r.Close()
			return nil, err
		}
	}
	return r, nil
}
