package app

// Journeys (issue 16): the journey engine over its store, hearing orders and
// interactions (commerce observers), segment entries and exits (membership observers)
// and solved or rated tickets (the notification broker), and acting through the SMTP
// relay of the campaigns, consent, the suppression list, the workflows' ingest
// (attributes and tags as manual records) and the help desk.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/campaign"
	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/ingest"
	"github.com/tessera-cdp/tessera/internal/journey"
	"github.com/tessera-cdp/tessera/internal/journey/engine"
	"github.com/tessera-cdp/tessera/internal/netguard"
	"github.com/tessera-cdp/tessera/internal/segment"
	"github.com/tessera-cdp/tessera/internal/store/dbkit"
	"github.com/tessera-cdp/tessera/internal/store/journeystore"
	"github.com/tessera-cdp/tessera/internal/ticket"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// newJourneys wires the journey service (after campaigns, the workflows and the help
// desk) and its observers.
func (a *App) newJourneys(db *mongo.Database, b *dbkit.Backend, hooks *netguard.Policy, o Options) *engine.Service {
	s := &engine.Service{
		Store:        journeystore.New(db, b),
		Profiles:     campaignProfiles{a.Profiles},
		Rules:        journeyRules{a},
		Consent:      campaign.ConsentRecords{Service: a.Consent},
		Suppressions: a.PrivacyStore,
		Attributes:   journeyAttributes{a},
		Tickets:      journeyTickets{a.Tickets},
		Mail:         a.Campaigns.Mail,
		Webhooks:     hooks,
		Log:          o.Log,
		Now:          a.Commerce.Now,
		NewID:        func() string { return "jrn_" + strings.ToLower(dbkit.NewID()) },
	}
	a.Commerce.Observe(func(os []commerce.Order) {
		var evs []journey.Event
		for _, o := range os {
			// Stored or moved orders: the trigger's key and the version's publication
			// time keep replays and moves of old orders from enrolling anyone.
			if o.ProfileID != "" && o.Status != commerce.Cancelled && o.Status != commerce.Refunded {
				evs = append(evs, journey.Event{Kind: journey.OrderPlaced, ProfileID: o.ProfileID, Key: "order:" + o.ID, At: o.PlacedAt})
			}
		}
		s.Hear(evs...)
	})
	a.Commerce.ObserveInteractions(func(is []commerce.Interaction) {
		evs := make([]journey.Event, 0, len(is))
		for _, it := range is {
			evs = append(evs, journey.Event{Kind: journey.InteractionOf, ProfileID: it.ProfileID, Key: "interaction:" + it.ID, Type: it.Type, Channel: it.Channel, At: it.At})
		}
		s.Hear(evs...)
	})
	a.Segments.Observers = append(a.Segments.Observers, func(seg string, entered, exited []string, at time.Time) {
		// Heard at the journeys' clock (membership keeps the wall clock).
		now := s.Now()
		key := fmt.Sprintf("segment:%s:%d", seg, at.UnixMilli())
		var evs []journey.Event
		for _, id := range entered {
			evs = append(evs, journey.Event{Kind: journey.SegmentEntered, ProfileID: id, SegmentID: seg, Key: key + ":in", At: now})
		}
		for _, id := range exited {
			evs = append(evs, journey.Event{Kind: journey.SegmentExited, ProfileID: id, SegmentID: seg, Key: key + ":out", At: now})
		}
		s.Hear(evs...)
	})
	return s
}

// ticketsToJourneys turns ticket notifications (from every instance on the database)
// into solved and rated events of their requesters.
func (a *App) ticketsToJourneys(ctx context.Context) {
	for n := range a.Notify.Subscribe(ctx) {
		t, err := a.HelpDesk.GetTicket(ctx, n.TicketID)
		if err != nil {
			if ctx.Err() == nil && !apperr.IsNotFound(err) {
				a.opts.Log.Warn("journeys: ticket notification", "ticket", n.TicketID, "err", err)
			}
			continue
		}
		if t.RequesterID == "" {
			continue
		}
		if t.Status == ticket.StatusSolved && t.SolvedAt != nil {
			a.Journeys.Hear(journey.Event{Kind: journey.TicketSolved, ProfileID: t.RequesterID, Key: fmt.Sprintf("ticket:%s:solved:%d", t.ID, t.SolvedAt.UnixMilli()), At: *t.SolvedAt})
		}
		if t.CSAT != nil {
			a.Journeys.Hear(journey.Event{Kind: journey.TicketRated, ProfileID: t.RequesterID, Key: "ticket:" + t.ID + ":rated", At: t.CSAT.At})
		}
	}
}

// journeyRules evaluates a branch's rule for one customer with the segment evaluator
// (over the fact cache once it is loaded), its facts read again first.
type journeyRules struct{ a *App }

func (r journeyRules) Matches(ctx context.Context, rule segment.Rule, pid string, now time.Time) (bool, error) {
	if err := r.a.SegmentQuery.RefreshProfiles(ctx, []string{pid}); err != nil {
		return false, err
	}
	in := false
	err := r.a.SegmentQuery.SegmentMembers(ctx, rule, now, []string{pid}, func(ids []string) error {
		in = in || slices.Contains(ids, pid)
		return nil
	})
	return in, err
}

// journeyAttributes writes attributes as a manual record pinned to the customer, its id
// derived from the step's key: a repeat is the same record with the same content.
type journeyAttributes struct{ a *App }

func (j journeyAttributes) SetAttributes(ctx context.Context, key, pid string, attrs map[string]any, at time.Time) error {
	h := sha256.Sum256([]byte(key))
	res, err := j.a.Workflows.Ingest(ctx, ingest.ManualSource, []ingest.Input{{ExternalID: "journey-" + hex.EncodeToString(h[:20]),
		Payload: map[string]any{"attributes": attrs}, ObservedAt: at, Pinned: pid}}, "")
	if err != nil {
		return err
	}
	if len(res.Rejects) > 0 {
		return ingest.RejectError(res.Rejects[0])
	}
	return nil
}

// journeyTickets opens a step's ticket with its fixed id.
type journeyTickets struct{ t *ticket.Service }

func (j journeyTickets) OpenTicket(ctx context.Context, id, pid string, spec journey.TicketSpec) error {
	_, err := j.t.CreateTicketWithIDs(ctx, ticket.IDs{Ticket: id}, ticket.Draft{Subject: spec.Subject, RequesterID: pid, Channel: ticket.ChannelWebForm,
		Priority: ticket.Priority(spec.Priority), Tags: spec.Tags}, spec.Body, nil, ticket.System)
	if errors.Is(err, ticket.ErrConflict) {
		return nil // opened by an earlier try
	}
	return err
}
