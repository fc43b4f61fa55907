package vault_test

import (
	"context"
	"testing"

	"github.com/custoscrm/custos/internal/vault"
)

// A cached data key opens what it sealed; a key that fell out of the
// bounded cache is unwrapped again from its wrapped form and opens it
// too; a forgotten key is no longer cached.
func TestDataKeyCache(t *testing.T) {
	ctx := context.Background()
	const size = 64
	v := newVault(t, size)
	type made struct {
		wk     vault.WrappedKey
		sealed []byte
	}
	var keys []made
	for range 4 * size {
		k, wk, err := v.NewKey(ctx)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, made{wk, k.Seal(place, "+8613800138000")})
	}
	if n := v.CacheLen(); n > size+16 || n < size/2 {
		t.Fatalf("cache holds %d keys, bound %d", n, size)
	}
	last := keys[len(keys)-1]
	k, ok := v.Cached(last.wk.ID)
	if !ok {
		t.Fatal("the newest key is not cached")
	}
	if s, err := k.Open(place, last.sealed); err != nil || s != "+8613800138000" {
		t.Fatalf("cached key opens %q, %v", s, err)
	}
	evicted := 0
	for _, m := range keys {
		if _, ok := v.Cached(m.wk.ID); !ok {
			evicted++
		}
		k, err := v.Key(ctx, m.wk)
		if err != nil {
			t.Fatal(err)
		}
		if s, err := k.Open(place, m.sealed); err != nil || s != "+8613800138000" {
			t.Fatalf("key %s opens %q, %v", m.wk.ID, s, err)
		}
	}
	if evicted < len(keys)-size-16 {
		t.Fatalf("only %d of %d keys were evicted from a cache of %d", evicted, len(keys), size)
	}
	if !v.IsCached(last.wk.ID) {
		t.Fatal("IsCached misses a cached key")
	}
	v.Forget(last.wk.ID)
	if _, ok := v.Cached(last.wk.ID); ok || v.IsCached(last.wk.ID) {
		t.Fatal("a forgotten key is still cached")
	}
	// Another key does not open the value.
	other, _, err := v.NewKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Open(place, last.sealed); err == nil {
		t.Fatal("another data key opened the value")
	}
}
