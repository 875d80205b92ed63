// Package segmentstore keeps saved segments in MongoDB: the segments, their current
// members, the history of entries and exits, the webhook outbox and export tokens.
package segmentstore

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/tessera-cdp/tessera/internal/store/dbkit"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/membership"
)

// Store is the MongoDB implementation of the membership stores. Current members are
// documents keyed segment|profile (point reads for Customer.segments and for diffs of a
// few profiles), every entry and exit is a change document, and each live profile lists
// its segments in `segments` (the one field of profile documents this package writes).
type Store struct {
	db       *mongo.Database
	b        *dbkit.Backend
	profiles *mongo.Collection
	ids      MergeReader
	defs     defsCache // the segment definitions in process (defs.go)
}

// MergeReader tells where merged profiles went (the identity store).
type MergeReader interface {
	MergedInto(ctx context.Context, ids []string) (map[string]string, error)
}

// New wraps a database on the given backend.
func New(db *mongo.Database, b *dbkit.Backend, ids MergeReader) *Store {
	return &Store{db: db, b: b, profiles: db.Collection("profiles"), ids: ids}
}

var (
	_ membership.Store         = (*Store)(nil)
	_ membership.DeliveryStore = (*Store)(nil)
)

func (s *Store) segs() *mongo.Collection       { return s.db.Collection("segments") }
func (s *Store) members() *mongo.Collection    { return s.db.Collection("segment_members") }
func (s *Store) changes() *mongo.Collection    { return s.db.Collection("segment_changes") }
func (s *Store) deliveries() *mongo.Collection { return s.db.Collection("segment_deliveries") }
func (s *Store) exports() *mongo.Collection    { return s.db.Collection("segment_exports") }

// EnsureMembershipIndexes creates what the membership queries need on MongoDB.
func (s *Store) EnsureIndexes(ctx context.Context) error {
	idx := map[*mongo.Collection][]mongo.IndexModel{
		s.members():    {{Keys: bson.D{{Key: "segmentId", Value: 1}, {Key: "_id", Value: 1}}}},
		s.changes():    {{Keys: bson.D{{Key: "segmentId", Value: 1}, {Key: "at", Value: -1}}}},
		s.deliveries(): {{Keys: bson.D{{Key: "status", Value: 1}, {Key: "nextAt", Value: 1}}}},
		s.profiles:     {{Keys: bson.D{{Key: "segments", Value: 1}}}},
	}
	return dbkit.EnsureIndexes(ctx, idx)
}

type webhookDoc struct {
	URL            string    `bson:"url"`
	Secret         string    `bson:"secret"`
	LastDeliveryAt time.Time `bson:"lastDeliveryAt,omitempty"`
	LastStatus     string    `bson:"lastStatus,omitempty"`
	Failures       int       `bson:"failures"`
}

type segmentDoc struct {
	ID          string `bson:"_id"`
	Name        string `bson:"name"`
	Description string `bson:"description,omitempty"`
	Kind        string `bson:"kind"`
	// Rule is kept as the JSON of segment.Rule: user values stay values, never keys.
	Rule        string      `bson:"rule"`
	MemberCount int         `bson:"memberCount"`
	CreatedAt   time.Time   `bson:"createdAt"`
	UpdatedAt   time.Time   `bson:"updatedAt"`
	EvaluatedAt time.Time   `bson:"evaluatedAt,omitempty"`
	Webhook     *webhookDoc `bson:"webhook,omitempty"`
}

func toSegmentDoc(s membership.Segment) (segmentDoc, error) {
	rule, err := json.Marshal(s.Rule)
	if err != nil {
		return segmentDoc{}, err
	}
	d := segmentDoc{ID: s.ID, Name: s.Name, Description: s.Description, Kind: s.Kind, Rule: string(rule), MemberCount: s.MemberCount,
		CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt, EvaluatedAt: s.EvaluatedAt}
	if w := s.Webhook; w != nil {
		d.Webhook = &webhookDoc{URL: w.URL, Secret: w.Secret, LastDeliveryAt: w.LastDeliveryAt, LastStatus: w.LastStatus, Failures: w.Failures}
	}
	return d, nil
}

