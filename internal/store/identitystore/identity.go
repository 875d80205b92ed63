package identitystore

import (
	"maps"
	"regexp"
	"slices"

	"github.com/tessera-cdp/tessera/internal/store/dbkit"

	"context"
	"time"

	"github.com/tessera-cdp/tessera/internal/customer"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tessera-cdp/tessera/internal/identity"
	"github.com/tessera-cdp/tessera/internal/profile"
)

var _ identity.Store = (*Store)(nil)

func (s *Store) GetIdentities(ctx context.Context, keys []string) ([]profile.Identity, error) {
	return dbkit.InBatches[profile.Identity](ctx, s.b, s.identities, "_id", keys)
}

// IdentitiesOfProfiles returns the identities that point at the profiles. MongoDB
// answers from the profileId index; where that filter would scan (FerretDB) the
// profiles' identifier lists are read by _id and each identity checked.
func (s *Store) IdentitiesOfProfiles(ctx context.Context, ids []string) ([]profile.Identity, error) {
	if s.b.IndexedFilters || len(ids) == 0 {
		return dbkit.InBatches[profile.Identity](ctx, s.b, s.identities, "profileId", ids)
	}
	ps, err := profile.ReadShared(ctx, ids, s.GetProfiles) // the customer's own read, in a query
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, p := range ps {
		keys = append(keys, p.Identifiers...)
	}
	all, err := s.GetIdentities(ctx, keys)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, it := range all {
		if slices.Contains(ids, it.ProfileID) {
			out = append(out, it)
		}
	}
	return out, nil
}

func (s *Store) GetProfiles(ctx context.Context, ids []string) ([]profile.Profile, error) {
	return dbkit.InBatches[profile.Profile](ctx, s.b, s.profiles, "_id", ids)
}

// InsertProfiles inserts new profiles; one that exists already (a retried batch reuses
// its new ids) is a duplicate key, which is fine.
func (s *Store) InsertProfiles(ctx context.Context, ps []profile.Profile) error {
	if _, err := dbkit.InsertNew(ctx, s.profiles, ps); err != nil {
		return err
	}
	s.indexProfiles(ps)
	return nil
}

func (s *Store) DeleteProfiles(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := s.profiles.DeleteMany(ctx, bson.M{"_id": bson.M{"$in": ids}})
	s.unindex(ids...)
	return err
}

// InsertRecords inserts resolved records; one that a concurrent request stored first is
// overwritten with this version (the same content by then, or a newer one).
func (s *Store) InsertRecords(ctx context.Context, rs []profile.Record) ([]string, error) {
	for _, r := range rs { // before the write: a crash after it must not leave one out
		s.knowRecords(r.ID)
	}
	dups, err := dbkit.InsertNew(ctx, s.records, rs)
	if err != nil {
		return nil, err
	}
	var ms []mongo.WriteModel
	ids := make([]string, len(dups))
	for n, i := range dups {
		ids[n] = rs[i].ID
		ms = append(ms, mongo.NewReplaceOneModel().SetFilter(bson.M{"_id": rs[i].ID}).SetReplacement(rs[i]))
	}
	return ids, dbkit.Bulk(ctx, s.b, s.records, ms)
}

func (s *Store) ClaimIdentities(ctx context.Context, ids []profile.Identity) ([]string, error) {
	for _, it := range ids {
		s.knowIdentities(it.ID)
	}
	dups, err := dbkit.InsertNew(ctx, s.identities, ids)
	if err != nil {
		return nil, err
	}
	taken := make([]string, len(dups))
	for i, d := range dups {
		taken[i] = ids[d].ID
	}
	return taken, nil
}

func (s *Store) AddIdentitySources(ctx context.Context, sources map[string][]string) error {
	var ms []mongo.WriteModel
	for k, srcs := range sources {
		ms = append(ms, mongo.NewUpdateOneModel().SetFilter(bson.M{"_id": k}).SetUpdate(bson.M{"$addToSet": bson.M{"sources": bson.M{"$each": srcs}}}))
	}
	return dbkit.Bulk(ctx, s.b, s.identities, ms)
}

