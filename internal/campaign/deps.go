package campaign

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // schedules name IANA zones; a minimal host may lack the database

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/commerce/ledger"
	"github.com/tessera-cdp/tessera/internal/profile"
)

// Store keeps campaigns, their plans and send ledgers. Every read and write of a plan
// chunk or a ledger entry is by bare _id.
type Store interface {
	InsertCampaign(ctx context.Context, c Campaign) error
	// GetCampaign reads a campaign (NOT_FOUND when there is none).
	GetCampaign(ctx context.Context, id string) (Campaign, error)
	// ListCampaigns lists every campaign, newest first.
	ListCampaigns(ctx context.Context) ([]Campaign, error)
	// UpdateCampaign applies change to a campaign and writes it, atomically with
	// respect to other updates of it (change may run more than once; its error aborts).
	UpdateCampaign(ctx context.Context, id string, change func(c *Campaign) error) (Campaign, error)
	// PutChunks writes plan chunks (replacing those with the same campaign and number).
	PutChunks(ctx context.Context, cs []Chunk) error
	// GetChunks reads a campaign's chunks by number; missing ones are left out.
	GetChunks(ctx context.Context, campaignID string, ns []int) ([]Chunk, error)
	// InsertEntry creates a ledger entry unless one with its id exists (false).
	InsertEntry(ctx context.Context, e Entry) (bool, error)
	// SetOutcome writes a send's outcome onto the entry with e's id: its state, reason,
	// attempts, code, time, message id and bounce time, leaving what events noted.
	SetOutcome(ctx context.Context, e Entry) error
	DeleteEntry(ctx context.Context, id string) error
	// GetEntries reads entries by id; missing ones are left out.
	GetEntries(ctx context.Context, ids []string) ([]Entry, error)
	// UpdateEntry applies change to an existing entry, atomically with respect to other
	// UpdateEntry calls, and writes it if change reports a change (NOT_FOUND when
	// there is no entry).
	UpdateEntry(ctx context.Context, id string, change func(e *Entry) bool) (Entry, bool, error)
	// TrackingKey is the installation's secret for link tokens (created once).
	TrackingKey(ctx context.Context) ([]byte, error)
}

// Segments reads the audiences.
type Segments interface {
	// SegmentName returns a saved segment's name (NOT_FOUND when there is none).
	SegmentName(ctx context.Context, id string) (string, error)
	// MemberIDs pages a segment's current members' profile ids, in id order after after.
	MemberIDs(ctx context.Context, segmentID, after string, limit int) ([]string, error)
	// IsMember reports whether a profile is a current member.
	IsMember(ctx context.Context, segmentID, profileID string) (bool, error)
}

// Profiles reads customers.
type Profiles interface {
	// Get returns the live profile of an id, following merges (NOT_FOUND when erased
	// or unknown).
	Get(ctx context.Context, id string) (profile.Profile, error)
	// Final maps each id to its live profile ("" when erased), following merges.
	Final(ctx context.Context, ids []string) (map[string]string, error)
}

// Refusal is what a customer's answer to a message says about future ones.
type Refusal string

const (
	Unsubscribed Refusal = "withdrawn"
	Bounce       Refusal = "bounced"
	Complaint    Refusal = "complained"
)

// Consent is the customers' consent to marketing e-mail (internal/consent).
type Consent interface {
	// Allowed reports whether marketing e-mail may go to the profile.
	Allowed(ctx context.Context, profileID string) (bool, error)
	// Refuse records an unsubscribe, a bounce or a complaint of the profile.
	Refuse(ctx context.Context, profileID string, r Refusal, source, actor string) error
}

// Suppressions is the list of identifiers of erased people.
type Suppressions interface {
	// Suppressed returns the identity keys ("email:ann@example.com") that are listed.
	Suppressed(ctx context.Context, keys []string) ([]string, error)
}

// Commerce is where messages and their answers go on the timeline, and where
// personalisation and the report read value metrics and orders.
type Commerce interface {
	AddInteractions(ctx context.Context, is []commerce.Interaction) (int, error)
	// GetMetrics reads metrics documents (no ledger); missing ids are left out.
	GetMetrics(ctx context.Context, profileIDs []string) ([]ledger.Metrics, error)
	// GetBuckets reads ledger buckets; missing ones are left out.
	GetBuckets(ctx context.Context, keys []ledger.BucketKey) ([]ledger.Bucket, error)
}

// FrequencyCap bounds the campaign messages one customer gets: at most Max within
// Within (Max 0: no cap).
type FrequencyCap struct {
	Max    int
	Within time.Duration
}

// ParseSchedule reads a wall-clock time ("2026-03-01T09:00" or with seconds) in an
// IANA time zone. A time that does not exist there (skipped by a daylight saving
// change) is BAD_USER_INPUT; one that exists twice is the first.
func ParseSchedule(local, zone string) (time.Time, error) {
	loc, err := time.LoadLocation(zone)
	if err != nil || zone == "" || strings.EqualFold(zone, "local") {
		return time.Time{}, apperr.Invalidf("unknown time zone %q (an IANA name such as Europe/Berlin)", zone)
	}
	var w time.Time
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04"} {
		if w, err = time.Parse(layout, strings.TrimSpace(local)); err == nil {
			break
		}
	}
	if err != nil {
		return time.Time{}, apperr.Invalidf("at %q: want a local time such as 2026-03-01T09:00 (no offset: the time zone says it)", local)
	}
	t := time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), 0, loc)
	if t.Format(time.DateTime) != w.Format(time.DateTime) {
		return time.Time{}, apperr.Invalidf("%s does not exist in %s (the clocks skip it)", local, zone)
	}
	// A repeated hour (clocks going back) has two readings: take the first.
	if earlier := t.Add(-time.Hour); earlier.Format(time.DateTime) == t.Format(time.DateTime) {
		t = earlier
	}
	return t.UTC(), nil
}

// ParseFrequencyCap reads "3/168h" (at most 3 campaign messages within 168 hours);
// "" is no cap.
func ParseFrequencyCap(s string) (FrequencyCap, error) {
	if strings.TrimSpace(s) == "" {
		return FrequencyCap{}, nil
	}
	n, d, ok := strings.Cut(s, "/")
	most, err := strconv.Atoi(strings.TrimSpace(n))
	within, derr := time.ParseDuration(strings.TrimSpace(d))
	if !ok || err != nil || derr != nil || most < 1 || within <= 0 {
		return FrequencyCap{}, fmt.Errorf("frequency cap %q: want messages/duration, e.g. 3/168h", s)
	}
	return FrequencyCap{Max: most, Within: within}, nil
}