func (d segmentDoc) segment() (membership.Segment, error) {
	s := membership.Segment{ID: d.ID, Name: d.Name, Description: d.Description, Kind: d.Kind, MemberCount: d.MemberCount,
		CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt, EvaluatedAt: d.EvaluatedAt}
	if err := json.Unmarshal([]byte(d.Rule), &s.Rule); err != nil {
		return s, fmt.Errorf("segment %s: stored rule: %w", d.ID, err)
	}
	if w := d.Webhook; w != nil {
		s.Webhook = &membership.Webhook{URL: w.URL, Secret: w.Secret, LastDeliveryAt: w.LastDeliveryAt, LastStatus: w.LastStatus, Failures: w.Failures}
	}
	return s, nil
}

func (s *Store) InsertSegment(ctx context.Context, seg membership.Segment) error {
	d, err := toSegmentDoc(seg)
	if err != nil {
		return err
	}
	_, err = s.segs().InsertOne(ctx, d)
	if err == nil {
		s.editDefs(func(l []membership.Segment) []membership.Segment { return append(l, seg) })
	}
	return err
}

// ReplaceSegment writes the definition; the count and evaluation time belong to Apply
// and SetEvaluated and are left as they are.
func (s *Store) ReplaceSegment(ctx context.Context, seg membership.Segment) error {
	d, err := toSegmentDoc(seg)
	if err != nil {
		return err
	}
	set := bson.M{"name": d.Name, "kind": d.Kind, "rule": d.Rule, "updatedAt": d.UpdatedAt, "description": d.Description}
	upd := bson.M{"$set": set}
	if d.Webhook != nil {
		set["webhook"] = d.Webhook
	} else {
		upd["$unset"] = bson.M{"webhook": ""}
	}
	r, err := s.segs().UpdateOne(ctx, bson.M{"_id": d.ID}, upd)
	if err == nil && r.MatchedCount == 0 {
		return apperr.NotFoundf("segment %s not found", d.ID)
	}
	if err == nil {
		s.editSegment(seg.ID, func(x *membership.Segment) {
			x.Name, x.Description, x.Kind, x.Rule, x.UpdatedAt, x.Webhook = seg.Name, seg.Description, seg.Kind, seg.Rule, seg.UpdatedAt, seg.Webhook
		})
	}
	return err
}

// DeleteSegment removes the segment, then its members (and their place on profiles),
// then its history; a retry after a failure finishes the job.
func (s *Store) DeleteSegment(ctx context.Context, id string) error {
	cur, err := s.Members(ctx, id, nil)
	if err != nil {
		return err
	}
	var ids []string
	for pid := range cur {
		ids = append(ids, pid)
	}
	if err := s.setProfileSegments(ctx, id, nil, ids); err != nil {
		return err
	}
	for _, c := range []*mongo.Collection{s.members(), s.changes(), s.deliveries()} {
		_, err := c.DeleteMany(ctx, bson.M{"segmentId": id})
		if c == s.members() {
			s.wrote(memberOp{seg: id, drop: true}, err)
		}
		if err != nil {
			return err
		}
	}
	_, err = s.segs().DeleteOne(ctx, bson.M{"_id": id})
	if err == nil {
		s.editDefs(func(l []membership.Segment) []membership.Segment {
			return slices.DeleteFunc(l, func(x membership.Segment) bool { return x.ID == id })
		})
	}
	return err
}

func (s *Store) GetSegment(ctx context.Context, id string) (membership.Segment, error) {
	var d segmentDoc
	if err := s.segs().FindOne(ctx, bson.M{"_id": id}).Decode(&d); err != nil {
		return membership.Segment{}, dbkit.NotFound(err, "segment %s not found", id)
	}
	return d.segment()
}

// ListSegments reads every segment definition (and keeps the list in process for
// Customer.segments; see defs.go).
func (s *Store) ListSegments(ctx context.Context) ([]membership.Segment, error) {
	seq := s.readSeq()
	docs, err := dbkit.FindAll[segmentDoc](ctx, s.segs(), bson.M{}, options.Find().SetSort(bson.D{{Key: "name", Value: 1}, {Key: "_id", Value: 1}}))
	if err != nil {
		return nil, err
	}
	out := make([]membership.Segment, 0, len(docs))
	for _, d := range docs {
		seg, err := d.segment()
		if err != nil {
			return nil, err
		}
		out = append(out, seg)
	}
	s.keepDefs(slices.Clone(out), seq)
	return out, nil
}

type memberDoc struct {
	ID        string    `bson:"_id"`
	SegmentID string    `bson:"segmentId"`
	ProfileID string    `bson:"profileId"`
	EnteredAt time.Time `bson:"enteredAt"`
}

func memberKey(seg, pid string) string { return seg + "|" + pid }

