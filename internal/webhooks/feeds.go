package webhooks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"time"

	"github.com/tessera-cdp/tessera/internal/identity"
)

// The feeds turn what other domains report into events. Each event id is derived from
// what happened, so a report repeated after a crash queues nothing new. Nothing is read
// or written while no subscription listens to the type.

var _ identity.Follower = (*Service)(nil)

// FollowMerges publishes PROFILE_MERGED for each merge. The engine calls it before its
// journal is deleted, so a merge interrupted by a crash is published on recovery.
func (s *Service) FollowMerges(ctx context.Context, ms []identity.MergeEvent) error {
	if len(ms) == 0 || !s.Wants(ctx, ProfileMerged) {
		return nil
	}
	evs := make([]Event, 0, len(ms))
	for _, m := range ms {
		evs = append(evs, Event{ID: eventID(ProfileMerged, m.At, m.Absorbed), Type: ProfileMerged, At: m.At,
			Data: map[string]any{"absorbed": m.Absorbed, "survivor": m.Survivor, "rule": m.Rule}})
	}
	return s.Publish(ctx, evs...)
}

// FollowSplit publishes PROFILE_SPLIT for an unmerge.
func (s *Service) FollowSplit(ctx context.Context, sp identity.SplitEvent) error {
	if !s.Wants(ctx, ProfileSplit) {
		return nil
	}
	return s.Publish(ctx, Event{ID: eventID(ProfileSplit, sp.At, append([]string{sp.From}, sp.Split...)...), Type: ProfileSplit, At: sp.At,
		Data: map[string]any{"from": sp.From, "split": nonNil(sp.Split), "remaining": nonNil(sp.Remaining)}})
}

// ProfilesCreated publishes PROFILE_CREATED for new profiles (before they are written:
// a profile that then loses every identity to a concurrent writer is deleted again, and
// its event is sent all the same).
func (s *Service) ProfilesCreated(ctx context.Context, ids []string, at time.Time) error {
	if len(ids) == 0 || !s.Wants(ctx, ProfileCreated) {
		return nil
	}
	evs := make([]Event, 0, len(ids))
	for _, id := range ids {
		// A profile is created once: its id alone names the event.
		evs = append(evs, Event{ID: eventID(ProfileCreated, time.Time{}, id), Type: ProfileCreated, At: at, Data: map[string]any{"profileId": id}})
	}
	return s.Publish(ctx, evs...)
}

// Erased publishes PROFILE_ERASED for an erasure's profiles (the live one and those
// merged into it). Only ids are sent: the person's data is gone.
func (s *Service) Erased(ctx context.Context, ids []string) error {
	if len(ids) == 0 || !s.Wants(ctx, ProfileErased) {
		return nil
	}
	sorted := slices.Sorted(slices.Values(ids))
	return s.Publish(ctx, Event{ID: eventID(ProfileErased, time.Time{}, sorted...), Type: ProfileErased, At: s.now(),
		Data: map[string]any{"profileIds": sorted}})
}

// Ticket is what a TICKET_CHANGED event tells of a ticket.
type Ticket struct {
	ID          string
	RequesterID string
	Status      string
}

// TicketChanged publishes TICKET_CHANGED for a ticket notification (its id names the
// event: each change is one notification).
func (s *Service) TicketChanged(ctx context.Context, notificationID, kind string, at time.Time, t Ticket) error {
	return s.Publish(ctx, Event{ID: eventID(TicketChanged, time.Time{}, notificationID), Type: TicketChanged, At: at,
		Data: map[string]any{"ticketId": t.ID, "kind": kind, "requesterId": t.RequesterID, "status": t.Status}})
}

// eventID is "evt_" and a hash of the type, the time and the ids.
func eventID(typ string, at time.Time, ids ...string) string {
	h := sha256.New()
	h.Write([]byte(typ + "|" + strings.Join(ids, ",")))
	if !at.IsZero() {
		h.Write([]byte("|" + at.UTC().Format(time.RFC3339Nano)))
	}
	return "evt_" + hex.EncodeToString(h.Sum(nil))[:32]
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
