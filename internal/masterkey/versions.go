package masterkey

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
)

// versionTable is what a provider holds of its master key versions: the
// key of each version (a ready cipher, or a handle in the token) and the
// erasure state, reloaded from the source on a miss, so that a version
// another process created is found.
type versionTable[K any] struct {
	mu    sync.RWMutex
	keys  map[int]K
	state []byte
}

// set replaces the table with what the source holds now.
func (t *versionTable[K]) set(keys map[int]K, state []byte) {
	t.mu.Lock()
	t.keys, t.state = keys, state
	t.mu.Unlock()
}

// get returns the key of version v, reloading once on a miss.
func (t *versionTable[K]) get(v int, reload func() error) (K, error) {
	t.mu.RLock()
	k, ok := t.keys[v]
	t.mu.RUnlock()
	if ok {
		return k, nil
	}
	if err := reload(); err != nil {
		return k, err
	}
	t.mu.RLock()
	k, ok = t.keys[v]
	t.mu.RUnlock()
	if !ok {
		return k, fmt.Errorf("%w: version %d", ErrUnknownVersion, v)
	}
	return k, nil
}

// versions returns the versions held, oldest first, after a reload.
func (t *versionTable[K]) versions(reload func() error) ([]int, error) {
	if err := reload(); err != nil {
		return nil, err
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	vs := make([]int, 0, len(t.keys))
	for v := range t.keys {
		vs = append(vs, v)
	}
	sort.Ints(vs)
	return vs, nil
}

// erasureState returns a copy of the erasure state, after a reload.
func (t *versionTable[K]) erasureState(reload func() error) ([]byte, error) {
	if err := reload(); err != nil {
		return nil, err
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	return append([]byte(nil), t.state...), nil
}

// addVersion checks that items hold no entry of version v before one is
// added.
func addVersion[T any](items []T, v int, version func(T) int) error {
	for _, it := range items {
		if version(it) == v {
			return fmt.Errorf("%w: version %d", ErrVersionExists, v)
		}
	}
	return nil
}

// dropVersion removes the entry of version v from items; the last
// version is never removed.
func dropVersion[T any](items []T, v int, version func(T) int) ([]T, error) {
	out := items[:0:0]
	for _, it := range items {
		if version(it) != v {
			out = append(out, it)
		}
	}
	if len(out) == len(items) {
		return nil, fmt.Errorf("%w: version %d", ErrUnknownVersion, v)
	}
	if len(out) == 0 {
		return nil, errors.New("refusing to destroy the last master key version")
	}
	return out, nil
}

// rewriteJSON edits the JSON file at path under an exclusive lock beside
// it (so a rotation and an erasure in two processes never lose each
// other's change) and replaces it atomically: a crash leaves the old or
// the new file.
func rewriteJSON[T any](path, what string, read func(string) (*T, error), edit func(*T) error) error {
	unlock, err := lockFile(path + ".lock")
	if err != nil {
		return err
	}
	defer unlock()
	f, err := read(path)
	if err != nil {
		return err
	}
	if err := edit(f); err != nil {
		return err
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(path, append(b, '\n')); err != nil {
		return fmt.Errorf("rewrite %s: %w", what, err)
	}
	return nil
}
