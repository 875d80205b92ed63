// Package journeystore keeps customer journeys (internal/journey): their heads
// (journeys), their versions (journey_versions, "journey:v3", the definition as JSON)
// and the customers' positions (journey_positions, "journey:profile", the steps visited
// and the runs as JSON: one value to encode where FerretDB pays per array element).
// Every read and write is by bare _id, except the one pass over the positions at start
// and the list of journey ids, kept in process where only _id lookups are indexed.
package journeystore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tessera-cdp/tessera/internal/journey"
	"github.com/tessera-cdp/tessera/internal/store/dbkit"
)

// Collections.
const (
	JourneysCollection  = "journeys"
	VersionsCollection  = "journey_versions"
	PositionsCollection = "journey_positions"
	maxAttempts         = 20
)

// Store is the journey store.
type Store struct {
	db *mongo.Database
	b  *dbkit.Backend
}

var _ journey.Store = (*Store)(nil)

// New wraps a database on the given backend.
func New(db *mongo.Database, b *dbkit.Backend) *Store { return &Store{db: db, b: b} }

func (s *Store) journeys() *mongo.Collection  { return s.db.Collection(JourneysCollection) }
func (s *Store) versions() *mongo.Collection  { return s.db.Collection(VersionsCollection) }
func (s *Store) positions() *mongo.Collection { return s.db.Collection(PositionsCollection) }

type journeyDoc struct {
	ID        string    `bson:"_id"`
	Name      string    `bson:"name"`
	Status    string    `bson:"status"`
	Live      int       `bson:"live"`
	Latest    int       `bson:"latest"`
	Secret    string    `bson:"secret"`
	CreatedAt time.Time `bson:"createdAt"`
	UpdatedAt time.Time `bson:"updatedAt"`
	CreatedBy string    `bson:"createdBy,omitempty"`
	Rev       int64     `bson:"rev"`
}

func toJourneyDoc(j journey.Journey) journeyDoc {
	return journeyDoc{ID: j.ID, Name: j.Name, Status: string(j.Status), Live: j.Live, Latest: j.Latest, Secret: j.Secret,
		CreatedAt: j.CreatedAt, UpdatedAt: j.UpdatedAt, CreatedBy: j.CreatedBy, Rev: j.Rev}
}

func (d journeyDoc) journey() journey.Journey {
	return journey.Journey{ID: d.ID, Name: d.Name, Status: journey.Status(d.Status), Live: d.Live, Latest: d.Latest, Secret: d.Secret,
		CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC(), CreatedBy: d.CreatedBy, Rev: d.Rev}
}

type versionDoc struct {
	ID          string    `bson:"_id"`
	JourneyID   string    `bson:"journeyId"`
	N           int       `bson:"n"`
	Def         string    `bson:"def"`
	CreatedAt   time.Time `bson:"createdAt"`
	PublishedAt time.Time `bson:"publishedAt,omitempty"`
}

type intentDoc struct {
	Step    string    `bson:"step"`
	Attempt int       `bson:"attempt"`
	At      time.Time `bson:"at"`
	Claimed bool      `bson:"claimed,omitempty"`
	Error   string    `bson:"error,omitempty"`
}

type positionDoc struct {
	ID        string     `bson:"_id"`
	JourneyID string     `bson:"journeyId"`
	ProfileID string     `bson:"profileId"`
	Run       int        `bson:"run"`
	Version   int        `bson:"version"`
	Step      string     `bson:"step"`
	Status    string     `bson:"status"`
	WakeAt    time.Time  `bson:"wakeAt,omitempty"`
	Pending   *intentDoc `bson:"pending,omitempty"`
	Visits    string     `bson:"visits"`
	Runs      string     `bson:"runs"`
	Trigger   string     `bson:"trigger,omitempty"`
	UpdatedAt time.Time  `bson:"updatedAt"`
	Rev       int64      `bson:"rev"`
}

