// Package convert turns domain values into GraphQL model values (ToX) and GraphQL input
// into domain values (FromX, ToX for the domain's input types), for the resolvers. It
// calls no service: what needs one (segment rules with identifiers to normalise,
// customer references) stays in the resolvers.
package convert

func opt(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func val(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func nonNil(s []string) []string {
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