func (s *Store) Members(ctx context.Context, seg string, ids []string) (map[string]time.Time, error) {
	var docs []memberDoc
	var err error
	if ids == nil {
		docs, err = dbkit.FindAll[memberDoc](ctx, s.members(), bson.M{"segmentId": seg})
	} else {
		keys := make([]string, len(ids))
		for i, id := range ids {
			keys[i] = memberKey(seg, id)
		}
		docs, err = dbkit.InBatches[memberDoc](ctx, s.b, s.members(), "_id", keys)
	}
	if err != nil {
		return nil, err
	}
	out := make(map[string]time.Time, len(docs))
	for _, d := range docs {
		out[d.ProfileID] = d.EnteredAt
	}
	return out, nil
}

// MembersPage returns current members in profile id order (time-ordered ids: oldest
// customers first), after the member with profile id after.
func (s *Store) MembersPage(ctx context.Context, seg string, after string, limit int) ([]membership.Member, error) {
	if !s.b.IndexedFilters {
		if ids, ok := s.memberIndex().page(seg, after, limit); ok {
			keys := make([]string, len(ids))
			for i, id := range ids {
				keys[i] = memberKey(seg, id)
			}
			return asMembers(dbkit.PointReads[memberDoc](ctx, s.members(), keys))
		}
	}
	f := bson.M{"segmentId": seg}
	if after != "" {
		f["_id"] = bson.M{"$gt": memberKey(seg, after)}
	}
	return asMembers(dbkit.FindAll[memberDoc](ctx, s.members(), f, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(int64(limit))))
}

func asMembers(docs []memberDoc, err error) ([]membership.Member, error) {
	if err != nil {
		return nil, err
	}
	out := make([]membership.Member, len(docs))
	for i, d := range docs {
		out[i] = membership.Member{ProfileID: d.ProfileID, EnteredAt: d.EnteredAt}
	}
	return out, nil
}

type changeDoc struct {
	ID        string    `bson:"_id"`
	SegmentID string    `bson:"segmentId"`
	ProfileID string    `bson:"profileId"`
	Kind      string    `bson:"kind"`
	At        time.Time `bson:"at"`
}

func (s *Store) Apply(ctx context.Context, seg string, entered, exited []string, at time.Time) (int, error) {
	var chs []changeDoc
	for _, id := range entered {
		chs = append(chs, changeDoc{ID: fmt.Sprintf("%s|%s|E|%d", seg, id, at.UnixNano()), SegmentID: seg, ProfileID: id, Kind: membership.Entered, At: at})
	}
	for _, id := range exited {
		chs = append(chs, changeDoc{ID: fmt.Sprintf("%s|%s|X|%d", seg, id, at.UnixNano()), SegmentID: seg, ProfileID: id, Kind: membership.Exited, At: at})
	}
	if _, err := dbkit.InsertNew(ctx, s.changes(), chs); err != nil {
		return 0, err
	}
	ms := make([]memberDoc, len(entered))
	for i, id := range entered {
		ms[i] = memberDoc{ID: memberKey(seg, id), SegmentID: seg, ProfileID: id, EnteredAt: at}
	}
	_, err := dbkit.InsertNew(ctx, s.members(), ms)
	s.wrote(memberOp{seg: seg, add: entered}, err)
	if err != nil {
		return 0, err
	}
	keys := make([]string, len(exited))
	for i, id := range exited {
		keys[i] = memberKey(seg, id)
	}
	err = s.deleteMembers(ctx, keys)
	s.wrote(memberOp{seg: seg, remove: exited}, err)
	if err != nil {
		return 0, err
	}
	if err := s.setProfileSegments(ctx, seg, entered, exited); err != nil {
		return 0, err
	}
	n, err := s.countMembers(ctx, seg)
	if err != nil {
		return 0, err
	}
	_, err = s.segs().UpdateOne(ctx, bson.M{"_id": seg}, bson.M{"$set": bson.M{"memberCount": n}})
	if err == nil {
		s.editSegment(seg, func(x *membership.Segment) { x.MemberCount = int(n) })
	}
	return int(n), err
}

