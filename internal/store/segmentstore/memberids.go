package segmentstore

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tessera-cdp/tessera/internal/store/dbkit"
)

// MemberIDs pages a segment's current members' profile ids in id order after after,
// without their member documents: from the in-process member index once built (no
// read at all), else one indexed query (campaign planning freezes large segments
// with it).
func (s *Store) MemberIDs(ctx context.Context, seg, after string, limit int) ([]string, error) {
	if !s.b.IndexedFilters {
		if ids, ok := s.memberIndex().page(seg, after, limit); ok {
			return ids, nil
		}
	}
	f := bson.M{"segmentId": seg}
	if after != "" {
		f["_id"] = bson.M{"$gt": memberKey(seg, after)}
	}
	docs, err := dbkit.FindAll[memberDoc](ctx, s.members(), f, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(int64(limit)).
		SetProjection(bson.D{{Key: "profileId", Value: 1}}))
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(docs))
	for i, d := range docs {
		ids[i] = d.ProfileID
	}
	return ids, nil
}
