package vault

import (
	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/custoscrm/custos/internal/domain"
)

// keyShards spreads the cache over independently locked LRUs, so
// concurrent requests reading pages of records do not queue on one lock.
const keyShards = 16

// keyCache holds unwrapped data keys as their 32 raw bytes, least
// recently used out first. Raw bytes take about a sixth of the memory of
// a ready AES-GCM instance (key schedules and GHASH tables), so the same
// memory covers six times as many customers; building the cipher for a
// record costs well under a microsecond, unwrapping a key that fell out
// of the cache several (an erasure-tree leaf derivation).
type keyCache struct {
	shards [keyShards]*lru.Cache[domain.ID, [32]byte]
}

func newKeyCache(size int) (*keyCache, error) {
	per := max(1, (size+keyShards-1)/keyShards)
	c := &keyCache{}
	for i := range c.shards {
		s, err := lru.New[domain.ID, [32]byte](per)
		if err != nil {
			return nil, err
		}
		c.shards[i] = s
	}
	return c, nil
}

func (c *keyCache) shard(id domain.ID) *lru.Cache[domain.ID, [32]byte] {
	h := uint32(2166136261) // FNV-1a
	for i := 0; i < len(id); i++ {
		h ^= uint32(id[i])
		h *= 16777619
	}
	return c.shards[h%keyShards]
}

// get returns a copy of the cached raw key; callers clear it after use.
func (c *keyCache) get(id domain.ID) ([32]byte, bool) { return c.shard(id).Get(id) }

func (c *keyCache) contains(id domain.ID) bool { return c.shard(id).Contains(id) }

func (c *keyCache) add(id domain.ID, raw []byte) {
	var k [32]byte
	copy(k[:], raw)
	c.shard(id).Add(id, k)
}

func (c *keyCache) remove(id domain.ID) { c.shard(id).Remove(id) }

func (c *keyCache) len() int {
	n := 0
	for _, s := range c.shards {
		n += s.Len()
	}
	return n
}
