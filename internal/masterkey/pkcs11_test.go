package masterkey_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/custoscrm/custos/internal/masterkey"
	"github.com/custoscrm/custos/internal/masterkey/providertest"
	"github.com/custoscrm/custos/internal/testkit"
)

func TestPKCS11ProviderConformance(t *testing.T) {
	hsm := testkit.SoftHSM(t)
	label := uniqueLabel()
	first, err := masterkey.OpenPKCS11(masterkey.PKCS11Config{Module: hsm.Module, TokenLabel: hsm.Token, PIN: hsm.PIN, KeyLabel: label})
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Create(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cleanupToken(t, first) })
	providertest.Run(t, func(t *testing.T) masterkey.Provider {
		p, err := masterkey.OpenPKCS11(masterkey.PKCS11Config{Module: hsm.Module, TokenLabel: hsm.Token, PIN: hsm.PIN, KeyLabel: label})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = p.Close() })
		return p
	})
}

// cleanupToken removes a test's objects from the shared token.
func cleanupToken(t *testing.T, p *masterkey.PKCS11Provider) {
	ctx := context.Background()
	vs, _ := p.Versions(ctx)
	if len(vs) > 0 {
		_ = p.Create(ctx, vs[len(vs)-1]+1000)
		for _, v := range vs {
			_ = p.Destroy(ctx, v)
		}
	}
	_ = p.StoreState(ctx, nil)
	_ = p.Close()
}

func uniqueLabel() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "custos-test-" + hex.EncodeToString(b[:])
}

func TestPKCS11ProviderBadInput(t *testing.T) {
	hsm := testkit.SoftHSM(t)
	notLib := filepath.Join(t.TempDir(), "libnot.so")
	_ = os.WriteFile(notLib, []byte("not a library"), 0o600)
	for _, c := range []struct {
		name string
		cfg  masterkey.PKCS11Config
		want string
	}{
		{"no module", masterkey.PKCS11Config{TokenLabel: hsm.Token, PIN: hsm.PIN}, "no module"},
		{"missing module", masterkey.PKCS11Config{Module: "/nonexistent/libpkcs11.so", TokenLabel: hsm.Token, PIN: hsm.PIN}, "not a readable file"},
		{"not a library", masterkey.PKCS11Config{Module: notLib, TokenLabel: hsm.Token, PIN: hsm.PIN}, "cannot load module"},
		{"missing token", masterkey.PKCS11Config{Module: hsm.Module, TokenLabel: "no-such-token", PIN: hsm.PIN}, "no token labelled"},
		{"wrong PIN", masterkey.PKCS11Config{Module: hsm.Module, TokenLabel: hsm.Token, PIN: "0000-wrong"}, "wrong PIN"},
		{"no PIN", masterkey.PKCS11Config{Module: hsm.Module, TokenLabel: hsm.Token}, "no PIN"},
		{"bad label", masterkey.PKCS11Config{Module: hsm.Module, TokenLabel: hsm.Token, PIN: hsm.PIN, KeyLabel: "a/b"}, "key label"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := masterkey.OpenPKCS11(c.cfg)
			if err == nil {
				_ = p.Close()
				t.Fatal("opened")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to mention %q", err, c.want)
			}
			if c.cfg.PIN != "" && strings.Contains(err.Error(), c.cfg.PIN) {
				t.Fatalf("error echoes the PIN: %v", err)
			}
		})
	}
	// A wrong PIN is refused even while another provider in this process
	// has the token logged in.
	good, err := masterkey.OpenPKCS11(masterkey.PKCS11Config{Module: hsm.Module, TokenLabel: hsm.Token, PIN: hsm.PIN, KeyLabel: uniqueLabel()})
	if err != nil {
		t.Fatal(err)
	}
	defer good.Close()
	if p, err := masterkey.OpenPKCS11(masterkey.PKCS11Config{Module: hsm.Module, TokenLabel: hsm.Token, PIN: "0000-wrong"}); err == nil || !strings.Contains(err.Error(), "wrong PIN") {
		if p != nil {
			_ = p.Close()
		}
		t.Fatalf("wrong PIN beside a logged-in provider: %v", err)
	}
	// A token with no Custos key opens but holds no version; the keyring
	// says so.
	p, err := masterkey.OpenPKCS11(masterkey.PKCS11Config{Module: hsm.Module, TokenLabel: hsm.Token, PIN: hsm.PIN, KeyLabel: uniqueLabel()})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := masterkey.New(context.Background(), p); err == nil || !strings.Contains(err.Error(), "holds no key") {
		t.Fatalf("empty token: %v", err)
	}
}

// BenchmarkRewrapOne measures one rotation step (unwrap under one
// version, wrap under another) with the key file and with SoftHSM.
func BenchmarkRewrapOne(b *testing.B) {
	ctx := context.Background()
	inner := make([]byte, 61)
	aad := []byte("custos/dek/v1\x00dek_bench")
	run := func(b *testing.B, p masterkey.Provider) {
		if err := p.Create(ctx, 2); err != nil {
			b.Fatal(err)
		}
		w, err := p.Wrap(ctx, 1, inner, aad)
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			pt, err := p.Unwrap(ctx, 1, w, aad)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := p.Wrap(ctx, 2, pt, aad); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("file", func(b *testing.B) {
		path := filepath.Join(b.TempDir(), "k")
		if err := masterkey.CreateKeyFile(path); err != nil {
			b.Fatal(err)
		}
		p, err := masterkey.OpenFile(path)
		if err != nil {
			b.Fatal(err)
		}
		run(b, p)
	})
	b.Run("pkcs11", func(b *testing.B) {
		hsm := testkit.SoftHSM(b)
		p, err := masterkey.OpenPKCS11(masterkey.PKCS11Config{Module: hsm.Module, TokenLabel: hsm.Token, PIN: hsm.PIN, KeyLabel: uniqueLabel()})
		if err != nil {
			b.Fatal(err)
		}
		defer p.Close()
		if err := p.Create(ctx, 1); err != nil {
			b.Fatal(err)
		}
		run(b, p)
	})
}
