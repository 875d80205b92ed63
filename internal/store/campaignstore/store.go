// Package campaignstore keeps e-mail campaigns (internal/campaign): the definitions
// (campaigns), the frozen plans (campaign_plans, one document per chunk of recipients,
// "campaign:000042"), the send ledger (campaign_ledger, one document per campaign and
// recipient, "campaign:profile") and the key of the link tokens (campaign_settings).
// Every read and write of a plan chunk or a ledger entry is by bare _id; the list of
// campaigns comes from an in-process list of their ids where only _id lookups are
// indexed (the embedded database), each campaign read by _id.
package campaignstore

import (
	"context"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/campaign"
	"github.com/tessera-cdp/tessera/internal/store/dbkit"
)

// Collections.
const (
	CampaignsCollection = "campaigns"
	PlansCollection     = "campaign_plans"
	LedgerCollection    = "campaign_ledger"
	settingsCollection  = "campaign_settings"
	trackingKeyID       = "tracking-hmac-key"
	maxAttempts         = 20
)

// Store is the campaign store.
type Store struct {
	db *mongo.Database
	b  *dbkit.Backend

	secret dbkit.Secret
}

var _ campaign.Store = (*Store)(nil)

// New wraps a database on the given backend.
func New(db *mongo.Database, b *dbkit.Backend) *Store { return &Store{db: db, b: b} }

func (s *Store) campaigns() *mongo.Collection { return s.db.Collection(CampaignsCollection) }
func (s *Store) plans() *mongo.Collection     { return s.db.Collection(PlansCollection) }
func (s *Store) ledger() *mongo.Collection    { return s.db.Collection(LedgerCollection) }

// campaignDoc is the stored form of a campaign.
type campaignDoc struct {
	ID              string               `bson:"_id"`
	Name            string               `bson:"name"`
	SegmentID       string               `bson:"segmentId"`
	Audience        string               `bson:"audience"`
	Subject         string               `bson:"subject"`
	HTML            string               `bson:"html"`
	Text            string               `bson:"text"`
	FromName        string               `bson:"fromName,omitempty"`
	Defaults        []placeholderDefault `bson:"defaults,omitempty"`
	HoldoutPercent  float64              `bson:"holdoutPercent"`
	AttributionDays int                  `bson:"attributionDays"`
	RatePerMinute   int                  `bson:"ratePerMinute,omitempty"`
	Links           []string             `bson:"links,omitempty"`
	State           string               `bson:"state"`
	ScheduledAt     time.Time            `bson:"scheduledAt,omitempty"`
	LocalTime       string               `bson:"localTime,omitempty"`
	TimeZone        string               `bson:"timeZone,omitempty"`
	StartedAt       time.Time            `bson:"startedAt,omitempty"`
	FinishedAt      time.Time            `bson:"finishedAt,omitempty"`
	Planned         int                  `bson:"planned"`
	Chunks          int                  `bson:"chunks"`
	Progress        int                  `bson:"progress"`
	PlannedAt       time.Time            `bson:"plannedAt,omitempty"`
	Owner           string               `bson:"owner,omitempty"`
	LeaseUntil      time.Time            `bson:"leaseUntil,omitempty"`
	LastError       string               `bson:"lastError,omitempty"`
	CreatedAt       time.Time            `bson:"createdAt"`
	UpdatedAt       time.Time            `bson:"updatedAt"`
	CreatedBy       string               `bson:"createdBy,omitempty"`
	Rev             int64                `bson:"rev"`
}

// placeholderDefault is one default: placeholder keys have dots, which FerretDB refuses
// in field names.
type placeholderDefault struct {
	Key   string `bson:"k"`
	Value string `bson:"v"`
}

func toCampaignDoc(c campaign.Campaign) campaignDoc {
	var defaults []placeholderDefault
	for _, k := range slices.Sorted(maps.Keys(c.Defaults)) {
		defaults = append(defaults, placeholderDefault{k, c.Defaults[k]})
	}
	return campaignDoc{ID: c.ID, Name: c.Name, SegmentID: c.SegmentID, Audience: string(c.Audience), Subject: c.Subject, HTML: c.HTML, Text: c.Text,
		FromName: c.FromName, Defaults: defaults, HoldoutPercent: c.HoldoutPercent, AttributionDays: c.AttributionDays, RatePerMinute: c.RatePerMinute,
		Links: c.Links, State: string(c.State), ScheduledAt: c.ScheduledAt, LocalTime: c.LocalTime, TimeZone: c.TimeZone, StartedAt: c.StartedAt,
		FinishedAt: c.FinishedAt, Planned: c.Planned, Chunks: c.Chunks, Progress: c.Progress, PlannedAt: c.PlannedAt, Owner: c.Owner,
		LeaseUntil: c.LeaseUntil, LastError: c.LastError, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, CreatedBy: c.CreatedBy, Rev: c.Rev}
}

