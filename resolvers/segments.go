package resolvers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/tessera-cdp/tessera/graph/model"
	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/auth"
	"github.com/tessera-cdp/tessera/internal/membership"
	"github.com/tessera-cdp/tessera/internal/profile"
	"github.com/tessera-cdp/tessera/internal/segment"
)

// SegmentQueries are the segment reads the GraphQL layer needs (the store).
type SegmentQueries interface {
	segment.Querier
	GetSegment(ctx context.Context, id string) (membership.Segment, error)
	ListSegments(ctx context.Context) ([]membership.Segment, error)
	MembersPage(ctx context.Context, seg, after string, limit int) ([]membership.Member, error)
	Changes(ctx context.Context, seg string, since time.Time, limit int) ([]membership.Change, error)
	ProfileSegments(ctx context.Context, profileID string) ([]membership.Segment, error)
	SaveExportToken(ctx context.Context, token, seg string, expires time.Time) error
	GetProfiles(ctx context.Context, ids []string) ([]profile.Profile, error)
}

// ExportTTL is how long a segment export link works.
const ExportTTL = 15 * time.Minute

// toRule turns the GraphQL input tree into the domain rule. The input types carry the
// same JSON names as segment.Rule, so the tree converts as a whole.
func toRule(in *model.SegmentRuleInput) (segment.Rule, error) {
	var r segment.Rule
	if in == nil {
		return r, apperr.Invalidf("rule is required")
	}
	b, err := json.Marshal(in)
	if err != nil {
		return r, apperr.Invalidf("rule: %v", err)
	}
	return segment.Parse(b)
}

// normalizeIdentifiers rewrites identifier values the way ingestion stores them (an
// e-mail typed with capitals or a phone without country code still matches).
func (r *Resolver) normalizeIdentifiers(rule *segment.Rule) error {
	if c := rule.Identifier; c != nil && c.Value != "" {
		key, err := r.Profiles.IdentityKey(c.Type, c.Value)
		if err != nil {
			return err
		}
		c.Type, c.Value, _ = strings.Cut(key, ":")
	}
	for _, list := range [][]segment.Rule{rule.And, rule.Or} {
		for i := range list {
			if err := r.normalizeIdentifiers(&list[i]); err != nil {
				return err
			}
		}
	}
	if rule.Not != nil {
		return r.normalizeIdentifiers(rule.Not)
	}
	return nil
}

func (r *Resolver) rule(in *model.SegmentRuleInput) (segment.Rule, error) {
	rule, err := toRule(in)
	if err != nil {
		return rule, err
	}
	return rule, r.normalizeIdentifiers(&rule)
}

func ruleJSON(r segment.Rule) any {
	b, _ := json.Marshal(r)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

func toSegment(s membership.Segment) *model.Segment {
	m := &model.Segment{ID: s.ID, Name: s.Name, Kind: model.SegmentKind(s.Kind), Rule: ruleJSON(s.Rule), MemberCount: s.MemberCount,
		CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
	if s.Description != "" {
		m.Description = &s.Description
	}
	if !s.EvaluatedAt.IsZero() {
		t := s.EvaluatedAt
		m.EvaluatedAt = &t
	}
	if w := s.Webhook; w != nil {
		m.Webhook = &model.SegmentWebhook{URL: w.URL, Failures: w.Failures}
		if !w.LastDeliveryAt.IsZero() {
			t := w.LastDeliveryAt
			m.Webhook.LastDeliveryAt = &t
		}
		if w.LastStatus != "" {
			m.Webhook.LastStatus = &w.LastStatus
		}
	}
	return m
}

func (r *Resolver) toSegmentInput(in model.SegmentInput) (membership.Input, error) {
	rule, err := r.rule(in.Rule)
	if err != nil {
		return membership.Input{}, err
	}
	out := membership.Input{Name: in.Name, Description: val(in.Description), Rule: rule}
	if in.Kind != nil {
		out.Kind = string(*in.Kind)
	}
	return out, nil
}

func (r *Resolver) segmentPreview(ctx context.Context, in model.SegmentRuleInput, sample *int) (*model.SegmentPreview, error) {
	rule, err := r.rule(&in)
	if err != nil {
		return nil, err
	}
	n := 10
	if sample != nil {
		n = *sample
	}
	if n < 0 || n > 100 {
		return nil, apperr.Invalidf("sample must be between 0 and 100")
	}
	now := time.Now().UTC()
	start := time.Now()
	count, err := r.Segs.SegmentCount(ctx, rule, now)
	if err != nil {
		return nil, err
	}
	took := time.Since(start)
	out := &model.SegmentPreview{Count: int(count), Sample: []*model.Customer{}, TookMs: int(took.Milliseconds())}
	if n > 0 && count > 0 {
		ps, err := r.Segs.SegmentSample(ctx, rule, now, n)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			out.Sample = append(out.Sample, toCustomer(p))
		}
	}
	return out, nil
}

func (r *Resolver) segmentMembers(ctx context.Context, seg *model.Segment, first *int, after *string) (*model.SegmentMemberConnection, error) {
	n := 50
	if first != nil {
		n = *first
	}
	if n < 1 || n > 500 {
		return nil, apperr.Invalidf("first must be between 1 and 500")
	}
	ms, err := r.Segs.MembersPage(ctx, seg.ID, val(after), n+1)
	if err != nil {
		return nil, err
	}
	more := len(ms) > n
	if more {
		ms = ms[:n]
	}
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.ProfileID
	}
	ps, err := r.Segs.GetProfiles(ctx, ids)
	if err != nil {
		return nil, err
	}
	byID := map[string]profile.Profile{}
	for _, p := range ps {
		byID[p.ID] = p
	}
	out := &model.SegmentMemberConnection{Edges: []*model.SegmentMemberEdge{}, PageInfo: &model.PageInfo{HasNextPage: more}, TotalCount: seg.MemberCount}
	for _, m := range ms {
		p, ok := byID[m.ProfileID]
		if !ok {
			continue // erased meanwhile
		}
		c := m.ProfileID
		out.Edges = append(out.Edges, &model.SegmentMemberEdge{Cursor: c, Node: &model.SegmentMember{Customer: toCustomer(p), EnteredAt: m.EnteredAt}})
		out.PageInfo.EndCursor = &c
	}
	return out, nil
}

