package vault

import (
	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/custoscrm/custos/internal/domain"
)

// keyShards spreads the cache over independently locked LRUs, so
// concurrent requests reading pages of records do not queue on one lock.
const keyShards = 16

// hotPerShard bounds the ready ciphers kept per shard (4,096 in all,
// about 5 MiB).
const hotPerShard = 256

// keyCache holds unwrapped data keys in two tiers, least recently used
// out first. The large tier keeps the 32 raw bytes of each key: a ready
// AES-GCM instance (key schedules, GHASH tables) takes about six times the
// memory, so raw bytes let the same memory cover six times as many
// customers, and building the cipher from them costs well under a
// microsecond where unwrapping a key that fell out of the cache costs
// several (an erasure-tree leaf derivation). The small tier keeps ready
// ciphers for the keys used most recently, so a hot record costs neither.
type keyCache struct {
	raw [keyShards]*lru.Cache[domain.ID, [32]byte]
	hot [keyShards]*lru.Cache[domain.ID, *Key]
}

func newKeyCache(size int) (*keyCache, error) {
	per := max(1, (size+keyShards-1)/keyShards)
	c := &keyCache{}
	for i := range c.raw {
		r, err := lru.New[domain.ID, [32]byte](per)
		if err != nil {
			return nil, err
		}
		h, err := lru.New[domain.ID, *Key](min(per, hotPerShard))
		if err != nil {
			return nil, err
		}
		c.raw[i], c.hot[i] = r, h
	}
	return c, nil
}

func shardOf(id domain.ID) uint32 {
	h := uint32(2166136261) // FNV-1a
	for i := 0; i < len(id); i++ {
		h ^= uint32(id[i])
		h *= 16777619
	}
	return h % keyShards
}

// get returns the ready key for id, building it from the raw tier when
// only that holds it.
func (c *keyCache) get(id domain.ID) (*Key, bool) {
	s := shardOf(id)
	if k, ok := c.hot[s].Get(id); ok {
		return k, true
	}
	raw, ok := c.raw[s].Get(id)
	if !ok {
		return nil, false
	}
	defer clear(raw[:])
	k, err := newKey(id, raw[:])
	if err != nil { // unreachable: 32 bytes always make an AES-256 key
		return nil, false
	}
	c.hot[s].Add(id, k)
	return k, true
}

func (c *keyCache) contains(id domain.ID) bool {
	s := shardOf(id)
	return c.hot[s].Contains(id) || c.raw[s].Contains(id)
}

// add caches k, whose raw bytes are raw.
func (c *keyCache) add(k *Key, raw []byte) {
	var b [32]byte
	copy(b[:], raw)
	s := shardOf(k.id)
	c.raw[s].Add(k.id, b)
	c.hot[s].Add(k.id, k)
}

func (c *keyCache) remove(id domain.ID) {
	s := shardOf(id)
	c.raw[s].Remove(id)
	c.hot[s].Remove(id)
}

// len is how many keys the raw tier holds.
func (c *keyCache) len() int {
	n := 0
	for _, s := range c.raw {
		n += s.Len()
	}
	return n
}
