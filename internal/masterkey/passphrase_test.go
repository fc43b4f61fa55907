package masterkey_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/custoscrm/custos/internal/masterkey"
	"github.com/custoscrm/custos/internal/masterkey/providertest"
)

// cheapArgon2 keeps tests fast; real files use DefaultPassphraseArgon2.
var cheapArgon2 = masterkey.Argon2Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1}

const testPassphrase = "correct horse battery staple, twice"

func TestPassphraseProviderConformance(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.passphrase")
	if err := masterkey.CreatePassphraseFile(path, testPassphrase, cheapArgon2); err != nil {
		t.Fatal(err)
	}
	providertest.Run(t, func(t *testing.T) masterkey.Provider {
		p, err := masterkey.OpenPassphrase(path, testPassphrase)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = p.Close() })
		return p
	})
}

func TestPassphraseProviderBadInput(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "master.passphrase")
	if err := masterkey.CreatePassphraseFile(path, "too short", cheapArgon2); err == nil || !strings.Contains(err.Error(), "at least") {
		t.Fatalf("short passphrase: %v", err)
	}
	if _, err := os.Stat(path); err == nil {
		t.Fatal("a refused passphrase left a file behind")
	}
	if err := masterkey.CreatePassphraseFile(path, testPassphrase, cheapArgon2); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	if _, err := masterkey.OpenPassphrase(path, testPassphrase+"!"); !errors.Is(err, masterkey.ErrWrongPassphrase) {
		t.Fatalf("wrong passphrase: err = %v", err)
	}
	if _, err := masterkey.OpenPassphrase(path, ""); err == nil || !strings.Contains(err.Error(), "CUSTOS_MASTER_PASSPHRASE") {
		t.Fatalf("empty passphrase: %v", err)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Fatal("a wrong passphrase changed the file")
	}
	trunc := filepath.Join(dir, "trunc")
	_ = os.WriteFile(trunc, before[:len(before)/2], 0o600) //nolint:gosec // test files in t.TempDir; insecure modes are what is tested
	if _, err := masterkey.OpenPassphrase(trunc, testPassphrase); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("truncated: %v", err)
	}
	if err := os.Chmod(path, 0o644); err != nil { //nolint:gosec // test files in t.TempDir; insecure modes are what is tested
		t.Fatal(err)
	}
	if _, err := masterkey.OpenPassphrase(path, testPassphrase); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable: %v", err)
	}
	if _, err := masterkey.OpenPassphrase(filepath.Join(dir, "missing"), testPassphrase); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("missing: %v", err)
	}
}

func FuzzParsePassphraseFile(f *testing.F) {
	path := filepath.Join(f.TempDir(), "p")
	if err := masterkey.CreatePassphraseFile(path, testPassphrase, cheapArgon2); err != nil {
		f.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	f.Add(b)
	f.Add([]byte(`{"format":"custos-passphrase-key/v1","kdf":"argon2id"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = masterkey.ParsePassphraseFileForFuzz(b)
	})
}
