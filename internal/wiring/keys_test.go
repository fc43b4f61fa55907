package wiring_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/custoscrm/custos/internal/config"
	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/masterkey"
	"github.com/custoscrm/custos/internal/testkit"
	"github.com/custoscrm/custos/internal/wiring"
)

// snapshot is what must not change when Custos refuses to open.
type snapshot struct {
	schema int
	mks    []domain.MasterKeyInfo
}

func take(t *testing.T, a *testkit.TestApp) snapshot {
	t.Helper()
	v, err := a.Store.SchemaVersion(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	mks, err := a.Store.MasterKeys.MasterKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return snapshot{schema: v, mks: mks}
}

func openWith(t *testing.T, base *testkit.TestApp, edit func(*config.Config)) error {
	t.Helper()
	cfg := base.Config
	edit(&cfg)
	a, err := wiring.Open(context.Background(), cfg, testkit.Logger(t), wiring.Options{Argon2: &testkit.FastArgon2})
	if err == nil {
		_ = a.Close()
	}
	return err
}

// TestOpenRefusesBadMasterKeys tries every kind of bad master key input;
// each is refused with a clear message and leaves the database as it was.
func TestOpenRefusesBadMasterKeys(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		if _, err := a.Records.CreateCustomer(a.System(), testCustomer()); err != nil {
			t.Fatal(err)
		}
		before := take(t, a)
		keyFile := a.Config.MasterKeyFile
		good, _ := os.ReadFile(keyFile)
		dir := t.TempDir()
		write := func(name string, b []byte, mode os.FileMode) string {
			p := filepath.Join(dir, name)
			_ = os.WriteFile(p, b, mode) //nolint:gosec // test files in t.TempDir; insecure modes are what is tested
			_ = os.Chmod(p, mode)        //nolint:gosec // test files in t.TempDir; insecure modes are what is tested
			return p
		}
		other := filepath.Join(dir, "other.key")
		if err := masterkey.CreateKeyFile(other); err != nil {
			t.Fatal(err)
		}
		// A key file with the right key but no erasure tree.
		var kf map[string]any
		_ = json.Unmarshal(good, &kf)
		delete(kf, "erasure_state")
		noTree, _ := json.Marshal(kf)

		for _, c := range []struct {
			name string
			edit func(*config.Config)
			want string
		}{
			{"missing key file", func(c *config.Config) { c.MasterKeyFile = filepath.Join(dir, "nope.key") }, "does not exist"},
			{"truncated key file", func(c *config.Config) { c.MasterKeyFile = write("trunc.key", good[:len(good)/3], 0o600) }, "truncated"},
			{"readable by others", func(c *config.Config) { c.MasterKeyFile = write("open.key", good, 0o644) }, "chmod 600"},
			{"another installation's key", func(c *config.Config) { c.MasterKeyFile = other }, "right master key for this database"},
			{"key file without erasure tree", func(c *config.Config) { c.MasterKeyFile = write("notree.key", noTree, 0o600) }, "holds no erasure tree"},
			{"passphrase provider, no file", func(c *config.Config) {
				c.MasterKeyProvider, c.PassphraseKeyFile, c.MasterPassphrase = config.ProviderPassphrase, filepath.Join(dir, "nope.pass"), "some long passphrase here"
			}, "does not exist"},
			{"pkcs11, bad module", func(c *config.Config) {
				c.MasterKeyProvider, c.PKCS11Module, c.PKCS11Token, c.PKCS11PIN = config.ProviderPKCS11, "/nonexistent/lib.so", "t", "1234"
			}, "not a readable file"},
		} {
			t.Run(c.name, func(t *testing.T) {
				err := openWith(t, a, c.edit)
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("err = %v, want it to mention %q", err, c.want)
				}
				if after := take(t, a); after.schema != before.schema || len(after.mks) != len(before.mks) || after.mks[0].DataKeys != before.mks[0].DataKeys {
					t.Fatalf("the database changed: %+v → %+v", before, after)
				}
				if b, _ := os.ReadFile(keyFile); string(b) != string(good) {
					t.Fatal("the key file changed")
				}
			})
		}
	})
}

// TestPassphraseProviderEndToEnd initializes with a passphrase, reopens
// with it, and refuses a wrong one without touching the database.
func TestPassphraseProviderEndToEnd(t *testing.T) {
	pass := "a long enough passphrase for the test"
	a := testkit.NewApp(t, testkit.SQLite, testkit.AppOptions{Config: func(c *config.Config) {
		c.MasterKeyProvider, c.MasterPassphrase = config.ProviderPassphrase, pass
	}})
	c, err := a.Records.CreateCustomer(a.System(), testCustomer())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(a.Dir, "master.key")); err == nil {
		t.Fatal("a passphrase installation wrote a key file")
	}
	before := take(t, a)
	for _, wrong := range []string{pass + "x", ""} {
		err := openWith(t, a, func(c *config.Config) { c.MasterPassphrase = wrong })
		if err == nil || !(strings.Contains(err.Error(), "wrong master key passphrase") || strings.Contains(err.Error(), "no master key passphrase")) {
			t.Fatalf("passphrase %q: %v", wrong, err)
		}
	}
	if after := take(t, a); after.schema != before.schema || len(after.mks) != 1 {
		t.Fatal("the database changed")
	}
	b := testkit.Reopen(t, a)
	got, err := b.Store.Customers.GetCustomer(context.Background(), c.ID, nil)
	if err != nil || got.Phone != c.Phone {
		t.Fatalf("reopened with the passphrase: %v", err)
	}
}

// TestPKCS11ProviderEndToEnd initializes Custos on SoftHSM, reopens it,
// and refuses a wrong PIN or a missing token.
func TestPKCS11ProviderEndToEnd(t *testing.T) {
	hsm := testkit.SoftHSM(t)
	label := testkit.UniqueLabel()
	a := testkit.NewApp(t, testkit.SQLite, testkit.AppOptions{Config: func(c *config.Config) {
		c.MasterKeyProvider, c.PKCS11Module, c.PKCS11Token, c.PKCS11PIN, c.PKCS11KeyLabel = config.ProviderPKCS11, hsm.Module, hsm.Token, hsm.PIN, label
	}})
	c, err := a.Records.CreateCustomer(a.System(), testCustomer())
	if err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string]func(*config.Config){
		"wrong PIN":     func(c *config.Config) { c.PKCS11PIN = "9999-wrong" },
		"missing token": func(c *config.Config) { c.PKCS11Token = "no-such-token" },
		"other label":   func(c *config.Config) { c.PKCS11KeyLabel = testkit.UniqueLabel() },
	} {
		if err := openWith(t, a, edit); err == nil {
			t.Fatalf("%s: opened", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
	b := testkit.Reopen(t, a)
	got, err := b.Store.Customers.GetCustomer(context.Background(), c.ID, nil)
	if err != nil || got.Phone != c.Phone {
		t.Fatalf("reopened on the token: %v", err)
	}
}