func (s *Store) SetIdentityOwners(ctx context.Context, ids []profile.Identity) error {
	var ms []mongo.WriteModel
	for _, it := range ids {
		s.knowIdentities(it.ID)
		ms = append(ms, mongo.NewUpdateOneModel().SetFilter(bson.M{"_id": it.ID}).SetUpsert(true).SetUpdate(bson.M{
			"$set":         bson.M{"profileId": it.ProfileID, "sources": it.Sources},
			"$setOnInsert": bson.M{"type": it.Type, "value": it.Value, "firstSeen": it.FirstSeen},
		}))
	}
	return dbkit.Bulk(ctx, s.b, s.identities, ms)
}

func (s *Store) MarkMerged(ctx context.Context, absorbed, survivor string, at time.Time) (bool, error) {
	set := bson.M{"$set": bson.M{"mergedInto": survivor, "updatedAt": at}, "$inc": bson.M{"rev": 1}}
	if !s.b.AtomicUpdates || !s.b.IndexedFilters {
		// FerretDB scans the collection for any filter but a bare _id, and its updates
		// are read-modify-write anyway (graph writes are serialised there), so check
		// first and update by _id.
		ps, err := s.GetProfiles(ctx, []string{absorbed})
		if err != nil || (len(ps) == 1 && ps[0].MergedInto != "") {
			return false, err
		}
		r, err := s.profiles.UpdateOne(ctx, bson.M{"_id": absorbed}, set)
		if err != nil {
			return false, err
		}
		s.unindex(absorbed)
		return r.ModifiedCount == 1, nil
	}
	r, err := s.profiles.UpdateOne(ctx, bson.M{"_id": absorbed, "mergedInto": bson.M{"$exists": false}}, set)
	if err != nil {
		return false, err
	}
	return r.ModifiedCount == 1, nil
}

func (s *Store) Repoint(ctx context.Context, from []string, to string, keys []string) error {
	olds, err := s.GetProfiles(ctx, from)
	if err != nil {
		return err
	}
	var recIDs []string
	keys = slices.Clone(keys)
	for _, p := range olds {
		recIDs = append(recIDs, p.RecordIDs...)
		keys = append(keys, p.Identifiers...)
	}
	if len(recIDs) > 0 {
		if _, err := s.profiles.UpdateOne(ctx, bson.M{"_id": to}, bson.M{"$addToSet": bson.M{"recordIds": bson.M{"$each": recIDs}}}); err != nil {
			return err
		}
	}
	if !s.b.IndexedFilters {
		// By the absorbed profiles' hints, with bare-_id updates: a profileId filter
		// scans both collections on FerretDB. Anything a hint missed still points at an
		// absorbed profile, which readers follow to the survivor.
		if err := repointByID[profile.Identity](ctx, s.b, s.identities, keys, from, to, func(i profile.Identity) (string, string) { return i.ID, i.ProfileID }); err != nil {
			return err
		}
		return repointByID[profile.Record](ctx, s.b, s.records, recIDs, from, to, func(r profile.Record) (string, string) { return r.ID, r.ProfileID })
	}
	f := bson.M{"profileId": bson.M{"$in": from}}
	if _, err := s.identities.UpdateMany(ctx, f, bson.M{"$set": bson.M{"profileId": to}}); err != nil {
		return err
	}
	_, err = s.records.UpdateMany(ctx, f, bson.M{"$set": bson.M{"profileId": to}})
	return err
}

// repointByID moves the documents among ids that point at one of from to the profile to.
func repointByID[T any](ctx context.Context, b *dbkit.Backend, c *mongo.Collection, ids, from []string, to string, key func(T) (id, profileID string)) error {
	docs, err := dbkit.InBatches[T](ctx, b, c, "_id", ids)
	if err != nil {
		return err
	}
	var ms []mongo.WriteModel
	for _, d := range docs {
		if id, pid := key(d); slices.Contains(from, pid) {
			ms = append(ms, mongo.NewUpdateOneModel().SetFilter(bson.M{"_id": id}).SetUpdate(bson.M{"$set": bson.M{"profileId": to}}))
		}
	}
	return dbkit.Bulk(ctx, b, c, ms)
}

func (s *Store) AssignRecords(ctx context.Context, as []identity.Assignment) error {
	var ms []mongo.WriteModel
	for _, a := range as {
		set := bson.M{"profileId": a.ProfileID, "dropped": a.Dropped}
		if a.Origin != "" {
			set["originProfileId"] = a.Origin
		}
		ms = append(ms, mongo.NewUpdateOneModel().SetFilter(bson.M{"_id": a.RecordID}).SetUpdate(bson.M{"$set": set}))
	}
	return dbkit.Bulk(ctx, s.b, s.records, ms)
}

