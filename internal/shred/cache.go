package shred

import (
	"math/bits"
	"sync"
)

// BlockDepth is the depth whose node seeds the tree caches: the nodes
// under which data keys are allocated in blocks of 2^(Depth-BlockDepth)
// consecutive leaves (see vault's leaf allocation).
const BlockDepth = 40

const maxCachedBlocks = 4096

// deriveCache remembers seeds derived on the way to leaves, so deriving
// the next consecutive leaf costs a level or two instead of 64 and a
// leaf in a recently used block costs 24. It holds key material like the
// tree itself; it is emptied whenever the tree changes.
type deriveCache struct {
	mu sync.Mutex
	// The seeds on the path to the last leaf derived, valid from depth
	// from down, all under ancestor anc.
	has  bool
	anc  node
	last uint64
	from uint8
	path [Depth + 1][SeedSize]byte
	// Seeds at BlockDepth by prefix.
	blocks map[uint64][SeedSize]byte
}

func newCache() *deriveCache {
	return &deriveCache{blocks: map[uint64][SeedSize]byte{}}
}

// derive returns the key of leaf under ancestor n with seed s.
func (c *deriveCache) derive(n node, s [SeedSize]byte, leaf uint64) [SeedSize]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	start, seed, from := n.depth, s, n.depth
	if c.has && c.anc == n {
		cp := uint8(bits.LeadingZeros64(c.last ^ leaf)) //nolint:gosec // at most 64
		if cp >= c.from && cp > start {
			start, seed, from = cp, c.path[cp], c.from
		}
	}
	block := leaf >> (Depth - BlockDepth)
	if start < BlockDepth {
		if bs, ok := c.blocks[block]; ok {
			start, seed, from = BlockDepth, bs, BlockDepth
		}
	}
	c.path[start] = seed
	for d := start; d < Depth; d++ {
		l, r := children(seed)
		if bit(leaf, d) == 0 {
			seed = l
		} else {
			seed = r
		}
		c.path[d+1] = seed
		if d+1 == BlockDepth {
			if len(c.blocks) >= maxCachedBlocks {
				c.wipeBlocks()
			}
			c.blocks[block] = seed
		}
	}
	c.has, c.anc, c.last, c.from = true, n, leaf, from
	return seed
}

func (c *deriveCache) wipeBlocks() {
	for k, s := range c.blocks {
		clear(s[:])
		delete(c.blocks, k)
	}
}

// reset forgets everything (the tree changed).
func (c *deriveCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.has = false
	clear(c.path[:])
	c.wipeBlocks()
}
