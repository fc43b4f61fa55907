package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

// Master key providers.
const (
	ProviderFile       = "file"
	ProviderPassphrase = "passphrase"
	ProviderPKCS11     = "pkcs11"
)

// Environment variables holding secrets. They are read by LoadSecrets
// only: secrets never come from flag values, which other users can read
// in the process list.
const (
	EnvMasterPassphrase = "CUSTOS_MASTER_PASSPHRASE" //nolint:gosec // the name of a variable, not a credential
	EnvPKCS11PIN        = "CUSTOS_PKCS11_PIN"        //nolint:gosec // the name of a variable, not a credential
)

func (c *Config) validateKeys() error {
	switch c.MasterKeyProvider {
	case ProviderFile:
	case ProviderPassphrase:
		if c.PassphraseKeyFile == "" {
			c.PassphraseKeyFile = filepath.Join(c.DataDir, "master.passphrase")
		}
	case ProviderPKCS11:
		if c.PKCS11Module == "" || c.PKCS11Token == "" {
			return errors.New("--master-key-provider pkcs11 needs --pkcs11-module and --pkcs11-token")
		}
		if !filepath.IsAbs(c.PKCS11Module) {
			return errors.New("--pkcs11-module must be an absolute path")
		}
		if c.PKCS11KeyLabel == "" || strings.ContainsAny(c.PKCS11KeyLabel, "/\x00") || len(c.PKCS11KeyLabel) > 64 {
			return errors.New("--pkcs11-key-label must be 1 to 64 characters without '/'")
		}
	default:
		return fmt.Errorf("--master-key-provider %q: want file, passphrase or pkcs11", c.MasterKeyProvider)
	}
	if c.KeyRefresh < 100*time.Millisecond || c.KeyRefresh > 10*time.Minute {
		return errors.New("--key-refresh must be between 100ms and 10m")
	}
	if c.MasterKeyRotationDays < 1 || c.MasterKeyRotationDays > 3650 || c.IndexKeyRotationDays < 1 || c.IndexKeyRotationDays > 3650 {
		return errors.New("key rotation periods must be between 1 and 3650 days")
	}
	return nil
}

// LoadSecrets reads the passphrase or PIN the selected provider needs:
// from the named file, else from the environment. It leaves them empty
// when neither is given (the CLI may then prompt).
func (c *Config) LoadSecrets(getenv func(string) string) error {
	switch c.MasterKeyProvider {
	case ProviderPassphrase:
		if c.MasterPassphraseFile != "" {
			p, err := readSecretFile(c.MasterPassphraseFile, "--master-passphrase-file")
			if err != nil {
				return err
			}
			c.MasterPassphrase = p
		} else {
			c.MasterPassphrase = getenv(EnvMasterPassphrase)
			if at := domain.InvalidUTF8At(c.MasterPassphrase); at >= 0 {
				return fmt.Errorf("%s is not valid UTF-8 (byte %d)", EnvMasterPassphrase, at)
			}
		}
	case ProviderPKCS11:
		if c.PKCS11PINFile != "" {
			p, err := readSecretFile(c.PKCS11PINFile, "--pkcs11-pin-file")
			if err != nil {
				return err
			}
			c.PKCS11PIN = p
		} else {
			c.PKCS11PIN = getenv(EnvPKCS11PIN)
			if at := domain.InvalidUTF8At(c.PKCS11PIN); at >= 0 {
				return fmt.Errorf("%s is not valid UTF-8 (byte %d)", EnvPKCS11PIN, at)
			}
		}
	}
	return nil
}

// readSecretFile returns the first line of a secret file, which must not
// be readable by group or others, and must be valid UTF-8 (a passphrase
// is created from valid UTF-8 only, and PKCS#11 PINs are UTF-8).
func readSecretFile(path, flag string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("%s: %w", flag, err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("%s %s has mode %04o; it must not be accessible to group or others (chmod 600)", flag, path, st.Mode().Perm())
	}
	f, err := os.Open(path) //nolint:gosec // the operator names the file
	if err != nil {
		return "", fmt.Errorf("%s: %w", flag, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil {
		return "", fmt.Errorf("%s: %w", flag, err)
	}
	s := string(b)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	if s == "" {
		return "", fmt.Errorf("%s %s is empty", flag, path)
	}
	if at := domain.InvalidUTF8At(s); at >= 0 {
		return "", fmt.Errorf("%s %s: the first line is not valid UTF-8 (byte %d); save it as UTF-8", flag, path, at)
	}
	return s, nil
}