func (s *Store) UpdateProfiles(ctx context.Context, ds []identity.Delta) error {
	var ms []mongo.WriteModel
	for _, d := range ds {
		u := bson.M{"$set": bson.M{"updatedAt": d.At}, "$inc": bson.M{"rev": 1}}
		add := bson.M{}
		if len(d.AddIdentifiers) > 0 {
			add["identifiers"] = bson.M{"$each": d.AddIdentifiers}
		}
		if len(d.AddKeepApart) > 0 {
			add["keepApart"] = bson.M{"$each": d.AddKeepApart}
		}
		if len(d.AddRecords) > 0 {
			add["recordIds"] = bson.M{"$each": d.AddRecords}
		}
		if len(add) > 0 {
			u["$addToSet"] = add
		}
		if len(d.History) > 0 {
			u["$push"] = bson.M{"history": bson.M{"$each": d.History}}
		}
		ms = append(ms, mongo.NewUpdateOneModel().SetFilter(bson.M{"_id": d.ID}).SetUpdate(u).SetUpsert(true))
	}
	return dbkit.Bulk(ctx, s.b, s.profiles, ms)
}

func (s *Store) ReplaceProfiles(ctx context.Context, ps []profile.Profile) error {
	var ms []mongo.WriteModel
	for _, p := range ps {
		ms = append(ms, mongo.NewReplaceOneModel().SetFilter(bson.M{"_id": p.ID}).SetReplacement(p).SetUpsert(true))
	}
	if err := dbkit.Bulk(ctx, s.b, s.profiles, ms); err != nil {
		return err
	}
	s.indexProfiles(ps)
	return nil
}

// RecordsOfProfiles returns the records resolved into the profiles. MongoDB answers
// from the profileId index; FerretDB would scan every record, so there the profiles'
// RecordIDs hints are read by _id and checked (profiles from before the hint existed
// take the scan).
func (s *Store) RecordsOfProfiles(ctx context.Context, ids []string) ([]profile.Record, error) {
	if s.b.IndexedFilters || len(ids) == 0 {
		return dbkit.InBatches[profile.Record](ctx, s.b, s.records, "profileId", ids)
	}
	ps, err := profile.ReadShared(ctx, ids, s.GetProfiles) // the customer's own read, in a query
	if err != nil {
		return nil, err
	}
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	var recIDs []string
	for _, p := range ps {
		if p.RecordIDs == nil && p.RecordCount > 0 {
			return dbkit.InBatches[profile.Record](ctx, s.b, s.records, "profileId", ids)
		}
		recIDs = append(recIDs, p.RecordIDs...)
	}
	rs, err := dbkit.InBatches[profile.Record](ctx, s.b, s.records, "_id", recIDs)
	if err != nil {
		return nil, err
	}
	out := rs[:0]
	for _, r := range rs {
		if want[r.ProfileID] {
			out = append(out, r)
		}
	}
	return out, nil
}

// SaveComputed writes computed traits, then reads the revs back: a profile whose rev
// moved on since the caller read it may have been overwritten with stale traits and is
// returned, so the caller computes it again (the last computation always wins).
// The filter is the bare _id on purpose: FerretDB answers only that shape without
// scanning the collection.
func (s *Store) SaveComputed(ctx context.Context, ps []profile.Profile) ([]string, error) {
	var ms []mongo.WriteModel
	var ids []string
	for _, p := range ps {
		ids = append(ids, p.ID)
		ms = append(ms, mongo.NewUpdateOneModel().SetFilter(bson.M{"_id": p.ID}).SetUpdate(bson.M{"$set": bson.M{
			"traits": p.Traits, "provenance": p.Provenance, "invalid": p.Invalid,
			"searchTokens": p.SearchTokens, "recordCount": p.RecordCount, "updatedAt": p.UpdatedAt,
		}}))
	}
	if len(ms) == 0 {
		return nil, nil
	}
	if err := dbkit.Bulk(ctx, s.b, s.profiles, ms); err != nil {
		return nil, err
	}
	if !s.b.AtomicUpdates {
		// The caller holds the graph guard (identity.Engine.Guard, the backend's): no
		// one changed these profiles since it read them, and ps are them as stored.
		s.indexProfiles(ps)
		return nil, nil
	}
	now, err := s.GetProfiles(ctx, ids)
	if err != nil {
		return nil, err
	}
	s.indexProfiles(now) // as stored: the last computation's tokens, merged ones out
	rev := map[string]int64{}
	for _, p := range now {
		if p.MergedInto == "" {
			rev[p.ID] = p.Rev
		}
	}
	var stale []string
	for _, p := range ps {
		if r, live := rev[p.ID]; live && r != p.Rev {
			stale = append(stale, p.ID)
		}
	}
	return stale, nil
}

