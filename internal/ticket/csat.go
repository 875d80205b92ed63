package ticket

import (
	"strings"
	"time"
	"unicode/utf8"
)

// RatingEditWindow is how long after the first rating the customer may change
// it (a mis-click in the survey email is common). After that the rating is
// final. The window runs from the first rating, and Rating.At keeps that
// first time so period statistics don't shift when a rating is edited.
const RatingEditWindow = 24 * time.Hour

// MaxRatingCommentRunes bounds the free-text CSAT comment.
const MaxRatingCommentRunes = 2000

// Rate records the requester's satisfaction score (1..5) on a solved or closed
// ticket. Tickets merged into another are not ratable: the conversation lives
// on the target.
func Rate(t *Ticket, score int, comment string, now time.Time) ([]Event, error) {
	switch {
	case t.MergedInto != "":
		return nil, invalid(FieldCSAT, "ticket was merged into %s", t.MergedInto)
	case t.Status != StatusSolved && t.Status != StatusClosed:
		return nil, invalid(FieldCSAT, "only solved or closed tickets can be rated")
	case score < 1 || score > 5:
		return nil, invalid(FieldCSAT, "score must be between 1 and 5")
	}
	comment = strings.TrimSpace(comment)
	if utf8.RuneCountInString(comment) > MaxRatingCommentRunes {
		return nil, invalid(FieldCSAT, "comment longer than %d characters", MaxRatingCommentRunes)
	}
	at := now
	if t.CSAT != nil {
		if now.Sub(t.CSAT.At) > RatingEditWindow {
			return nil, invalid(FieldCSAT, "already rated")
		}
		at = t.CSAT.At
	}
	before := t.clone()
	t.CSAT = &Rating{Score: score, Comment: comment, At: at}
	// Rating is the only change a closed ticket accepts, and it is the
	// customer's: attribute it to the requester.
	return touch(&before, t, Actor{Kind: AuthorCustomer, ID: t.RequesterID}, now), nil
}

// CSATSummary aggregates ratings.
type CSATSummary struct {
	Count     int
	Sum       int
	Satisfied int // scores 4 and 5, the usual "CSAT %" numerator
}

// Average is the mean score; ok is false with no ratings.
func (s CSATSummary) Average() (avg float64, ok bool) {
	if s.Count == 0 {
		return 0, false
	}
	return float64(s.Sum) / float64(s.Count), true
}

// SatisfiedPercent is the share of 4-5 ratings; ok is false with no ratings.
func (s CSATSummary) SatisfiedPercent() (pct float64, ok bool) {
	if s.Count == 0 {
		return 0, false
	}
	return 100 * float64(s.Satisfied) / float64(s.Count), true
}

func (s *CSATSummary) add(score int) {
	s.Count++
	s.Sum += score
	if score >= 4 {
		s.Satisfied++
	}
}

// CSATByAgent aggregates ratings given in [from, to) per assignee ("" for
// unassigned tickets), plus the overall total.
func CSATByAgent(tickets []Ticket, from, to time.Time) (byAgent map[string]CSATSummary, total CSATSummary) {
	byAgent = map[string]CSATSummary{}
	for i := range tickets {
		r := tickets[i].CSAT
		if r == nil || r.At.Before(from) || !r.At.Before(to) {
			continue
		}
		s := byAgent[tickets[i].AssigneeID]
		s.add(r.Score)
		byAgent[tickets[i].AssigneeID] = s
		total.add(r.Score)
	}
	return byAgent, total
}
