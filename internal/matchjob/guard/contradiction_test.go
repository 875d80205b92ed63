package guard

import (
	"testing"

	"github.com/tessera-cdp/tessera/internal/matching"
)

func TestContradictionHoldsHouseholdsForReview(t *testing.T) {
	for _, c := range []struct {
		ev   []matching.Evidence
		hold bool
	}{
		{[]matching.Evidence{{Field: matching.FFirstName, Level: "different", A: "Anna", B: "Tom"}, {Field: matching.FLastName, Level: "exact"}}, true},
		{[]matching.Evidence{{Field: matching.FBirthDate, Level: "different", A: "1980-01-02", B: "2011-05-06"}}, true},
		{append(agreeing(3), matching.Evidence{Field: matching.FFirstName, Level: "close"}, matching.Evidence{Field: matching.FBirthDate, Level: "one-digit-or-transposed"}), false},
		{append(agreeing(4), matching.Evidence{Field: matching.FStreet, Level: "different"}), false},                                                            // people move
		{append(agreeing(3), matching.Evidence{Field: matching.FEmail, Level: "different"}, matching.Evidence{Field: matching.FPhone, Level: "missing"}), true}, // name and city only
		// A replaced first name with the same birth date and address: the same person.
		{append(agreeing(4), matching.Evidence{Field: matching.FFirstName, Level: "different"}, matching.Evidence{Field: matching.FBirthDate, Level: "exact"}), false},
		// A household member: another first name and birth date, or no birth date to tell.
		{append(agreeing(4), matching.Evidence{Field: matching.FFirstName, Level: "different"}, matching.Evidence{Field: matching.FBirthDate, Level: "different"}), true},
		{append(agreeing(4), matching.Evidence{Field: matching.FFirstName, Level: "different"}, matching.Evidence{Field: matching.FBirthDate, Level: "missing"}), true},
		// A mistyped birth date with the same first name.
		{append(agreeing(4), matching.Evidence{Field: matching.FFirstName, Level: "exact"}, matching.Evidence{Field: matching.FBirthDate, Level: "different"}), false},
		{append(agreeing(4), matching.Evidence{Field: matching.FFirstName, Level: "somewhat"}, matching.Evidence{Field: matching.FBirthDate, Level: "different"}), true},
	} {
		if got := contradiction(c.ev) != ""; got != c.hold {
			t.Errorf("%+v: held %v, want %v", c.ev, got, c.hold)
		}
	}
}

func agreeing(n int) []matching.Evidence {
	fields := []string{matching.FLastName, matching.FSuburb, matching.FPostcode, matching.FStreetNumber, matching.FState}
	var ev []matching.Evidence
	for _, f := range fields[:n] {
		ev = append(ev, matching.Evidence{Field: f, Level: "exact"})
	}
	return ev
}
