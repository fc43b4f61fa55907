// Package shred holds the erasure tree: a puncturable key-derivation tree
// (Goldreich–Goldwasser–Micali) that gives every data key its own 256-bit
// wrapping key, derived from one root seed by the path of a 64-bit leaf
// number. Erasing a customer punctures their leaf: the seeds on the path
// to it are removed and the seeds of the siblings along the path are kept,
// so every other leaf still derives while that one never can again. A copy
// of the database made before the erasure holds the customer's data key
// wrapped under the punctured leaf and so cannot open it, while every other
// customer in the copy still opens.
//
// The tree is key material: it lives with the master key provider (in the
// key file, the passphrase file or the HSM), sealed under the master key,
// never in the database.
package shred

import (
	"crypto/aes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
)

// Depth is the number of levels between the root and a leaf.
const Depth = 64

// SeedSize is the size of every node seed and of a derived leaf key.
const SeedSize = 32

// ErrPunctured is returned for a leaf whose key has been destroyed.
var ErrPunctured = errors.New("shred: the leaf has been punctured (its key is destroyed)")

// node names a node by its depth and the top depth bits of the leaves
// under it.
type node struct {
	depth  uint8
	prefix uint64
}

// Tree is a punctured GGM tree: a set of seeds whose subtrees together
// cover every leaf not yet punctured. It is not safe for concurrent use;
// callers guard it.
type Tree struct {
	seeds     map[node][SeedSize]byte
	punctures uint64
	cache     *deriveCache
}

// New returns a tree with a fresh random root seed.
func New() (*Tree, error) {
	var root [SeedSize]byte
	if _, err := rand.Read(root[:]); err != nil {
		return nil, fmt.Errorf("shred: generate root seed: %w", err)
	}
	return &Tree{seeds: map[node][SeedSize]byte{{0, 0}: root}, cache: newCache()}, nil
}

func prefixOf(leaf uint64, depth uint8) uint64 {
	if depth == 0 {
		return 0
	}
	return leaf >> (Depth - uint(depth))
}

// ancestor returns the stored node covering leaf.
func (t *Tree) ancestor(leaf uint64) (node, [SeedSize]byte, bool) {
	for d := uint8(0); d <= Depth; d++ {
		n := node{d, prefixOf(leaf, d)}
		if s, ok := t.seeds[n]; ok {
			return n, s, true
		}
	}
	return node{}, [SeedSize]byte{}, false
}

// children expands a seed into its left and right child seeds with
// AES-256 keyed by the seed as a pseudo-random generator.
func children(seed [SeedSize]byte) (left, right [SeedSize]byte) {
	b, err := aes.NewCipher(seed[:])
	if err != nil {
		panic(err) // a 32-byte key is always valid
	}
	var in [16]byte
	for i, dst := range [][]byte{left[:16], left[16:], right[:16], right[16:]} {
		in[15] = byte(i)
		b.Encrypt(dst, in[:])
	}
	return left, right
}

func bit(leaf uint64, depth uint8) uint64 {
	return (leaf >> (Depth - 1 - uint(depth))) & 1
}

// Key derives the wrapping key of leaf, or ErrPunctured.
func (t *Tree) Key(leaf uint64) ([SeedSize]byte, error) {
	n, s, ok := t.ancestor(leaf)
	if !ok {
		return [SeedSize]byte{}, ErrPunctured
	}
	return t.cache.derive(n, s, leaf), nil
}

// Punctured reports whether leaf can no longer be derived.
func (t *Tree) Punctured(leaf uint64) bool {
	_, _, ok := t.ancestor(leaf)
	return !ok
}

// Puncture destroys the key of leaf: the seed covering it is replaced by
// the seeds of the siblings along the path down to it. Puncturing a leaf
// twice is a no-op.
func (t *Tree) Puncture(leaf uint64) {
	n, s, ok := t.ancestor(leaf)
	if !ok {
		return
	}
	t.cache.reset()
	delete(t.seeds, n)
	for d := n.depth; d < Depth; d++ {
		l, r := children(s)
		child := prefixOf(leaf, d+1)
		if bit(leaf, d) == 0 {
			t.seeds[node{d + 1, child | 1}] = r
			s = l
		} else {
			t.seeds[node{d + 1, child &^ 1}] = l
			s = r
		}
	}
	clear(s[:])
	t.punctures++
}

