// Package surveystore keeps surveys, every request-path read and write a bare _id
// operation:
//
//	survey_sends     _id = kind|trigger type|trigger id: the send ledger, with the answer
//	survey_profiles  _id = profile id: the sends of a customer, when each kind was last
//	                 sent (the frequency cap), the latest answer per kind
//	survey_settings  _id = "settings" (which trigger sends what, the caps) and
//	                 "token-key" (the key of answer links)
//
// The one scan, of the answered sends, builds the NPS aggregate at start.
package surveystore

import (
	"context"
	"crypto/rand"
	"errors"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tessera-cdp/tessera/internal/commerce/c360"
	"github.com/tessera-cdp/tessera/internal/store/dbkit"
	"github.com/tessera-cdp/tessera/internal/survey"
)

// Collections.
const (
	SendsCollection    = "survey_sends"
	ProfilesCollection = "survey_profiles"
	SettingsCollection = "survey_settings"
	settingsID         = "settings"
	tokenKeyID         = "token-key"
)

var _ survey.Store = (*Store)(nil)

// Store holds the survey collections.
type Store struct {
	sends, profiles, settings *mongo.Collection
}

// New wraps a database.
func New(db *mongo.Database) *Store {
	return &Store{sends: db.Collection(SendsCollection), profiles: db.Collection(ProfilesCollection), settings: db.Collection(SettingsCollection)}
}

type answerDoc struct {
	Score     int       `bson:"score"`
	Comment   string    `bson:"comment,omitempty"`
	At        time.Time `bson:"at"`
	UpdatedAt time.Time `bson:"updatedAt"`
}

type sendDoc struct {
	ID          string     `bson:"_id"`
	Kind        string     `bson:"kind"`
	ProfileID   string     `bson:"profileId"`
	TriggerType string     `bson:"triggerType"`
	TriggerID   string     `bson:"triggerId"`
	To          string     `bson:"to,omitempty"`
	State       string     `bson:"state"`
	Reason      string     `bson:"reason,omitempty"`
	CreatedAt   time.Time  `bson:"createdAt"`
	SentAt      *time.Time `bson:"sentAt,omitempty"`
	Answer      *answerDoc `bson:"answer,omitempty"`
}

func toDoc(s survey.Send) sendDoc {
	d := sendDoc{ID: s.ID, Kind: string(s.Kind), ProfileID: s.ProfileID, TriggerType: s.TriggerType, TriggerID: s.TriggerID, To: s.To,
		State: string(s.State), Reason: s.Reason, CreatedAt: s.CreatedAt.UTC()}
	if !s.SentAt.IsZero() {
		t := s.SentAt.UTC()
		d.SentAt = &t
	}
	if a := s.Answer; a != nil {
		d.Answer = &answerDoc{Score: a.Score, Comment: a.Comment, At: a.At.UTC(), UpdatedAt: a.UpdatedAt.UTC()}
	}
	return d
}

func (d sendDoc) domain() survey.Send {
	s := survey.Send{ID: d.ID, Kind: survey.Kind(d.Kind), ProfileID: d.ProfileID, TriggerType: d.TriggerType, TriggerID: d.TriggerID, To: d.To,
		State: survey.State(d.State), Reason: d.Reason, CreatedAt: d.CreatedAt}
	if d.SentAt != nil {
		s.SentAt = *d.SentAt
	}
	if a := d.Answer; a != nil {
		s.Answer = &survey.Answer{Score: a.Score, Comment: a.Comment, At: a.At, UpdatedAt: a.UpdatedAt}
	}
	return s
}

// Claim inserts a send; the unique _id decides between two senders.
func (s *Store) Claim(ctx context.Context, x survey.Send) (bool, error) {
	_, err := s.sends.InsertOne(ctx, toDoc(x))
	if mongo.IsDuplicateKeyError(err) {
		return false, nil
	}
	return err == nil, err
}