func (r *Resolver) segmentChanges(ctx context.Context, seg *model.Segment, since *time.Time, first *int) ([]*model.SegmentChange, error) {
	from := time.Now().UTC().Add(-7 * 24 * time.Hour)
	if since != nil {
		from = *since
	}
	n := 100
	if first != nil {
		n = *first
	}
	if n < 1 || n > 1000 {
		return nil, apperr.Invalidf("first must be between 1 and 1000")
	}
	cs, err := r.Segs.Changes(ctx, seg.ID, from, n)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.ProfileID
	}
	// One batched read for the whole list (a client shows names next to the changes).
	ps, err := r.Segs.GetProfiles(ctx, ids)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*model.Customer, len(ps))
	for _, p := range ps {
		byID[p.ID] = toCustomer(p)
	}
	out := make([]*model.SegmentChange, len(cs))
	for i, c := range cs {
		out[i] = &model.SegmentChange{CustomerID: c.ProfileID, Customer: byID[c.ProfileID], Kind: model.SegmentChangeKind(c.Kind), At: c.At}
	}
	return out, nil
}

// sizeHistory walks the change log back from today's count: the members at the end of
// a day are today's minus who entered since plus who exited since.
func (r *Resolver) sizeHistory(ctx context.Context, seg *model.Segment, days *int) ([]*model.SegmentSizePoint, error) {
	n := 30
	if days != nil {
		n = *days
	}
	if n < 1 || n > 366 {
		return nil, apperr.Invalidf("days must be between 1 and 366")
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	from := today.AddDate(0, 0, -(n - 1))
	cs, err := r.Segs.Changes(ctx, seg.ID, from, 1_000_000)
	if err != nil {
		return nil, err
	}
	type tally struct{ in, out int }
	per := map[string]*tally{}
	for _, c := range cs {
		d := c.At.UTC().Format(time.DateOnly)
		if per[d] == nil {
			per[d] = &tally{}
		}
		if c.Kind == membership.Entered {
			per[d].in++
		} else {
			per[d].out++
		}
	}
	out := make([]*model.SegmentSizePoint, n)
	members := seg.MemberCount
	for i := n - 1; i >= 0; i-- {
		d := from.AddDate(0, 0, i).Format(time.DateOnly)
		p := &model.SegmentSizePoint{Day: d, Members: members}
		if t := per[d]; t != nil {
			p.Entered, p.Exited = t.in, t.out
			members = members - t.in + t.out
		}
		out[i] = p
	}
	return out, nil
}

func (r *Resolver) customerSegments(ctx context.Context, c *model.Customer) ([]*model.Segment, error) {
	segs, err := r.Segs.ProfileSegments(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	sort.Slice(segs, func(i, j int) bool { return segs[i].Name < segs[j].Name })
	out := make([]*model.Segment, len(segs))
	for i, s := range segs {
		out[i] = toSegment(s)
	}
	return out, nil
}

func (r *Resolver) exportSegment(ctx context.Context, id string) (*model.SegmentExport, error) {
	if _, err := r.Segs.GetSegment(ctx, id); err != nil {
		return nil, err
	}
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	// The token names the key that asked for it: the link stops working when that key is
	// revoked (see the export handler).
	k, _ := auth.FromContext(ctx)
	token := k.ID + "." + hex.EncodeToString(b)
	exp := time.Now().UTC().Add(ExportTTL)
	if err := r.Segs.SaveExportToken(ctx, token, id, exp); err != nil {
		return nil, err
	}
	return &model.SegmentExport{URL: r.PublicURL + "/export/segments/" + id + ".csv?token=" + token, ExpiresAt: exp}, nil
}
