package domain

import (
	"maps"
	"strings"
)

// ValidFunction reports whether f names a function.
func ValidFunction(f Function) bool {
	for _, k := range AllFunctions {
		if k == f {
			return true
		}
	}
	return false
}

// ValidScope reports whether s names a record scope.
func ValidScope(s Scope) bool {
	switch s {
	case ScopeOwn, ScopeTeam, ScopeTerritory, ScopeAll:
		return true
	}
	return false
}

// ValidRoleName reports whether name is an acceptable role name: 2 to 32
// characters of lower-case letters, digits and underscores, starting with
// a letter.
func ValidRoleName(name string) bool {
	if len(name) < 2 || len(name) > 32 || name[0] < 'a' || name[0] > 'z' {
		return false
	}
	return strings.IndexFunc(name, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_')
	}) < 0
}

// Clone returns a deep copy of r.
func (r *Role) Clone() *Role {
	if r == nil {
		return nil
	}
	c := *r
	c.Functions = make(map[Function]bool, len(r.Functions))
	for k, v := range r.Functions {
		c.Functions[k] = v
	}
	c.Fields = maps.Clone(r.Fields)
	c.MaskedLookup = maps.Clone(r.MaskedLookup)
	if c.Fields == nil {
		c.Fields = map[FieldClass]Access{}
	}
	return &c
}