// setProfileSegments keeps profile.segments in step with the member documents.
func (s *Store) setProfileSegments(ctx context.Context, seg string, add, remove []string) error {
	if len(add) == 0 && len(remove) == 0 {
		return nil
	}
	// Profile documents are written by identity resolution too: one guard for both
	// where updates are not atomic.
	defer s.b.Guard("profiles")()
	var ms []mongo.WriteModel
	for _, id := range add {
		ms = append(ms, mongo.NewUpdateOneModel().SetFilter(bson.M{"_id": id}).SetUpdate(bson.M{"$addToSet": bson.M{"segments": seg}}))
	}
	for _, id := range remove {
		ms = append(ms, mongo.NewUpdateOneModel().SetFilter(bson.M{"_id": id}).SetUpdate(bson.M{"$pull": bson.M{"segments": seg}}))
	}
	return dbkit.Bulk(ctx, s.b, s.profiles, ms)
}

func (s *Store) SetEvaluated(ctx context.Context, seg string, at time.Time) error {
	_, err := s.segs().UpdateOne(ctx, bson.M{"_id": seg}, bson.M{"$set": bson.M{"evaluatedAt": at}})
	if err == nil {
		s.editSegment(seg, func(x *membership.Segment) { x.EvaluatedAt = at })
	}
	return err
}

