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
