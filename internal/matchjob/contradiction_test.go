package matchjob

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
		{[]matching.Evidence{{Field: matching.FFirstName, Level: "close"}, {Field: matching.FBirthDate, Level: "one-digit-or-transposed"}}, false},
		{[]matching.Evidence{{Field: matching.FStreet, Level: "different"}}, false}, // people move
	} {
		if got := contradiction(c.ev) != ""; got != c.hold {
			t.Errorf("%+v: held %v, want %v", c.ev, got, c.hold)
		}
	}
}
