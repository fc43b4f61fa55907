// Package providertest is the conformance suite every master key provider
// passes: the key file, the passphrase and PKCS#11 alike. It is imported
// only by tests.
package providertest

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/custoscrm/custos/internal/masterkey"
)

// Opener opens a provider over the same key store each time it is called
// (a second process, as far as the provider can tell). The store starts
// holding exactly version 1 and no state.
type Opener func(t *testing.T) masterkey.Provider

// Run runs the suite against the providers open returns.
func Run(t *testing.T, open Opener) {
	ctx := context.Background()
	p := open(t)
	other := open(t)

	t.Run("Versions", func(t *testing.T) {
		vs, err := p.Versions(ctx)
		if err != nil || !slices.Equal(vs, []int{1}) {
			t.Fatalf("versions = %v, %v; want [1]", vs, err)
		}
	})

	dek := bytes.Repeat([]byte{0x42}, 32)
	aad := []byte("custos/dek/v1\x00dek_test")
	t.Run("WrapUnwrap", func(t *testing.T) {
		w1, err := p.Wrap(ctx, 1, dek, aad)
		if err != nil {
			t.Fatal(err)
		}
		w2, err := p.Wrap(ctx, 1, dek, aad)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(w1, w2) {
			t.Fatal("two wraps of one key are identical: the nonce repeats")
		}
		if bytes.Contains(w1, dek) {
			t.Fatal("the wrapped form contains the key")
		}
		for _, w := range [][]byte{w1, w2} {
			got, err := other.Unwrap(ctx, 1, w, aad)
			if err != nil || !bytes.Equal(got, dek) {
				t.Fatalf("another instance unwraps %x, %v", got, err)
			}
		}
		bad := append([]byte(nil), w1...)
		bad[len(bad)-1] ^= 1
		for name, c := range map[string]struct {
			w, aad []byte
		}{
			"tampered":  {bad, aad},
			"other aad": {w1, []byte("custos/dek/v1\x00dek_other")},
			"truncated": {w1[:10], aad},
			"empty":     {nil, aad},
		} {
			if _, err := p.Unwrap(ctx, 1, c.w, c.aad); !errors.Is(err, masterkey.ErrUnwrap) {
				t.Errorf("%s: err = %v, want ErrUnwrap", name, err)
			}
		}
		if _, err := p.Wrap(ctx, 9, dek, aad); !errors.Is(err, masterkey.ErrUnknownVersion) {
			t.Errorf("wrap under a missing version: err = %v", err)
		}
		if _, err := p.Unwrap(ctx, 9, w1, aad); !errors.Is(err, masterkey.ErrUnknownVersion) {
			t.Errorf("unwrap under a missing version: err = %v", err)
		}
	})

	t.Run("State", func(t *testing.T) {
		st, err := p.LoadState(ctx)
		if err != nil || len(st) != 0 {
			t.Fatalf("fresh state = %x, %v; want none", st, err)
		}
		big := bytes.Repeat([]byte("state"), 20000)
		for _, want := range [][]byte{[]byte("first state"), big} {
			if err := p.StoreState(ctx, want); err != nil {
				t.Fatal(err)
			}
			got, err := other.LoadState(ctx)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("another instance loads %d bytes, %v; want %d", len(got), err, len(want))
			}
		}
	})

	t.Run("ErasureTree", func(t *testing.T) {
		if err := p.StoreState(ctx, nil); err != nil {
			t.Fatal(err)
		}
		k1, err := masterkey.New(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if err := k1.CreateErasureTree(ctx); err != nil {
			t.Fatal(err)
		}
		if err := k1.CreateErasureTree(ctx); err == nil {
			t.Fatal("a second erasure tree replaced the first")
		}
		k2, err := masterkey.New(ctx, other)
		if err != nil {
			t.Fatal(err)
		}
		if err := k2.LoadErasureTree(ctx); err != nil {
			t.Fatal(err)
		}
		a1, _ := k1.LeafKey(7)
		a2, err := k2.LeafKey(7)
		if err != nil || a1 != a2 {
			t.Fatal("two instances derive different leaf keys")
		}
		if err := k2.Puncture(ctx, 7); err != nil {
			t.Fatal(err)
		}
		if err := k1.ReloadErasureTree(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := k1.LeafKey(7); !errors.Is(err, masterkey.ErrErased) {
			t.Fatalf("punctured leaf after reload: %v", err)
		}
		if _, err := k1.LeafKey(8); err != nil {
			t.Fatalf("neighbour leaf lost: %v", err)
		}
	})

	t.Run("CreateAndDestroy", func(t *testing.T) {
		w1, err := p.Wrap(ctx, 1, dek, aad)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Create(ctx, 2); err != nil {
			t.Fatal(err)
		}
		if err := other.Create(ctx, 2); !errors.Is(err, masterkey.ErrVersionExists) {
			t.Fatalf("creating an existing version: err = %v", err)
		}
		// Another instance picks the new version up when it meets it.
		w2, err := p.Wrap(ctx, 2, dek, aad)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := other.Unwrap(ctx, 2, w2, aad); err != nil || !bytes.Equal(got, dek) {
			t.Fatalf("another instance does not unwrap version 2: %v", err)
		}
		if _, err := p.Unwrap(ctx, 1, w2, aad); !errors.Is(err, masterkey.ErrUnwrap) {
			t.Fatalf("version 1 opens what version 2 wrapped: %v", err)
		}
		vs, err := other.Versions(ctx)
		if err != nil || !slices.Equal(vs, []int{1, 2}) {
			t.Fatalf("versions = %v, %v", vs, err)
		}
		if err := p.Destroy(ctx, 1); err != nil {
			t.Fatal(err)
		}
		// Another instance forgets the version when it next refreshes.
		if _, err := other.Versions(ctx); err != nil {
			t.Fatal(err)
		}
		for _, q := range []masterkey.Provider{p, other} {
			if _, err := q.Unwrap(ctx, 1, w1, aad); !errors.Is(err, masterkey.ErrUnknownVersion) {
				t.Fatalf("unwrap under a destroyed version: err = %v, want ErrUnknownVersion", err)
			}
		}
		if err := p.Destroy(ctx, 2); err == nil {
			t.Fatal("destroyed the last version")
		}
		if err := p.Destroy(ctx, 1); !errors.Is(err, masterkey.ErrUnknownVersion) {
			t.Fatalf("destroying a destroyed version: err = %v", err)
		}
		if got, err := p.Unwrap(ctx, 2, w2, aad); err != nil || !bytes.Equal(got, dek) {
			t.Fatalf("version 2 lost: %v", err)
		}
	})
}
