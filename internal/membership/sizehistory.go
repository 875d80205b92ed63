package membership

import (
	"context"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
)

// SizePoint is a segment's size at the end of a day (UTC) and who entered and exited
// that day.
type SizePoint struct {
	Day     string // YYYY-MM-DD
	Members int
	Entered int
	Exited  int
}

// maxSizeHistoryChanges bounds the change log SizeHistory reads.
const maxSizeHistoryChanges = 1_000_000

// SizeHistory returns the members per day over the last days (1 to 366, today
// included) of a segment that has members members now.
func (s *Service) SizeHistory(ctx context.Context, segID string, members, days int) ([]SizePoint, error) {
	if days < 1 || days > 366 {
		return nil, apperr.Invalidf("days must be between 1 and 366")
	}
	from := s.now().Truncate(24*time.Hour).AddDate(0, 0, -(days - 1))
	cs, err := s.Reads.Changes(ctx, segID, from, maxSizeHistoryChanges)
	if err != nil {
		return nil, err
	}
	return DailySizes(cs, members, from, days), nil
}

// DailySizes walks the change log back from today's count: the members at the end of
// a day are today's minus who entered since plus who exited since. from is the first
// day (UTC midnight); cs the changes since then.
func DailySizes(cs []Change, members int, from time.Time, days int) []SizePoint {
	type tally struct{ in, out int }
	per := map[string]*tally{}
	for _, c := range cs {
		d := c.At.UTC().Format(time.DateOnly)
		if per[d] == nil {
			per[d] = &tally{}
		}
		if c.Kind == Entered {
			per[d].in++
		} else {
			per[d].out++
		}
	}
	out := make([]SizePoint, days)
	for i := days - 1; i >= 0; i-- {
		d := from.AddDate(0, 0, i).Format(time.DateOnly)
		p := SizePoint{Day: d, Members: members}
		if t := per[d]; t != nil {
			p.Entered, p.Exited = t.in, t.out
			members = members - t.in + t.out
		}
		out[i] = p
	}
	return out
}
