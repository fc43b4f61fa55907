package shred

import (
	"math/rand/v2"
	"testing"
)

// keyUncached derives a leaf's key from its ancestor without the cache.
func keyUncached(t *Tree, leaf uint64) ([SeedSize]byte, bool) {
	n, s, ok := t.ancestor(leaf)
	if !ok {
		return s, false
	}
	for d := n.depth; d < Depth; d++ {
		l, r := children(s)
		if bit(leaf, d) == 0 {
			s = l
		} else {
			s = r
		}
	}
	return s, true
}

// TestCachedDerivationMatches derives consecutive, clustered and random
// leaves through the cache, puncturing along the way, and checks every key
// against a derivation from scratch.
func TestCachedDerivationMatches(t *testing.T) {
	tr, err := New()
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	block := r.Uint64() &^ (1<<(Depth-BlockDepth) - 1)
	check := func(leaf uint64) {
		t.Helper()
		got, err := tr.Key(leaf)
		want, ok := keyUncached(tr, leaf)
		if ok != (err == nil) || got != want {
			t.Fatalf("leaf %x: cached key differs (ok %v, err %v)", leaf, ok, err)
		}
	}
	for i := uint64(0); i < 3000; i++ {
		switch {
		case i%7 == 0:
			check(r.Uint64()) // random
		case i%11 == 0:
			check(block + r.Uint64N(1<<20)) // same block, anywhere
		default:
			check(block + i) // consecutive
		}
		if i%500 == 250 {
			tr.Puncture(block + i - 3)
			if _, err := tr.Key(block + i - 3); err == nil {
				t.Fatal("a punctured leaf still derives")
			}
		}
	}
}

func BenchmarkKeyConsecutive(b *testing.B) {
	tr, _ := New()
	base := uint64(0x1234567) << (Depth - BlockDepth)
	for i := 0; i < b.N; i++ {
		if _, err := tr.Key(base + uint64(i)); err != nil {
			b.Fatal(err)
		}
	}
}
