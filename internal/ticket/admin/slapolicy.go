package admin

import (
	"errors"
	"time"

	"github.com/tessera-cdp/tessera/internal/ticket"
	"github.com/tessera-cdp/tessera/internal/ticket/sla"
)

// SLAPolicyInput is a policy as an admin writes it: targets in minutes and business
// hours as a time zone name, "HH:MM" intervals and "YYYY-MM-DD" holidays.
type SLAPolicyInput struct {
	Priority             ticket.Priority
	FirstResponseMinutes int
	ResolutionMinutes    int
	// BusinessHours nil: the clock runs 24/7.
	BusinessHours *sla.BusinessHoursInput
}

// maxTargetMinutes bounds SLA targets: one (leap) year.
const maxTargetMinutes = 366 * 24 * 60

// ParseSLAPolicy validates a policy and its business hours and builds the domain value.
// Errors are *ticket.ValidationError.
func ParseSLAPolicy(in SLAPolicyInput) (ticket.SLAPolicy, error) {
	if in.FirstResponseMinutes < 0 || in.ResolutionMinutes < 0 || in.FirstResponseMinutes > maxTargetMinutes || in.ResolutionMinutes > maxTargetMinutes {
		return ticket.SLAPolicy{}, &ticket.ValidationError{Field: "minutes", Reason: "targets must be between 0 and one year"}
	}
	if !in.Priority.Valid() {
		return ticket.SLAPolicy{}, invalid(ticket.FieldPriority, "unknown priority %q", in.Priority)
	}
	p := ticket.SLAPolicy{Priority: in.Priority,
		FirstResponse: time.Duration(in.FirstResponseMinutes) * time.Minute, Resolution: time.Duration(in.ResolutionMinutes) * time.Minute}
	if b := in.BusinessHours; b != nil {
		bh, err := sla.ParseBusinessHours(*b)
		if fe := (*sla.FieldError)(nil); errors.As(err, &fe) {
			return p, &ticket.ValidationError{Field: fe.Field, Reason: fe.Reason}
		}
		if err != nil {
			return p, err
		}
		p.BusinessHours = bh
	}
	return p, nil
}
