package resolve

import "sort"

// TypeRule configures one identifier type, as in Segment's identity resolution.
type TypeRule struct {
	// Priority orders identifiers of a record: higher-priority ones decide first, and the
	// lower-priority identifier is the one dropped when limits would be broken.
	Priority int
	// Limit is the most values of this type a profile may hold (0 = no limit). Two
	// profiles whose union would exceed it are never merged.
	Limit int
	// Blocked values (normalised) are never used as identifiers.
	Blocked []string
}

// Rules are the type rules plus the default for unlisted types.
type Rules struct {
	Types   map[string]TypeRule
	Default TypeRule
}

// DefaultRules: one customer id per profile (two ids are two accounts), e-mail above
// phone (phones are shared by households), and common placeholder values blocked.
func DefaultRules() Rules {
	placeholders := []string{"0", "-", "n/a", "na", "none", "null", "unknown", "test", "0000000", "00000000", "000000000"}
	return Rules{
		Types: map[string]TypeRule{
			"customer_id": {Priority: 100, Limit: 1, Blocked: placeholders},
			"email": {Priority: 80, Limit: 0, Blocked: []string{
				"test@example.com", "test@test.com", "noreply@example.com", "no-reply@example.com", "none@none.com", "a@a.com",
			}},
			"phone": {Priority: 60, Limit: 0, Blocked: []string{"+10000000000", "+440000000000"}},
		},
		Default: TypeRule{Priority: 50, Blocked: placeholders},
	}
}

func (r Rules) rule(t string) TypeRule {
	if tr, ok := r.Types[t]; ok {
		return tr
	}
	return r.Default
}

// Blocked reports whether an identifier value is on its type's block list.
func (r Rules) Blocked(t, v string) bool {
	for _, b := range r.rule(t).Blocked {
		if b == v {
			return true
		}
	}
	return false
}

// sortByPriority orders identifier keys by their type's priority, then by key.
func (r Rules) sortByPriority(keys []string, typeOf func(string) string) {
	sort.SliceStable(keys, func(i, j int) bool {
		pi, pj := r.rule(typeOf(keys[i])).Priority, r.rule(typeOf(keys[j])).Priority
		if pi != pj {
			return pi > pj
		}
		return keys[i] < keys[j]
	})
}