func toPositionDoc(p journey.Position) (positionDoc, error) {
	visits, err := json.Marshal(p.Visits)
	if err != nil {
		return positionDoc{}, err
	}
	runs, err := json.Marshal(p.Runs)
	if err != nil {
		return positionDoc{}, err
	}
	d := positionDoc{ID: p.ID, JourneyID: p.JourneyID, ProfileID: p.ProfileID, Run: p.Run, Version: p.Version, Step: p.Step, Status: string(p.Status),
		WakeAt: p.WakeAt, Visits: string(visits), Runs: string(runs), Trigger: p.Trigger, UpdatedAt: p.UpdatedAt, Rev: p.Rev}
	if i := p.Pending; i != nil {
		d.Pending = &intentDoc{Step: i.Step, Attempt: i.Attempt, At: i.At, Claimed: i.Claimed, Error: i.Error}
	}
	return d, nil
}

func (d positionDoc) position() (journey.Position, error) {
	p := journey.Position{ID: d.ID, JourneyID: d.JourneyID, ProfileID: d.ProfileID, Run: d.Run, Version: d.Version, Step: d.Step,
		Status: journey.PositionStatus(d.Status), WakeAt: d.WakeAt.UTC(), Trigger: d.Trigger, UpdatedAt: d.UpdatedAt.UTC(), Rev: d.Rev}
	if i := d.Pending; i != nil {
		p.Pending = &journey.Intent{Step: i.Step, Attempt: i.Attempt, At: i.At.UTC(), Claimed: i.Claimed, Error: i.Error}
	}
	if err := json.Unmarshal([]byte(d.Visits), &p.Visits); err != nil {
		return p, fmt.Errorf("position %s: visits: %w", d.ID, err)
	}
	if err := json.Unmarshal([]byte(d.Runs), &p.Runs); err != nil {
		return p, fmt.Errorf("position %s: runs: %w", d.ID, err)
	}
	return p, nil
}

// idIndex is the in-process list of journey ids where filters scan.
type idIndex struct{ dbkit.IDs }

func (s *Store) idIndex() *idIndex { return dbkit.Shared(s.db, func() *idIndex { return &idIndex{} }) }

// InsertJourney stores a new journey.
func (s *Store) InsertJourney(ctx context.Context, j journey.Journey) error {
	if _, err := s.journeys().InsertOne(ctx, toJourneyDoc(j)); err != nil {
		return err
	}
	if !s.b.IndexedFilters {
		s.idIndex().Add(j.ID)
	}
	return nil
}

// GetJourney reads a journey by bare _id.
func (s *Store) GetJourney(ctx context.Context, id string) (journey.Journey, error) {
	var d journeyDoc
	if err := s.journeys().FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d); err != nil {
		return journey.Journey{}, dbkit.NotFound(err, "journey %q not found", id)
	}
	return d.journey(), nil
}

// ListJourneys lists every journey, newest first (ids are time-ordered).
func (s *Store) ListJourneys(ctx context.Context) ([]journey.Journey, error) {
	docs, err := dbkit.ListAll[journeyDoc](ctx, s.b, s.journeys(), &s.idIndex().IDs)
	if err != nil {
		return nil, err
	}
	out := make([]journey.Journey, len(docs))
	for i, d := range docs {
		out[i] = d.journey()
	}
	slices.SortFunc(out, func(a, b journey.Journey) int { return strings.Compare(b.ID, a.ID) })
	return out, nil
}

// UpdateJourney is a read-modify-write of one journey: under the process's guard and by
// bare _id on FerretDB, conditional on the rev read on MongoDB (a lost race reads again).
func (s *Store) UpdateJourney(ctx context.Context, id string, change func(*journey.Journey) error) (journey.Journey, error) {
	return dbkit.UpdateByRev(ctx, s.b, s.journeys(), "journeys", id, s.GetJourney, change,
		func(v *journey.Journey) *int64 { return &v.Rev }, func(v journey.Journey) any { return toJourneyDoc(v) })
}