// Put replaces a send.
func (s *Store) Put(ctx context.Context, x survey.Send) error {
	_, err := s.sends.ReplaceOne(ctx, bson.D{{Key: "_id", Value: x.ID}}, toDoc(x), options.Replace().SetUpsert(true))
	return err
}

// Get reads a send.
func (s *Store) Get(ctx context.Context, id string) (survey.Send, error) {
	var d sendDoc
	err := s.sends.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return survey.Send{}, survey.ErrNotFound
	}
	return d.domain(), err
}

// GetMany reads sends by _id point reads.
func (s *Store) GetMany(ctx context.Context, ids []string) ([]survey.Send, error) {
	docs, err := dbkit.PointReads[sendDoc](ctx, s.sends, dbkit.Uniq(ids))
	out := make([]survey.Send, 0, len(docs))
	for _, d := range docs {
		out = append(out, d.domain())
	}
	return out, err
}

// Delete removes a send.
func (s *Store) Delete(ctx context.Context, id string) error {
	_, err := s.sends.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}})
	return err
}

type latestDoc struct {
	SendID string    `bson:"sendId"`
	Score  int       `bson:"score"`
	At     time.Time `bson:"at"`
}

type summaryDoc struct {
	ID       string               `bson:"_id"`
	Sends    []string             `bson:"sends,omitempty"`
	LastSent map[string]time.Time `bson:"lastSent,omitempty"`
	Latest   map[string]latestDoc `bson:"latest,omitempty"`
}

// Summary reads a profile's summary (empty when none).
func (s *Store) Summary(ctx context.Context, profileID string) (survey.Summary, error) {
	var d summaryDoc
	err := s.profiles.FindOne(ctx, bson.D{{Key: "_id", Value: profileID}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return survey.Summary{ProfileID: profileID}, nil
	}
	if err != nil {
		return survey.Summary{}, err
	}
	out := survey.Summary{ProfileID: d.ID, Sends: d.Sends}
	for k, t := range d.LastSent {
		if out.LastSent == nil {
			out.LastSent = map[survey.Kind]time.Time{}
		}
		out.LastSent[survey.Kind(k)] = t
	}
	for k, l := range d.Latest {
		if out.Latest == nil {
			out.Latest = map[survey.Kind]survey.Latest{}
		}
		out.Latest[survey.Kind(k)] = survey.Latest{SendID: l.SendID, Score: l.Score, At: l.At}
	}
	return out, nil
}

// PutSummary replaces a profile's summary.
func (s *Store) PutSummary(ctx context.Context, x survey.Summary) error {
	d := summaryDoc{ID: x.ProfileID, Sends: x.Sends}
	for k, t := range x.LastSent {
		if d.LastSent == nil {
			d.LastSent = map[string]time.Time{}
		}
		d.LastSent[string(k)] = t.UTC()
	}
	for k, l := range x.Latest {
		if d.Latest == nil {
			d.Latest = map[string]latestDoc{}
		}
		d.Latest[string(k)] = latestDoc{SendID: l.SendID, Score: l.Score, At: l.At.UTC()}
	}
	_, err := s.profiles.ReplaceOne(ctx, bson.D{{Key: "_id", Value: d.ID}}, d, options.Replace().SetUpsert(true))
	return err
}

// DeleteSummaries removes profiles' summaries, one bare-_id delete each.
func (s *Store) DeleteSummaries(ctx context.Context, ids []string) error {
	for _, id := range ids {
		if _, err := s.profiles.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}}); err != nil {
			return err
		}
	}
	return nil
}

type settingsDoc struct {
	ID               string         `bson:"_id"`
	OnTicketSolved   string         `bson:"onTicketSolved"`
	OnOrderDelivered string         `bson:"onOrderDelivered"`
	CapDays          map[string]int `bson:"capDays"`
}

