package campaign

import (
	"context"
	"unicode/utf8"

	"github.com/tessera-cdp/tessera/internal/consent"
)

// ConsentRecords is the consent service (internal/consent) as campaigns see it:
// marketing e-mail is allowed when granted; an unsubscribe, a bounce or a complaint is
// recorded as a statement of that status.
type ConsentRecords struct{ Service *consent.Service }

var _ Consent = ConsentRecords{}

func (c ConsentRecords) Allowed(ctx context.Context, profileID string) (bool, error) {
	return c.Service.Allowed(ctx, profileID, consent.Email, consent.Marketing)
}

func (c ConsentRecords) Refuse(ctx context.Context, profileID string, r Refusal, source, actor string) error {
	for utf8.RuneCountInString(source) > 200 {
		_, size := utf8.DecodeLastRuneInString(source)
		source = source[:len(source)-size]
	}
	_, err := c.Service.Set(ctx, profileID, consent.Statement{Channel: consent.Email, Purpose: consent.Marketing, Status: consent.Status(r), Source: source, Actor: actor})
	return err
}
