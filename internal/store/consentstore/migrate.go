package consentstore

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tessera-cdp/tessera/internal/consent"
)

const (
	migrationsCollection = "schema_migrations"
	attributesMigration  = "consent_attributes_v1"
	// progressEvery is how many records the migration writes between saves of its place.
	progressEvery = 100
)

type migrationDoc struct {
	ID         string    `bson:"_id"`
	After      string    `bson:"after"` // the last profile id migrated
	Done       bool      `bson:"done"`
	Profiles   int       `bson:"profiles"`
	Statements int       `bson:"statements"`
	At         time.Time `bson:"at"`
}

// Migration reports what MigrateAttributes did.
type Migration struct {
	Profiles, Statements int
	// Already: the migration had finished on an earlier start.
	Already bool
}

type pending struct {
	id      string
	entries []consent.Entry
}

// MigrateAttributes turns the consent_<channel> attributes of live profiles into
// marketing statements (consent.FromAttributes), once: a marker in schema_migrations
// says it is done. It reads the profiles in one projected scan, then writes the
// records in profile id order, saving its place every progressEvery profiles, so a
// start after a crash goes on where it stopped; a statement already recorded (by its
// entry id) is not recorded again, and one older than a later statement only joins the
// history. changed hears the profiles it wrote (nil: nobody).
func (s *Store) MigrateAttributes(ctx context.Context, changed func(ids []string)) (Migration, error) {
	marks := s.db.Collection(migrationsCollection)
	var m migrationDoc
	err := marks.FindOne(ctx, bson.D{{Key: "_id", Value: attributesMigration}}).Decode(&m)
	switch {
	case err == nil && m.Done:
		return Migration{Profiles: m.Profiles, Statements: m.Statements, Already: true}, nil
	case err != nil && !errors.Is(err, mongo.ErrNoDocuments):
		return Migration{}, err
	}
	m.ID = attributesMigration
	now := time.Now().UTC()
	todo, err := s.attributeStatements(ctx, m.After, now)
	if err != nil {
		return Migration{}, err
	}
	save := func() error {
		m.At = time.Now().UTC()
		_, err := marks.ReplaceOne(ctx, bson.D{{Key: "_id", Value: attributesMigration}}, m, options.Replace().SetUpsert(true))
		return err
	}
	var batch []string
	for i, p := range todo {
		if _, err := s.Update(ctx, p.id, func(r *consent.Record) (bool, error) {
			changed := false
			for _, e := range p.entries {
				if r.Record(e) {
					changed = true
				}
			}
			return changed, nil
		}); err != nil {
			return Migration{}, err
		}
		m.After, m.Profiles, m.Statements = p.id, m.Profiles+1, m.Statements+len(p.entries)
		batch = append(batch, p.id)
		if (i+1)%progressEvery == 0 {
			if err := save(); err != nil {
				return Migration{}, err
			}
			if changed != nil {
				changed(batch)
			}
			batch = nil
		}
	}
	m.Done = true
	if err := save(); err != nil {
		return Migration{}, err
	}
	if changed != nil && len(batch) > 0 {
		changed(batch)
	}
	return Migration{Profiles: m.Profiles, Statements: m.Statements}, nil
}

// attributeStatements scans the profiles once and returns, in id order, the live ones
// after after with consent_<channel> attributes and the statements those make.
func (s *Store) attributeStatements(ctx context.Context, after string, now time.Time) ([]pending, error) {
	proj := bson.D{{Key: "mergedInto", Value: 1}, {Key: "updatedAt", Value: 1}, {Key: "traits.attributes", Value: 1}, {Key: "provenance", Value: 1}}
	cur, err := s.db.Collection("profiles").Find(ctx, bson.D{}, options.Find().SetProjection(proj).SetBatchSize(2000))
	if err != nil {
		return nil, err
	}
	defer cur.Close(ctx)
	var out []pending
	for cur.Next(ctx) {
		raw := cur.Current
		id, ok := raw.Lookup("_id").StringValueOK()
		if !ok || id <= after {
			continue
		}
		if _, err := raw.LookupErr("mergedInto"); err == nil {
			continue // its records, and so its attributes, are the survivor's
		}
		attrs, ok := raw.Lookup("traits", "attributes").DocumentOK()
		if !ok {
			continue
		}
		els, _ := attrs.Elements()
		vals := map[string]any{}
		for _, e := range els {
			if strings.HasPrefix(e.Key(), consent.AttributePrefix) {
				vals[e.Key()] = plain(e.Value())
			}
		}
		if len(vals) == 0 {
			continue
		}
		origins := map[string]consent.AttributeOrigin{}
		if arr, ok := raw.Lookup("provenance").ArrayOK(); ok {
			pvs, _ := arr.Values()
			for _, pv := range pvs {
				d, ok := pv.DocumentOK()
				if !ok {
					continue
				}
				field, _ := d.Lookup("field").StringValueOK()
				k, isAttr := strings.CutPrefix(field, "attributes.")
				if _, want := vals[k]; !isAttr || !want {
					continue
				}
				o := consent.AttributeOrigin{}
				o.Source, _ = d.Lookup("source").StringValueOK()
				o.RecordID, _ = d.Lookup("recordId").StringValueOK()
				if ms, ok := d.Lookup("receivedAt").DateTimeOK(); ok {
					o.At = time.UnixMilli(ms).UTC()
				}
				origins[k] = o
			}
		}
		fallback := now
		if ms, ok := raw.Lookup("updatedAt").DateTimeOK(); ok {
			fallback = time.UnixMilli(ms).UTC()
		}
		if es := consent.FromAttributes(vals, origins, fallback, now); len(es) > 0 {
			out = append(out, pending{id: id, entries: es})
		}
	}
	if err := cur.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b pending) int { return strings.Compare(a.id, b.id) })
	return out, nil
}

// plain turns a raw attribute value into the Go values consent.AttributeStatus reads.
func plain(v bson.RawValue) any {
	switch v.Type {
	case bson.TypeBoolean:
		return v.Boolean()
	case bson.TypeInt32:
		return v.Int32()
	case bson.TypeInt64:
		return v.Int64()
	case bson.TypeDouble:
		return v.Double()
	case bson.TypeString:
		return v.StringValue()
	case bson.TypeArray:
		vals, _ := v.Array().Values()
		out := make([]any, len(vals))
		for i, x := range vals {
			out[i] = plain(x)
		}
		return out
	}
	return nil
}
