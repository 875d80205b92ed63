// Package convert turns domain values into GraphQL model values (ToX) and GraphQL input
// into domain values (FromX, ToX for the domain's input types), for the resolvers. It
// calls no service: what needs one (segment rules with identifiers to normalise,
// customer references) stays in the resolvers.
package convert

import "time"

// Opt is s, or nil for the empty string (an absent optional field).
func Opt(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Val is *s, or the empty string when s is nil.
func Val(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// NonNil is s, or an empty list for nil (GraphQL shows [], not null).
func NonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// All converts each element of a list (never nil, so an empty list shows as []).
func All[T, M any](xs []T, f func(T) M) []M {
	out := make([]M, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}

// TimeOr is *t, or the zero time (the report's default) when the argument is absent.
func TimeOr(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}
