package ticket

import (
	"context"
	"time"
)

// Orders tells whose an order is; the commerce side implements it.
type Orders interface {
	// OrderCustomer returns the live profile that holds the order, following merge
	// redirects ("" for a guest order); an unknown order is a not-found error.
	OrderCustomer(ctx context.Context, orderID string) (string, error)
}

// checkOrder refuses an order that is not the requester's: merged profiles count as
// one customer (both sides follow their merge redirects).
func (s *Service) checkOrder(ctx context.Context, requesterID, orderID string) error {
	if orderID == "" {
		return nil
	}
	if s.Orders == nil || s.Requesters == nil {
		return invalid(FieldOrder, "orders cannot be checked here")
	}
	owner, err := s.Orders.OrderCustomer(ctx, orderID)
	if err != nil {
		return err
	}
	req, err := s.Requesters.RequesterByID(ctx, requesterID)
	if err != nil {
		return err
	}
	if owner == "" || owner != req {
		return invalid(FieldOrder, "order %s belongs to another customer than the requester", orderID)
	}
	return nil
}

// SetOrder names the order the ticket is about ("" clears it), recorded as a field
// change. The order must be the requester's.
func (s *Service) SetOrder(ctx context.Context, id, orderID string, by Actor) (Ticket, error) {
	return s.update(ctx, id, func(t *Ticket, now time.Time) (mutation, error) {
		if t.OrderID == orderID {
			return mutation{}, nil
		}
		if err := s.checkOrder(ctx, t.RequesterID, orderID); err != nil {
			return mutation{}, err
		}
		before := t.clone()
		t.OrderID = orderID
		return mutation{evs: touch(&before, t, by, now)}, nil
	})
}