// SourcePriorities maps each source to its priority. Sources are only ever added, and
// their priority changes only through ReplaceSource, so where only bare-_id reads avoid
// a scan (the embedded backend, one writer) the map is kept in process, filled once and
// written through by CreateSource and ReplaceSource; on MongoDB the small sources collection is read each time, so
// every instance sees the others' new sources.
func (s *Store) SourcePriorities(ctx context.Context) (map[string]int, error) {
	if !s.b.IndexedFilters {
		s.prioMu.Lock()
		defer s.prioMu.Unlock()
		if s.prio != nil {
			return maps.Clone(s.prio), nil
		}
	}
	type src struct {
		Name     string `bson:"_id"`
		Priority int    `bson:"priority"`
	}
	all, err := dbkit.FindAll[src](ctx, s.sources, bson.M{}, options.Find().SetProjection(bson.M{"priority": 1}))
	if err != nil {
		return nil, err
	}
	out := make(map[string]int, len(all))
	for _, x := range all {
		out[x.Name] = x.Priority
	}
	if !s.b.IndexedFilters {
		s.prio = maps.Clone(out)
	}
	return out, nil
}

func searchFilter(q customer.Query) bson.M {
	f := bson.M{"mergedInto": bson.M{"$exists": false}}
	if len(q.IDs) > 0 {
		f["_id"] = bson.M{"$in": q.IDs}
	}
	// Each term is a prefix of some token: one anchored $regex per term on the token
	// array, AND-ed. (FerretDB ignores regexes inside $all, so $and it is.)
	switch len(q.Terms) {
	case 0:
	case 1:
		f["searchTokens"] = bson.M{"$regex": "^" + regexp.QuoteMeta(q.Terms[0])}
	default:
		var and bson.A
		for _, t := range q.Terms {
			and = append(and, bson.M{"searchTokens": bson.M{"$regex": "^" + regexp.QuoteMeta(t)}})
		}
		f["$and"] = and
	}
	return f
}

func (s *Store) SearchProfiles(ctx context.Context, q customer.Query) ([]profile.Profile, error) {
	if s.inMemorySearch() {
		return s.searchInMemory(ctx, q)
	}
	f := searchFilter(q)
	if q.After != "" {
		if len(q.IDs) > 0 {
			f["_id"] = bson.M{"$in": q.IDs, "$lt": q.After}
		} else {
			f["_id"] = bson.M{"$lt": q.After}
		}
	}
	return dbkit.FindAll[profile.Profile](ctx, s.profiles, f, options.Find().SetSort(bson.M{"_id": -1}).SetLimit(int64(q.Limit)))
}

func (s *Store) CountProfiles(ctx context.Context, q customer.Query) (int64, error) {
	if s.inMemorySearch() {
		return s.countInMemory(ctx, q)
	}
	return s.profiles.CountDocuments(ctx, searchFilter(q))
}

func (s *Store) RecordProfiles(ctx context.Context, ids []string) (map[string]string, error) {
	recs, err := dbkit.InBatches[profile.Record](ctx, s.b, s.records, "_id", ids)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, r := range recs {
		if r.ProfileID != "" {
			out[r.ID] = r.ProfileID
		}
	}
	return out, nil
}

func (s *Store) MergedInto(ctx context.Context, ids []string) (map[string]string, error) {
	ps, err := dbkit.InBatches[profile.Profile](ctx, s.b, s.profiles, "_id", ids)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, p := range ps {
		if p.MergedInto != "" {
			out[p.ID] = p.MergedInto
		}
	}
	return out, nil
}
