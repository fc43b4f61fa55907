package wiring

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/custoscrm/custos/internal/config"
	"github.com/custoscrm/custos/internal/keylifecycle"
	"github.com/custoscrm/custos/internal/masterkey"
)

// OpenProvider opens the master key provider cfg selects. The passphrase
// and PIN must already be loaded (config.LoadSecrets).
func OpenProvider(cfg config.Config) (masterkey.Provider, error) {
	switch cfg.MasterKeyProvider {
	case config.ProviderPassphrase:
		return masterkey.OpenPassphrase(cfg.PassphraseKeyFile, cfg.MasterPassphrase)
	case config.ProviderPKCS11:
		return masterkey.OpenPKCS11(pkcs11Config(cfg))
	default:
		return masterkey.OpenFile(cfg.MasterKeyFile)
	}
}

func pkcs11Config(cfg config.Config) masterkey.PKCS11Config {
	return masterkey.PKCS11Config{Module: cfg.PKCS11Module, TokenLabel: cfg.PKCS11Token, PIN: cfg.PKCS11PIN, KeyLabel: cfg.PKCS11KeyLabel}
}

// createProvider creates the master key material of a new installation
// and returns the paths it created (to remove if initialization fails).
func createProvider(ctx context.Context, cfg config.Config, o Options) ([]string, error) {
	switch cfg.MasterKeyProvider {
	case config.ProviderPassphrase:
		params := masterkey.DefaultPassphraseArgon2
		if o.PassphraseArgon2 != nil {
			params = *o.PassphraseArgon2
		}
		if err := masterkey.CreatePassphraseFile(cfg.PassphraseKeyFile, cfg.MasterPassphrase, params); err != nil {
			return nil, err
		}
		return []string{cfg.PassphraseKeyFile, cfg.PassphraseKeyFile + ".lock"}, nil
	case config.ProviderPKCS11:
		p, err := masterkey.OpenPKCS11(pkcs11Config(cfg))
		if err != nil {
			return nil, err
		}
		defer p.Close()
		vs, err := p.Versions(ctx)
		if err != nil {
			return nil, err
		}
		if len(vs) > 0 {
			return nil, fmt.Errorf("token %q already holds Custos master keys labelled %s/…; give another --pkcs11-key-label for a new installation", cfg.PKCS11Token, cfg.PKCS11KeyLabel)
		}
		if st, err := p.LoadState(ctx); err != nil || len(st) > 0 {
			return nil, fmt.Errorf("token %q already holds a Custos erasure tree labelled %s/…; give another --pkcs11-key-label", cfg.PKCS11Token, cfg.PKCS11KeyLabel)
		}
		return nil, p.Create(ctx, 1)
	default:
		if err := masterkey.CreateKeyFile(cfg.MasterKeyFile); err != nil {
			return nil, err
		}
		return []string{cfg.MasterKeyFile, cfg.MasterKeyFile + ".lock"}, nil
	}
}

// openErasureTree loads the provider's erasure tree, creating it for a
// database that has no data key yet. A provider without a tree in front
// of a database with keys is the wrong provider.
func (a *App) openErasureTree(ctx context.Context) error {
	err := a.Keyring.LoadErasureTree(ctx)
	if !errors.Is(err, masterkey.ErrNoErasureTree) {
		return err
	}
	fresh, err := a.Store.DataKeys.NoKeysYet(ctx)
	if err != nil {
		return err
	}
	if !fresh {
		return fmt.Errorf("the %s master key provider holds no erasure tree, but this database has keys: is this the right master key for this database?", a.Keyring.Provider().Name())
	}
	return a.Keyring.CreateErasureTree(ctx)
}

// startKeys assembles the key service and starts the key refresh.
func (a *App) startKeys(ctx context.Context, now func() time.Time) {
	grace := 2*a.Config.KeyRefresh + 500*time.Millisecond
	a.Keys = keylifecycle.New(keylifecycle.Deps{
		MasterKeys: a.Store.MasterKeys,
		IndexKeys:  a.Store.IndexKeys,
		DataKeys:   a.Store.DataKeys,
		Leases:     a.Store.Leases,
		Customers:  a.Store.Customers,
		Sealing:    a.Store.Sealing,
		Keyring:    a.Keyring,
		Vault:      a.Vault,
		Index:      a.Index,
	}, keylifecycle.Options{
		Now: now, Log: a.Log,
		MasterRotationPeriod: time.Duration(a.Config.MasterKeyRotationDays) * 24 * time.Hour,
		IndexRotationPeriod:  time.Duration(a.Config.IndexKeyRotationDays) * 24 * time.Hour,
		Grace:                grace,
	})
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.Keys.Run(rctx, a.Config.KeyRefresh)
	}()
	a.stopKeys = func() {
		cancel()
		<-done
	}
}
