package c360

import (
	"context"
	"slices"
	"strings"

	"github.com/tessera-cdp/tessera/internal/apperr"
)

// Caps of a value ranking restricted by a text query or a country: the candidates are
// read whole before ranking, so their number is bounded.
const (
	// MaxSearchMatches is the most text matches a value ranking looks at.
	MaxSearchMatches = 1000
	// MaxCountryMatches is the most profiles of one country a value ranking looks at.
	MaxCountryMatches = 20000
)

// searchPage is the page size in which RankCandidates reads text matches.
const searchPage = 100

// ProfileSearch pages the ids of the profiles a text query matches, newest first: the
// ids, the number of all matches, and the cursor of the next page ("" on the last). The
// customer domain implements it.
type ProfileSearch func(ctx context.Context, query string, limit int, after string) (ids []string, total int64, next string, err error)

// AttributeLookup returns up to limit ids of live profiles whose attribute key equals
// value.
type AttributeLookup func(ctx context.Context, key, value string, limit int) ([]string, error)

// RankCandidates returns the profiles a value ranking is restricted to: those matching
// the text query and the country (restrict false: no restriction). It refuses a query
// with more than MaxSearchMatches matches and a country with more than
// MaxCountryMatches profiles.
func RankCandidates(ctx context.Context, search ProfileSearch, withAttribute AttributeLookup, query string, country *string) (ids []string, restrict bool, err error) {
	if strings.TrimSpace(query) != "" {
		restrict = true
		after := ""
		for {
			page, total, next, err := search(ctx, query, searchPage, after)
			if err != nil {
				return nil, false, err
			}
			if total > MaxSearchMatches {
				return nil, false, apperr.Invalidf("the query matches %d customers; a value order takes at most %d, narrow it", total, MaxSearchMatches)
			}
			ids = append(ids, page...)
			if next == "" || len(page) == 0 {
				break
			}
			after = next
		}
	}
	if country != nil {
		cs, err := withAttribute(ctx, "country", *country, MaxCountryMatches+1)
		if err != nil {
			return nil, false, err
		}
		if len(cs) > MaxCountryMatches {
			return nil, false, apperr.Invalidf("more than %d customers in %q; combine the country with a query or another filter", MaxCountryMatches, *country)
		}
		if restrict {
			in := map[string]bool{}
			for _, id := range cs {
				in[id] = true
			}
			ids = slices.DeleteFunc(ids, func(id string) bool { return !in[id] })
		} else {
			ids = cs
		}
		restrict = true
	}
	return ids, restrict, nil
}
