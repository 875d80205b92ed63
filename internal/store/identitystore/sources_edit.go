package identitystore

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/ingest"
)

// ReplaceSource writes an edited source as a compare-and-set on its revision (an
// unedited source has none stored), leaving recordCount to the ingest's $inc:
//   - where updates are atomic (MongoDB), one $set of the edited fields with the
//     revision in the filter;
//   - elsewhere (FerretDB), a point read and a replace of the whole document by bare _id,
//     under the "sources" guard that IncSourceRecords takes too. Not a $set: FerretDB
//     v1.24 takes a sub-document whose values equal the stored one's under other keys
//     ({mail: "email"} for {email: "email"}) as unchanged and skips the write.
//
// The in-process priorities (SourcePriorities) follow the write.
func (s *Store) ReplaceSource(ctx context.Context, src ingest.Source, prevRevision int64) error {
	defer s.b.Guard("sources")()
	var r *mongo.UpdateResult
	var err error
	if s.b.AtomicUpdates {
		var rev any = prevRevision
		if prevRevision == 0 {
			rev = nil // matches the missing field
		}
		set := bson.M{"kind": src.Kind, "priority": src.Priority, "identifierFields": src.IdentifierFields,
			"revision": src.Revision, "mappingRev": src.MappingRev}
		update := bson.M{"$set": set}
		if src.TraitFields != nil {
			set["traitFields"] = src.TraitFields
		} else {
			update["$unset"] = bson.M{"traitFields": ""}
		}
		r, err = s.sources.UpdateOne(ctx, bson.M{"_id": src.Name, "revision": rev}, update)
	} else {
		cur, gerr := s.GetSource(ctx, src.Name)
		if gerr != nil {
			return gerr
		}
		if cur.Revision != prevRevision {
			return apperr.Conflictf("source %s was changed meanwhile: reload it", src.Name)
		}
		src.RecordCount, src.CreatedAt = cur.RecordCount, cur.CreatedAt
		r, err = s.sources.ReplaceOne(ctx, bson.M{"_id": src.Name}, src)
	}
	if err != nil {
		return err
	}
	if r.MatchedCount == 0 {
		if _, err := s.GetSource(ctx, src.Name); err != nil {
			return err
		}
		return apperr.Conflictf("source %s was changed meanwhile: reload it", src.Name)
	}
	s.prioMu.Lock()
	if s.prio != nil {
		s.prio[src.Name] = src.Priority
	}
	s.prioMu.Unlock()
	return nil
}
