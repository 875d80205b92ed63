package identity

import (
	"context"
	"errors"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/profile"
)

// MaxRedirectHops bounds a chain of merge redirects. A merge always points at the
// oldest profile of its group, so a chain only grows by merges of merges; one longer
// than this is a corrupt graph (a cycle), not a customer.
const MaxRedirectHops = 64

// ErrRedirectChain is returned when a chain of merge redirects is longer than
// MaxRedirectHops.
var ErrRedirectChain = errors.New("identity: merge redirect chain too long")

// Redirects reads where profiles were merged: for each id that has a profile document,
// its MergedInto ("" when it is live). Ids without a document are left out. It is one
// batched read (a point read per id on FerretDB).
type Redirects func(ctx context.Context, ids []string) (map[string]string, error)

// ProfileRedirects reads redirects from profile documents (a Store's GetProfiles).
func ProfileRedirects(get func(ctx context.Context, ids []string) ([]profile.Profile, error)) Redirects {
	return func(ctx context.Context, ids []string) (map[string]string, error) {
		ps, err := get(ctx, ids)
		if err != nil {
			return nil, err
		}
		out := make(map[string]string, len(ps))
		for _, p := range ps {
			out[p.ID] = p.MergedInto
		}
		return out, nil
	}
}

// MergedOnly adapts a reader that lists only the merged profiles among ids (id ->
// survivor) to Redirects: every id it leaves out is taken as live.
func MergedOnly(mergedInto func(ctx context.Context, ids []string) (map[string]string, error)) Redirects {
	return func(ctx context.Context, ids []string) (map[string]string, error) {
		into, err := mergedInto(ctx, ids)
		if err != nil {
			return nil, err
		}
		out := make(map[string]string, len(ids))
		for _, id := range ids {
			out[id] = into[id]
		}
		return out, nil
	}
}

// Follow follows merge redirects from each id to the live profile at the end of its
// chain, reading one batch per hop for all ids together. The result maps every
// non-empty id to that profile; an id whose chain ends at a profile without a document
// (erased, or never created) maps to "". This is the one implementation of redirect
// following: the engine, commerce, matching and the workflows all use it.
func Follow(ctx context.Context, get Redirects, ids []string) (map[string]string, error) {
	next := map[string]string{} // id -> mergedInto ("" when live), for ids read
	exists := map[string]bool{}
	var want []string
	asked := map[string]bool{}
	for _, id := range ids {
		if id != "" && !asked[id] {
			asked[id] = true
			want = append(want, id)
		}
	}
	for hop := 0; len(want) > 0; hop++ {
		if hop == MaxRedirectHops {
			return nil, ErrRedirectChain
		}
		got, err := get(ctx, want)
		if err != nil {
			return nil, err
		}
		want = nil
		for id, into := range got {
			exists[id] = true
			next[id] = into
			if into != "" && !asked[into] {
				asked[into] = true
				want = append(want, into)
			}
		}
	}
	out := make(map[string]string, len(ids))
	for _, id := range ids {
		if id == "" {
			continue
		}
		f := id
		for n := 0; next[f] != ""; n++ {
			if n == MaxRedirectHops {
				return nil, ErrRedirectChain
			}
			f = next[f]
		}
		if !exists[f] {
			f = ""
		}
		out[id] = f
	}
	return out, nil
}

// FollowOne follows the redirects of one id; a missing profile is NOT_FOUND.
func FollowOne(ctx context.Context, get Redirects, id string) (string, error) {
	fin, err := Follow(ctx, get, []string{id})
	if err != nil {
		return "", err
	}
	if fin[id] == "" {
		return "", apperr.NotFoundf("customer %q not found", id)
	}
	return fin[id], nil
}
