package vault_test

import (
	"context"
	"crypto/rand"
	"path/filepath"
	"testing"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/masterkey"
	"github.com/custoscrm/custos/internal/vault"
)

// newVault returns a vault over a real file-provider keyring with an
// erasure tree, caching up to cacheSize data keys.
func newVault(b testing.TB, cacheSize int) *vault.Vault {
	b.Helper()
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "master.key")
	if err := masterkey.CreateKeyFile(path); err != nil {
		b.Fatal(err)
	}
	p, err := masterkey.OpenFile(path)
	if err != nil {
		b.Fatal(err)
	}
	kr, err := masterkey.New(ctx, p)
	if err != nil {
		b.Fatal(err)
	}
	if err := kr.CreateErasureTree(ctx); err != nil {
		b.Fatal(err)
	}
	v, err := vault.New(kr, cacheSize)
	if err != nil {
		b.Fatal(err)
	}
	return v
}

var place = vault.Place{Table: "customers", Record: domain.NewID(domain.KindCustomer), Field: "phone"}

// Sealing one phone number: AES-256-GCM with a random nonce and the
// place's associated data.
func BenchmarkSealField(b *testing.B) {
	k, _, err := newVault(b, 16).NewKey(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if k.Seal(place, "+8613800138000") == nil {
			b.Fatal("nothing sealed")
		}
	}
}

// Opening one sealed phone number.
func BenchmarkOpenField(b *testing.B) {
	k, _, err := newVault(b, 16).NewKey(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	sealed := k.Seal(place, "+8613800138000")
	b.ReportAllocs()
	for b.Loop() {
		if s, err := k.Open(place, sealed); err != nil || s != "+8613800138000" {
			b.Fatalf("open: %q, %v", s, err)
		}
	}
}

// Computing the blind index of a phone number (HMAC-SHA256, truncated).
func BenchmarkBlindIndexPhone(b *testing.B) {
	idx := vault.NewBlindIndex()
	root := make([]byte, 32)
	_, _ = rand.Read(root)
	if err := idx.AddVersion(1, root); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if h, err := idx.Compute(1, vault.IndexPhone, "+8613800138000"); err != nil || len(h) != vault.IndexPhone.Length {
			b.Fatalf("compute: %x, %v", h, err)
		}
	}
}

// A data key already in the cache.
func BenchmarkDataKeyCacheHit(b *testing.B) {
	v := newVault(b, 16)
	_, wk, err := v.NewKey(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Key(ctx, wk); err != nil {
			b.Fatal(err)
		}
	}
}

// A data key not in the cache: unwrap under the master key, derive the
// erasure-tree leaf key and open the inner layer. Keys are read in random
// order, as reads of random customers would.
func BenchmarkDataKeyCacheMiss(b *testing.B) {
	ctx := context.Background()
	v := newVault(b, 1)
	keys := make([]vault.WrappedKey, 4096)
	for i := range keys {
		_, wk, err := v.NewKey(ctx)
		if err != nil {
			b.Fatal(err)
		}
		keys[i] = wk
	}
	order := make([]byte, len(keys))
	_, _ = rand.Read(order)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		wk := keys[(i*131+int(order[i%len(order)]))%len(keys)]
		i++
		v.Forget(wk.ID)
		if _, err := v.Key(ctx, wk); err != nil {
			b.Fatal(err)
		}
	}
}

// Creating a data key: 32 random bytes, a fresh erasure-tree leaf and
// both wrapping layers.
func BenchmarkNewDataKey(b *testing.B) {
	v := newVault(b, 1024)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := v.NewKey(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