// Settings reads the settings (ok false when never set).
func (s *Store) Settings(ctx context.Context) (survey.Settings, bool, error) {
	var d settingsDoc
	err := s.settings.FindOne(ctx, bson.D{{Key: "_id", Value: settingsID}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return survey.Settings{}, false, nil
	}
	if err != nil {
		return survey.Settings{}, false, err
	}
	out := survey.Settings{OnTicketSolved: survey.Kind(d.OnTicketSolved), OnOrderDelivered: survey.Kind(d.OnOrderDelivered), CapDays: map[survey.Kind]int{}}
	for k, v := range d.CapDays {
		out.CapDays[survey.Kind(k)] = v
	}
	return out, true, nil
}

// PutSettings stores the settings.
func (s *Store) PutSettings(ctx context.Context, x survey.Settings) error {
	d := settingsDoc{ID: settingsID, OnTicketSolved: string(x.OnTicketSolved), OnOrderDelivered: string(x.OnOrderDelivered), CapDays: map[string]int{}}
	for k, v := range x.CapDays {
		d.CapDays[string(k)] = v
	}
	_, err := s.settings.ReplaceOne(ctx, bson.D{{Key: "_id", Value: settingsID}}, d, options.Replace().SetUpsert(true))
	return err
}

// TokenKey returns the key of answer links, created by the first instance to ask (the
// insert decides a race).
func (s *Store) TokenKey(ctx context.Context) ([]byte, error) {
	for range 2 {
		var d struct {
			Key []byte `bson:"key"`
		}
		err := s.settings.FindOne(ctx, bson.D{{Key: "_id", Value: tokenKeyID}}).Decode(&d)
		if err == nil {
			return d.Key, nil
		}
		if !errors.Is(err, mongo.ErrNoDocuments) {
			return nil, err
		}
		key := make([]byte, 32)
		rand.Read(key)
		if _, err := s.settings.InsertOne(ctx, bson.D{{Key: "_id", Value: tokenKeyID}, {Key: "key", Value: key}}); err != nil && !mongo.IsDuplicateKeyError(err) {
			return nil, err
		}
	}
	return nil, errors.New("survey token key: not readable after creation")
}

// Answered calls fn with every answered send: a scan, run once at start.
func (s *Store) Answered(ctx context.Context, fn func(survey.Send)) error {
	cur, err := s.sends.Find(ctx, bson.D{}, options.Find().SetBatchSize(2000))
	if err != nil {
		return err
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var d sendDoc
		if err := cur.Decode(&d); err != nil {
			return err
		}
		if d.Answer != nil {
			fn(d.domain())
		}
	}
	return cur.Err()
}

// ItemSurvey is the timeline kind of survey answers; the item's channel is "email",
// its type the survey kind (nps, csat), its Extra the survey.Send.
const ItemSurvey = "survey"

// Timeline is a c360.TimelineSource of survey answers: the summary's sends, by _id.
type Timeline struct{ Store *Store }

var _ c360.TimelineSource = Timeline{}

// Page returns up to limit answers after from, newest first.
func (t Timeline) Page(ctx context.Context, profileID string, from *c360.Position, f c360.TimelineFilter, limit int) ([]c360.TimelineItem, error) {
	sum, err := t.Store.Summary(ctx, profileID)
	if err != nil || len(sum.Sends) == 0 {
		return nil, err
	}
	sends, err := t.Store.GetMany(ctx, sum.Sends)
	if err != nil {
		return nil, err
	}
	var out []c360.TimelineItem
	for _, s := range sends {
		if s.Answer == nil {
			continue
		}
		it := c360.TimelineItem{Kind: ItemSurvey, ID: s.ID, At: s.Answer.At, Channel: "email", Type: string(s.Kind), Extra: s}
		if f.Allows(it.Channel, it.Type) && from.Includes(it) {
			out = append(out, it)
		}
	}
	slices.SortFunc(out, func(a, b c360.TimelineItem) int {
		if c := b.At.Compare(a.At); c != 0 {
			return c
		}
		switch {
		case a.ID > b.ID:
			return -1
		case a.ID < b.ID:
			return 1
		}
		return 0
	})
	return out[:min(len(out), limit)], nil
}