// Changes lists entries and exits since a time, newest first.
func (s *Store) Changes(ctx context.Context, seg string, since time.Time, limit int) ([]membership.Change, error) {
	docs, err := dbkit.FindAll[changeDoc](ctx, s.changes(), bson.M{"segmentId": seg, "at": bson.M{"$gte": since}},
		options.Find().SetSort(bson.D{{Key: "at", Value: -1}, {Key: "_id", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, err
	}
	out := make([]membership.Change, len(docs))
	for i, d := range docs {
		out[i] = membership.Change{SegmentID: d.SegmentID, ProfileID: d.ProfileID, Kind: d.Kind, At: d.At}
	}
	return out, nil
}

// ProfileSegments returns the segments a profile is in: the definitions from the list in
// process (defs.go), membership from the member documents, read by bare _id.
func (s *Store) ProfileSegments(ctx context.Context, profileID string) ([]membership.Segment, error) {
	segs, err := s.cachedSegments(ctx)
	if err != nil || len(segs) == 0 {
		return nil, err
	}
	keys := make([]string, len(segs))
	for i, sg := range segs {
		keys[i] = memberKey(sg.ID, profileID)
	}
	docs, err := dbkit.InBatches[memberDoc](ctx, s.b, s.members(), "_id", keys)
	if err != nil {
		return nil, err
	}
	in := map[string]bool{}
	for _, d := range docs {
		in[d.SegmentID] = true
	}
	var out []membership.Segment
	for _, sg := range segs {
		if in[sg.ID] {
			out = append(out, sg)
		}
	}
	return out, nil
}

func (s *Store) MergedInto(ctx context.Context, ids []string) (map[string]string, error) {
	return s.ids.MergedInto(ctx, ids)
}

type deliveryDoc struct {
	ID        string    `bson:"_id"`
	SegmentID string    `bson:"segmentId"`
	Body      string    `bson:"body"`
	Attempts  int       `bson:"attempts"`
	NextAt    time.Time `bson:"nextAt"`
	Status    string    `bson:"status"`
	LastError string    `bson:"lastError,omitempty"`
	CreatedAt time.Time `bson:"createdAt"`
}

func (s *Store) Enqueue(ctx context.Context, d membership.Delivery) error {
	_, err := dbkit.InsertNew(ctx, s.deliveries(), []deliveryDoc{{ID: d.ID, SegmentID: d.SegmentID, Body: string(d.Body), Attempts: d.Attempts,
		NextAt: d.NextAt, Status: d.Status, CreatedAt: d.CreatedAt}})
	return err
}

func (s *Store) Due(ctx context.Context, now time.Time, limit int) ([]membership.Delivery, error) {
	docs, err := dbkit.FindAll[deliveryDoc](ctx, s.deliveries(), bson.M{"status": membership.Pending, "nextAt": bson.M{"$lte": now}},
		options.Find().SetSort(bson.D{{Key: "nextAt", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, err
	}
	out := make([]membership.Delivery, len(docs))
	for i, d := range docs {
		out[i] = membership.Delivery{ID: d.ID, SegmentID: d.SegmentID, Body: []byte(d.Body), Attempts: d.Attempts, NextAt: d.NextAt,
			Status: d.Status, LastError: d.LastError, CreatedAt: d.CreatedAt}
	}
	return out, nil
}

func (s *Store) UpdateDelivery(ctx context.Context, d membership.Delivery) error {
	_, err := s.deliveries().UpdateOne(ctx, bson.M{"_id": d.ID}, bson.M{"$set": bson.M{
		"attempts": d.Attempts, "nextAt": d.NextAt, "status": d.Status, "lastError": d.LastError}})
	return err
}

func (s *Store) WebhookResult(ctx context.Context, seg, status string, at time.Time, failed bool) error {
	upd := bson.M{"$set": bson.M{"webhook.lastDeliveryAt": at, "webhook.lastStatus": status}}
	if failed {
		upd["$inc"] = bson.M{"webhook.failures": 1}
	} else {
		upd["$set"].(bson.M)["webhook.failures"] = 0
	}
	_, err := s.segs().UpdateOne(ctx, bson.M{"_id": seg, "webhook": bson.M{"$exists": true}}, upd)
	return err
}

// Deliveries lists a segment's outbox, newest first (for tests and diagnostics).
func (s *Store) Deliveries(ctx context.Context, seg string) ([]membership.Delivery, error) {
	docs, err := dbkit.FindAll[deliveryDoc](ctx, s.deliveries(), bson.M{"segmentId": seg}, options.Find().SetSort(bson.D{{Key: "createdAt", Value: -1}}))
	if err != nil {
		return nil, err
	}
	out := make([]membership.Delivery, len(docs))
	for i, d := range docs {
		out[i] = membership.Delivery{ID: d.ID, SegmentID: d.SegmentID, Body: []byte(d.Body), Attempts: d.Attempts, NextAt: d.NextAt, Status: d.Status, LastError: d.LastError}
	}
	return out, nil
}

type exportDoc struct {
	ID        string    `bson:"_id"`
	SegmentID string    `bson:"segmentId"`
	ExpiresAt time.Time `bson:"expiresAt"`
}

// SaveExportToken stores a download token (a document, so any instance can serve it).
func (s *Store) SaveExportToken(ctx context.Context, token, seg string, expires time.Time) error {
	_, err := s.exports().InsertOne(ctx, exportDoc{ID: token, SegmentID: seg, ExpiresAt: expires})
	return err
}

// ExportToken returns the segment of an unexpired token.
func (s *Store) ExportToken(ctx context.Context, token string, now time.Time) (string, error) {
	var d exportDoc
	if err := s.exports().FindOne(ctx, bson.M{"_id": token}).Decode(&d); err != nil {
		return "", dbkit.NotFound(err, "export link not found")
	}
	if now.After(d.ExpiresAt) {
		return "", apperr.NotFoundf("export link expired")
	}
	return d.SegmentID, nil
}

var _ membership.Forgetter = (*Store)(nil)

// ForgetProfiles removes erased profiles from one segment (see membership.Forgetter).
// Member documents are keyed segment|profile, so they are deleted by id; the history
// and the outbox are filtered on the segment and the ids.
func (s *Store) ForgetProfiles(ctx context.Context, seg string, ids []string, rewrite func([]byte) ([]byte, bool)) error {
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = memberKey(seg, id)
	}
	err := s.deleteMembers(ctx, keys)
	s.wrote(memberOp{seg: seg, remove: ids}, err)
	if err != nil {
		return err
	}
	if _, err := s.changes().DeleteMany(ctx, bson.M{"segmentId": seg, "profileId": bson.M{"$in": ids}}); err != nil {
		return err
	}
	alts := make([]string, len(ids))
	for i, id := range ids {
		alts[i] = regexp.QuoteMeta(id)
	}
	docs, err := dbkit.FindAll[deliveryDoc](ctx, s.deliveries(), bson.M{"segmentId": seg, "body": bson.M{"$regex": strings.Join(alts, "|")}})
	if err != nil {
		return err
	}
	for _, d := range docs {
		body, keep := rewrite([]byte(d.Body))
		if !keep {
			_, err = s.deliveries().DeleteOne(ctx, bson.D{{Key: "_id", Value: d.ID}})
		} else if string(body) != d.Body {
			_, err = s.deliveries().UpdateOne(ctx, bson.D{{Key: "_id", Value: d.ID}}, bson.M{"$set": bson.M{"body": string(body)}})
		}
		if err != nil {
			return err
		}
	}
	n, err := s.countMembers(ctx, seg)
	if err != nil {
		return err
	}
	_, err = s.segs().UpdateOne(ctx, bson.M{"_id": seg}, bson.M{"$set": bson.M{"memberCount": n}})
	if err == nil {
		s.editSegment(seg, func(x *membership.Segment) { x.MemberCount = int(n) })
	}
	return err
}