func (d campaignDoc) campaign() campaign.Campaign {
	var defaults map[string]string
	if len(d.Defaults) > 0 {
		defaults = make(map[string]string, len(d.Defaults))
		for _, x := range d.Defaults {
			defaults[x.Key] = x.Value
		}
	}
	return campaign.Campaign{ID: d.ID, Name: d.Name, SegmentID: d.SegmentID, Audience: campaign.Audience(d.Audience), Subject: d.Subject, HTML: d.HTML,
		Text: d.Text, FromName: d.FromName, Defaults: defaults, HoldoutPercent: d.HoldoutPercent, AttributionDays: d.AttributionDays,
		RatePerMinute: d.RatePerMinute, Links: d.Links, State: campaign.State(d.State), ScheduledAt: d.ScheduledAt.UTC(), LocalTime: d.LocalTime,
		TimeZone: d.TimeZone, StartedAt: d.StartedAt.UTC(), FinishedAt: d.FinishedAt.UTC(), Planned: d.Planned, Chunks: d.Chunks, Progress: d.Progress,
		PlannedAt: d.PlannedAt.UTC(), Owner: d.Owner, LeaseUntil: d.LeaseUntil.UTC(), LastError: d.LastError, CreatedAt: d.CreatedAt.UTC(),
		UpdatedAt: d.UpdatedAt.UTC(), CreatedBy: d.CreatedBy, Rev: d.Rev}
}

// idIndex is the in-process list of campaign ids where filters scan.
type idIndex struct{ dbkit.IDs }

func (s *Store) idIndex() *idIndex { return dbkit.Shared(s.db, func() *idIndex { return &idIndex{} }) }

// InsertCampaign stores a new campaign.
func (s *Store) InsertCampaign(ctx context.Context, c campaign.Campaign) error {
	if _, err := s.campaigns().InsertOne(ctx, toCampaignDoc(c)); err != nil {
		return err
	}
	if !s.b.IndexedFilters {
		s.idIndex().Add(c.ID)
	}
	return nil
}

// GetCampaign reads a campaign by bare _id.
func (s *Store) GetCampaign(ctx context.Context, id string) (campaign.Campaign, error) {
	var d campaignDoc
	if err := s.campaigns().FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d); err != nil {
		return campaign.Campaign{}, dbkit.NotFound(err, "campaign %q not found", id)
	}
	return d.campaign(), nil
}

// ListCampaigns lists every campaign, newest first (ids are time-ordered).
func (s *Store) ListCampaigns(ctx context.Context) ([]campaign.Campaign, error) {
	docs, err := dbkit.ListAll[campaignDoc](ctx, s.b, s.campaigns(), &s.idIndex().IDs)
	if err != nil {
		return nil, err
	}
	out := make([]campaign.Campaign, len(docs))
	for i, d := range docs {
		out[i] = d.campaign()
	}
	slices.SortFunc(out, func(a, b campaign.Campaign) int { return strings.Compare(b.ID, a.ID) })
	return out, nil
}

// UpdateCampaign is a read-modify-write of one campaign: under the process's guard and
// by bare _id on FerretDB, conditional on the rev read on MongoDB (a lost race reads
// again).
func (s *Store) UpdateCampaign(ctx context.Context, id string, change func(*campaign.Campaign) error) (campaign.Campaign, error) {
	return dbkit.UpdateByRev(ctx, s.b, s.campaigns(), "campaigns", id, s.GetCampaign, change,
		func(v *campaign.Campaign) *int64 { return &v.Rev }, func(v campaign.Campaign) any { return toCampaignDoc(v) })
}

