package adapters

import (
	"context"
	"errors"
	"fmt"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/customer"
	"github.com/tessera-cdp/tessera/internal/ingest"
	"github.com/tessera-cdp/tessera/internal/ticket"
)

// Requesters connects the help desk to customer profiles: it implements
// ticket.Customers (macro placeholders) and ticket.Requesters (who opened a ticket).
type Requesters struct {
	Profiles *customer.Service
	// Suppressions is the list of identifiers of erased people: a ticket is never
	// opened for one of them.
	Suppressions interface {
		Suppressed(ctx context.Context, keys []string) ([]string, error)
	}
}

var (
	_ ticket.Customers  = (*Requesters)(nil)
	_ ticket.Requesters = (*Requesters)(nil)
)

// GetCustomer follows merges, so a ticket of an absorbed profile renders the survivor.
func (r *Requesters) GetCustomer(ctx context.Context, id string) (ticket.Customer, error) {
	p, err := r.Profiles.Get(ctx, id)
	if errors.Is(err, apperr.ErrNotFound) {
		return ticket.Customer{}, fmt.Errorf("customer %s: %w", id, ticket.ErrNotFound)
	}
	if err != nil {
		return ticket.Customer{}, err
	}
	c := ticket.Customer{ID: p.ID, FirstName: p.Traits.FirstName, LastName: p.Traits.LastName}
	if len(p.Traits.Emails) > 0 {
		c.Email = p.Traits.Emails[0]
	}
	return c, nil
}

// RequesterByID checks the profile exists and returns its current (surviving) id.
func (r *Requesters) RequesterByID(ctx context.Context, id string) (string, error) {
	p, err := r.Profiles.Get(ctx, id)
	if err != nil {
		return "", err
	}
	return p.ID, nil
}

// RequesterByEmail returns the profile that owns the e-mail, or creates one. A known
// e-mail is looked up first so each ticket does not add another manual record; an
// unknown one goes through identity resolution like any record (and so lands on the
// right profile even if another request created it in between).
func (r *Requesters) RequesterByEmail(ctx context.Context, email string) (string, error) {
	if r.Suppressions != nil {
		key, err := r.Profiles.IdentityKey("email", email)
		if err != nil {
			return "", err
		}
		hit, err := r.Suppressions.Suppressed(ctx, []string{key})
		if err != nil {
			return "", err
		}
		if len(hit) > 0 {
			return "", apperr.Conflictf("%s: the e-mail belongs to an erased person; an admin can lift the suppression", ingest.ReasonSuppressed)
		}
	}
	p, err := r.Profiles.ByIdentifier(ctx, "email", email)
	if errors.Is(err, apperr.ErrNotFound) {
		p, err = r.Profiles.Create(ctx, customer.Edit{Emails: []string{email}})
	}
	if err != nil {
		return "", err
	}
	return p.ID, nil
}