// Punctures returns how many leaves have been punctured.
func (t *Tree) Punctures() uint64 { return t.punctures }

// Seeds returns how many seeds the tree stores (its size grows by at most
// Depth seeds per puncture).
func (t *Tree) Seeds() int { return len(t.seeds) }

// Clone returns an independent copy.
func (t *Tree) Clone() *Tree {
	c := &Tree{seeds: make(map[node][SeedSize]byte, len(t.seeds)), punctures: t.punctures, cache: newCache()}
	for n, s := range t.seeds {
		c.seeds[n] = s
	}
	return c
}

// Wipe overwrites the seeds in memory.
func (t *Tree) Wipe() {
	t.cache.reset()
	for n, s := range t.seeds {
		clear(s[:])
		delete(t.seeds, n)
	}
}

const (
	magic     = "custos-shred/v1\x00"
	entrySize = 1 + 8 + SeedSize
	// maxSeeds bounds what Unmarshal accepts (about 2.6 million
	// punctures' worth at full depth; far beyond any real key state).
	maxSeeds = 1 << 24
)

// MarshalBinary encodes the tree: a magic string, the puncture count, the
// seed count, then each seed with its depth and prefix, sorted.
func (t *Tree) MarshalBinary() ([]byte, error) {
	nodes := make([]node, 0, len(t.seeds))
	for n := range t.seeds {
		nodes = append(nodes, n)
	}
	sort.Slice(nodes, func(i, j int) bool {
		if nodes[i].depth != nodes[j].depth {
			return nodes[i].depth < nodes[j].depth
		}
		return nodes[i].prefix < nodes[j].prefix
	})
	out := make([]byte, 0, len(magic)+12+len(nodes)*entrySize)
	out = append(out, magic...)
	out = binary.BigEndian.AppendUint64(out, t.punctures)
	out = binary.BigEndian.AppendUint32(out, uint32(len(nodes))) //nolint:gosec // far below 2^32: at most 64 seeds per puncture
	for _, n := range nodes {
		s := t.seeds[n]
		out = append(out, n.depth)
		out = binary.BigEndian.AppendUint64(out, n.prefix)
		out = append(out, s[:]...)
	}
	return out, nil
}

// Unmarshal decodes a tree encoded by MarshalBinary, refusing anything
// malformed: a bad header or length, a depth over Depth, a prefix too wide
// for its depth, a duplicate node, or one node inside another's subtree.
func Unmarshal(b []byte) (*Tree, error) {
	if len(b) < len(magic)+12 || string(b[:len(magic)]) != magic {
		return nil, errors.New("shred: not an erasure tree (bad header)")
	}
	b = b[len(magic):]
	punctures := binary.BigEndian.Uint64(b)
	count := binary.BigEndian.Uint32(b[8:])
	b = b[12:]
	if count > maxSeeds || uint64(len(b)) != uint64(count)*entrySize {
		return nil, fmt.Errorf("shred: erasure tree is truncated or has trailing data (%d seeds, %d bytes)", count, len(b))
	}
	t := &Tree{seeds: make(map[node][SeedSize]byte, count), punctures: punctures, cache: newCache()}
	for i := uint32(0); i < count; i++ {
		e := b[int(i)*entrySize:]
		n := node{depth: e[0], prefix: binary.BigEndian.Uint64(e[1:])}
		if n.depth > Depth {
			return nil, fmt.Errorf("shred: seed %d has depth %d (max %d)", i, n.depth, Depth)
		}
		if n.depth < Depth && n.prefix>>n.depth != 0 {
			return nil, fmt.Errorf("shred: seed %d has a prefix wider than its depth", i)
		}
		if _, dup := t.seeds[n]; dup {
			return nil, fmt.Errorf("shred: seed %d appears twice", i)
		}
		var s [SeedSize]byte
		copy(s[:], e[9:9+SeedSize])
		t.seeds[n] = s
	}
	for n := range t.seeds {
		for d := uint8(0); d < n.depth; d++ {
			if _, ok := t.seeds[node{d, n.prefix >> (n.depth - d)}]; ok {
				return nil, errors.New("shred: erasure tree has a seed inside another seed's subtree")
			}
		}
	}
	return t, nil
}