// chunkDoc is a plan chunk; the ids are joined with commas (one value to encode,
// where FerretDB pays per array element).
type chunkDoc struct {
	ID         string            `bson:"_id"`
	CampaignID string            `bson:"campaignId"`
	N          int               `bson:"n"`
	Treated    string            `bson:"treated"`
	Holdout    string            `bson:"holdout"`
	Done       bool              `bson:"done"`
	Moved      map[string]string `bson:"moved,omitempty"`
}

func chunkID(campaignID string, n int) string { return fmt.Sprintf("%s:%06d", campaignID, n) }

func split(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// PutChunks writes chunks by bare _id (replacing, so planning again is harmless).
func (s *Store) PutChunks(ctx context.Context, cs []campaign.Chunk) error {
	ms := make([]mongo.WriteModel, len(cs))
	for i, c := range cs {
		id := chunkID(c.CampaignID, c.N)
		d := chunkDoc{ID: id, CampaignID: c.CampaignID, N: c.N, Treated: strings.Join(c.Treated, ","), Holdout: strings.Join(c.Holdout, ","), Done: c.Done, Moved: c.Moved}
		ms[i] = mongo.NewReplaceOneModel().SetFilter(bson.D{{Key: "_id", Value: id}}).SetReplacement(d).SetUpsert(true)
	}
	return dbkit.Bulk(ctx, s.b, s.plans(), ms)
}

// GetChunks reads chunks by bare _id.
func (s *Store) GetChunks(ctx context.Context, campaignID string, ns []int) ([]campaign.Chunk, error) {
	ids := make([]string, len(ns))
	for i, n := range ns {
		ids[i] = chunkID(campaignID, n)
	}
	docs, err := dbkit.InBatches[chunkDoc](ctx, s.b, s.plans(), "_id", ids)
	if err != nil {
		return nil, err
	}
	out := make([]campaign.Chunk, len(docs))
	for i, d := range docs {
		out[i] = campaign.Chunk{CampaignID: d.CampaignID, N: d.N, Treated: split(d.Treated), Holdout: split(d.Holdout), Done: d.Done, Moved: d.Moved}
	}
	slices.SortFunc(out, func(a, b campaign.Chunk) int { return a.N - b.N })
	return out, nil
}

// entryDoc is a ledger entry; rev orders the writers of one entry on MongoDB.
type entryDoc struct {
	ID             string    `bson:"_id"`
	CampaignID     string    `bson:"campaignId"`
	ProfileID      string    `bson:"profileId"`
	Planned        string    `bson:"planned,omitempty"`
	State          string    `bson:"state"`
	Holdout        bool      `bson:"holdout,omitempty"`
	Reason         string    `bson:"reason,omitempty"`
	MessageID      string    `bson:"messageId,omitempty"`
	Attempts       int       `bson:"attempts,omitempty"`
	Code           int       `bson:"code,omitempty"`
	At             time.Time `bson:"at"`
	OpenedAt       time.Time `bson:"openedAt,omitempty"`
	ClickedAt      time.Time `bson:"clickedAt,omitempty"`
	UnsubscribedAt time.Time `bson:"unsubscribedAt,omitempty"`
	BouncedAt      time.Time `bson:"bouncedAt,omitempty"`
	ComplainedAt   time.Time `bson:"complainedAt,omitempty"`
	Rev            int64     `bson:"rev"`
}

func toEntryDoc(e campaign.Entry, rev int64) entryDoc {
	return entryDoc{ID: e.ID, CampaignID: e.CampaignID, ProfileID: e.ProfileID, Planned: e.Planned, State: string(e.State), Holdout: e.Holdout,
		Reason: e.Reason, MessageID: e.MessageID, Attempts: e.Attempts, Code: e.Code, At: e.At, OpenedAt: e.OpenedAt, ClickedAt: e.ClickedAt,
		UnsubscribedAt: e.UnsubscribedAt, BouncedAt: e.BouncedAt, ComplainedAt: e.ComplainedAt, Rev: rev}
}

func (d entryDoc) entry() campaign.Entry {
	return campaign.Entry{ID: d.ID, CampaignID: d.CampaignID, ProfileID: d.ProfileID, Planned: d.Planned, State: campaign.EntryState(d.State),
		Holdout: d.Holdout, Reason: d.Reason, MessageID: d.MessageID, Attempts: d.Attempts, Code: d.Code, At: d.At.UTC(), OpenedAt: utc(d.OpenedAt),
		ClickedAt: utc(d.ClickedAt), UnsubscribedAt: utc(d.UnsubscribedAt), BouncedAt: utc(d.BouncedAt), ComplainedAt: utc(d.ComplainedAt)}
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

// entryLocks serialise, on FerretDB (whose updates are not atomic), the writers of one
// entry within the process: the sender's outcome and the events of its links.
type entryLocks struct{ m [64]sync.Mutex }

func newEntryLocks() *entryLocks { return &entryLocks{} }

func (s *Store) lockEntry(id string) func() {
	if s.b.AtomicUpdates {
		return func() {}
	}
	h := fnv.New32a()
	h.Write([]byte(id))
	m := &dbkit.Shared(s.db, newEntryLocks).m[h.Sum32()%64]
	m.Lock()
	return m.Unlock
}

// InsertEntry inserts an entry; the unique _id makes it a claim (false: taken).
func (s *Store) InsertEntry(ctx context.Context, e campaign.Entry) (bool, error) {
	_, err := s.ledger().InsertOne(ctx, toEntryDoc(e, 0))
	if mongo.IsDuplicateKeyError(err) {
		return false, nil
	}
	return err == nil, err
}

// SetOutcome sets the outcome fields of an entry (bare _id; $inc of rev orders it with
// UpdateEntry on MongoDB).
func (s *Store) SetOutcome(ctx context.Context, e campaign.Entry) error {
	defer s.lockEntry(e.ID)()
	set := bson.D{{Key: "state", Value: string(e.State)}, {Key: "reason", Value: e.Reason}, {Key: "attempts", Value: e.Attempts},
		{Key: "code", Value: e.Code}, {Key: "at", Value: e.At}, {Key: "messageId", Value: e.MessageID}}
	if !e.BouncedAt.IsZero() {
		set = append(set, bson.E{Key: "bouncedAt", Value: e.BouncedAt})
	}
	res, err := s.ledger().UpdateOne(ctx, bson.D{{Key: "_id", Value: e.ID}}, bson.D{{Key: "$set", Value: set}, {Key: "$inc", Value: bson.D{{Key: "rev", Value: 1}}}})
	if err == nil && res.MatchedCount == 0 {
		return apperr.NotFoundf("ledger entry %s not found", e.ID)
	}
	return err
}

// DeleteEntry deletes an entry by bare _id.
func (s *Store) DeleteEntry(ctx context.Context, id string) error {
	defer s.lockEntry(id)()
	_, err := s.ledger().DeleteOne(ctx, bson.D{{Key: "_id", Value: id}})
	return err
}

// GetEntries reads entries by bare _id (point reads on FerretDB, $in on MongoDB).
func (s *Store) GetEntries(ctx context.Context, ids []string) ([]campaign.Entry, error) {
	docs, err := dbkit.InBatches[entryDoc](ctx, s.b, s.ledger(), "_id", ids)
	if err != nil {
		return nil, err
	}
	out := make([]campaign.Entry, len(docs))
	for i, d := range docs {
		out[i] = d.entry()
	}
	return out, nil
}

// UpdateEntry is a read-modify-write of one entry: under the entry's lock on FerretDB,
// conditional on its rev on MongoDB.
func (s *Store) UpdateEntry(ctx context.Context, id string, change func(*campaign.Entry) bool) (campaign.Entry, bool, error) {
	defer s.lockEntry(id)()
	for range maxAttempts {
		var d entryDoc
		if err := s.ledger().FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d); err != nil {
			return campaign.Entry{}, false, dbkit.NotFound(err, "ledger entry %s not found", id)
		}
		e := d.entry()
		if !change(&e) {
			return e, false, nil
		}
		f := bson.D{{Key: "_id", Value: id}}
		if s.b.AtomicUpdates {
			f = append(f, bson.E{Key: "rev", Value: d.Rev})
		}
		res, err := s.ledger().ReplaceOne(ctx, f, toEntryDoc(e, d.Rev+1))
		if err != nil {
			return campaign.Entry{}, false, err
		}
		if res.MatchedCount == 1 {
			return e, true, nil
		}
	}
	return campaign.Entry{}, false, fmt.Errorf("ledger entry %s: too many concurrent writers", id)
}

// TrackingKey returns the installation's link token key, created on first use; every
// instance on the database reads the same one.
func (s *Store) TrackingKey(ctx context.Context) ([]byte, error) {
	return s.secret.Get(ctx, s.db.Collection(settingsCollection), trackingKeyID)
}
