package shred

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
)

func TestPunctureKeepsOtherLeaves(t *testing.T) {
	tr, err := New()
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	leaves := make([]uint64, 200)
	keys := map[uint64][SeedSize]byte{}
	for i := range leaves {
		leaves[i] = r.Uint64()
		k, err := tr.Key(leaves[i])
		if err != nil {
			t.Fatal(err)
		}
		keys[leaves[i]] = k
	}
	// Neighbours of a punctured leaf (sharing 63 bits) must survive too.
	victim := leaves[0]
	neighbour := victim ^ 1
	nk, _ := tr.Key(neighbour)
	tr.Puncture(victim)
	tr.Puncture(leaves[1])
	tr.Puncture(leaves[1]) // idempotent
	if tr.Punctures() != 2 {
		t.Fatalf("punctures = %d, want 2", tr.Punctures())
	}
	for _, l := range leaves[:2] {
		if _, err := tr.Key(l); !errors.Is(err, ErrPunctured) {
			t.Fatalf("punctured leaf %x still derives (err %v)", l, err)
		}
		if !tr.Punctured(l) {
			t.Fatalf("Punctured(%x) = false", l)
		}
	}
	for _, l := range leaves[2:] {
		k, err := tr.Key(l)
		if err != nil || k != keys[l] {
			t.Fatalf("leaf %x changed after punctures: %v", l, err)
		}
	}
	if k, err := tr.Key(neighbour); err != nil || k != nk {
		t.Fatalf("sibling leaf lost: %v", err)
	}
	if tr.Seeds() > 2*Depth {
		t.Fatalf("tree holds %d seeds after 2 punctures, want at most %d", tr.Seeds(), 2*Depth)
	}

	// The encoding round-trips and derives the same keys.
	b, err := tr.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range leaves[2:] {
		if k, err := back.Key(l); err != nil || k != keys[l] {
			t.Fatalf("decoded tree derives another key for %x", l)
		}
	}
	if _, err := back.Key(victim); !errors.Is(err, ErrPunctured) {
		t.Fatal("decoded tree derives a punctured leaf")
	}
	b2, _ := back.MarshalBinary()
	if !bytes.Equal(b, b2) {
		t.Fatal("encoding is not deterministic")
	}
}

func TestPunctureEdgeLeaves(t *testing.T) {
	tr, _ := New()
	k1, _ := tr.Key(1)
	tr.Puncture(0)
	tr.Puncture(^uint64(0))
	if k, err := tr.Key(1); err != nil || k != k1 {
		t.Fatal("leaf 1 lost after puncturing leaf 0")
	}
	if _, err := tr.Key(0); !errors.Is(err, ErrPunctured) {
		t.Fatal("leaf 0 still derives")
	}
	if _, err := tr.Key(^uint64(0)); !errors.Is(err, ErrPunctured) {
		t.Fatal("last leaf still derives")
	}
}

func TestUnmarshalRefusesMalformed(t *testing.T) {
	tr, _ := New()
	tr.Puncture(42)
	good, _ := tr.MarshalBinary()
	cases := map[string][]byte{
		"empty":     nil,
		"bad magic": append([]byte("not-a-tree......"), good[16:]...),
		"truncated": good[:len(good)-1],
		"trailing":  append(append([]byte(nil), good...), 0),
	}
	dup := append([]byte(nil), good...)
	// Make the second seed's node equal to the first's.
	copy(dup[len(magic)+12+entrySize:len(magic)+12+entrySize+9], dup[len(magic)+12:len(magic)+12+9])
	cases["duplicate"] = dup
	deep := append([]byte(nil), good...)
	deep[len(magic)+12] = Depth + 1
	cases["too deep"] = deep
	for name, b := range cases {
		if _, err := Unmarshal(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// A node inside another node's subtree is refused.
	nested := &Tree{seeds: map[node][SeedSize]byte{{0, 0}: {1}, {3, 5}: {2}}}
	b, _ := nested.MarshalBinary()
	if _, err := Unmarshal(b); err == nil {
		t.Error("nested seeds accepted")
	}
}

func FuzzUnmarshal(f *testing.F) {
	tr, _ := New()
	b, _ := tr.MarshalBinary()
	f.Add(b)
	tr.Puncture(7)
	b, _ = tr.MarshalBinary()
	f.Add(b)
	f.Add([]byte(magic))
	f.Fuzz(func(t *testing.T, b []byte) {
		tr, err := Unmarshal(b)
		if err != nil {
			return
		}
		// Whatever decodes re-encodes to something that decodes the same.
		b2, err := tr.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		tr2, err := Unmarshal(b2)
		if err != nil {
			t.Fatalf("re-encoded tree does not decode: %v", err)
		}
		if tr2.Seeds() != tr.Seeds() || tr2.Punctures() != tr.Punctures() {
			t.Fatal("round trip changed the tree")
		}
		_, _ = tr.Key(12345)
	})
}

func BenchmarkKey(b *testing.B) {
	tr, _ := New()
	for i := 0; b.Loop(); i++ {
		_, _ = tr.Key(uint64(i) * 0x9e3779b97f4a7c15)
	}
}