// PutVersion writes a version by bare _id (an upsert).
func (s *Store) PutVersion(ctx context.Context, v journey.Version) error {
	def, err := json.Marshal(v.Def)
	if err != nil {
		return err
	}
	d := versionDoc{ID: journey.VersionID(v.JourneyID, v.N), JourneyID: v.JourneyID, N: v.N, Def: string(def), CreatedAt: v.CreatedAt, PublishedAt: v.PublishedAt}
	_, err = s.versions().ReplaceOne(ctx, bson.D{{Key: "_id", Value: d.ID}}, d, options.Replace().SetUpsert(true))
	return err
}

// GetVersions reads versions by bare _id, in the order of ns; missing ones are left out.
func (s *Store) GetVersions(ctx context.Context, journeyID string, ns []int) ([]journey.Version, error) {
	ids := make([]string, len(ns))
	for i, n := range ns {
		ids[i] = journey.VersionID(journeyID, n)
	}
	docs, err := dbkit.PointReads[versionDoc](ctx, s.versions(), ids)
	if err != nil {
		return nil, err
	}
	byN := map[int]journey.Version{}
	for _, d := range docs {
		v := journey.Version{JourneyID: d.JourneyID, N: d.N, CreatedAt: d.CreatedAt.UTC()}
		if !d.PublishedAt.IsZero() {
			v.PublishedAt = d.PublishedAt.UTC()
		}
		if err := json.Unmarshal([]byte(d.Def), &v.Def); err != nil {
			return nil, fmt.Errorf("journey version %s: %w", d.ID, err)
		}
		byN[d.N] = v
	}
	out := make([]journey.Version, 0, len(byN))
	for _, n := range ns {
		if v, ok := byN[n]; ok {
			out = append(out, v)
		}
	}
	return out, nil
}

// InsertPosition creates a position unless its id is taken (false).
func (s *Store) InsertPosition(ctx context.Context, p journey.Position) (bool, error) {
	d, err := toPositionDoc(p)
	if err != nil {
		return false, err
	}
	if _, err := s.positions().InsertOne(ctx, d); err != nil {
		if mongo.IsDuplicateKeyError(err) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

func (s *Store) getPosition(ctx context.Context, id string) (journey.Position, error) {
	var d positionDoc
	if err := s.positions().FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d); err != nil {
		return journey.Position{}, dbkit.NotFound(err, "journey position %q not found", id)
	}
	return d.position()
}

// UpdatePosition is a read-modify-write of one position, like UpdateJourney.
func (s *Store) UpdatePosition(ctx context.Context, id string, change func(*journey.Position) error) (journey.Position, error) {
	defer s.b.Guard("journey_positions")()
	for range maxAttempts {
		p, err := s.getPosition(ctx, id)
		if err != nil {
			return journey.Position{}, err
		}
		if err := change(&p); err != nil {
			return journey.Position{}, err
		}
		prev := p.Rev
		p.Rev++
		d, err := toPositionDoc(p)
		if err != nil {
			return journey.Position{}, err
		}
		f := bson.D{{Key: "_id", Value: id}}
		if s.b.AtomicUpdates {
			f = append(f, bson.E{Key: "rev", Value: prev})
		}
		res, err := s.positions().ReplaceOne(ctx, f, d)
		if err != nil {
			return journey.Position{}, err
		}
		if res.MatchedCount == 1 {
			return p, nil
		}
	}
	return journey.Position{}, fmt.Errorf("journey position %s: too many concurrent writers", id)
}

// Positions reads every position once (the engine's start).
func (s *Store) Positions(ctx context.Context, fn func(journey.Position) error) error {
	cur, err := s.positions().Find(ctx, bson.D{})
	if err != nil {
		return err
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var d positionDoc
		if err := cur.Decode(&d); err != nil {
			return err
		}
		p, err := d.position()
		if err != nil {
			return err
		}
		if err := fn(p); err != nil {
			return err
		}
	}
	return cur.Err()
}
