package resolvers

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/tessera-cdp/tessera/graph/model"
	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/auth"
	"github.com/tessera-cdp/tessera/internal/membership"
	"github.com/tessera-cdp/tessera/internal/segment"
)

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
	pv, err := r.Segments.Preview(ctx, rule, intOr(sample, 10))
	if err != nil {
		return nil, err
	}
	out := &model.SegmentPreview{Count: int(pv.Count), Sample: make([]*model.Customer, len(pv.Sample)), TookMs: int(pv.Took.Milliseconds())}
	for i, p := range pv.Sample {
		out.Sample[i] = toCustomer(p)
	}
	return out, nil
}

func (r *Resolver) segmentMembers(ctx context.Context, seg *model.Segment, first *int, after *string) (*model.SegmentMemberConnection, error) {
	pg, err := r.Segments.Members(ctx, seg.ID, intOr(first, 50), val(after))
	if err != nil {
		return nil, err
	}
	out := &model.SegmentMemberConnection{Edges: []*model.SegmentMemberEdge{}, PageInfo: &model.PageInfo{HasNextPage: pg.HasNext}, TotalCount: seg.MemberCount}
	for _, m := range pg.Members {
		c := m.Profile.ID
		out.Edges = append(out.Edges, &model.SegmentMemberEdge{Cursor: c, Node: &model.SegmentMember{Customer: toCustomer(m.Profile), EnteredAt: m.EnteredAt}})
		out.PageInfo.EndCursor = &c
	}
	return out, nil
}

func (r *Resolver) segmentChanges(ctx context.Context, seg *model.Segment, since *time.Time, first *int) ([]*model.SegmentChange, error) {
	var from time.Time
	if since != nil {
		from = *since
	}
	cs, err := r.Segments.ChangeLog(ctx, seg.ID, from, intOr(first, 100))
	if err != nil {
		return nil, err
	}
	out := make([]*model.SegmentChange, len(cs))
	for i, c := range cs {
		out[i] = &model.SegmentChange{CustomerID: c.ProfileID, Kind: model.SegmentChangeKind(c.Kind), At: c.At}
		if c.Profile != nil {
			out[i].Customer = toCustomer(*c.Profile)
		}
	}
	return out, nil
}

func (r *Resolver) sizeHistory(ctx context.Context, seg *model.Segment, days *int) ([]*model.SegmentSizePoint, error) {
	ps, err := r.Segments.SizeHistory(ctx, seg.ID, seg.MemberCount, intOr(days, 30))
	if err != nil {
		return nil, err
	}
	out := make([]*model.SegmentSizePoint, len(ps))
	for i, p := range ps {
		out[i] = &model.SegmentSizePoint{Day: p.Day, Members: p.Members, Entered: p.Entered, Exited: p.Exited}
	}
	return out, nil
}

func (r *Resolver) customerSegments(ctx context.Context, c *model.Customer) ([]*model.Segment, error) {
	segs, err := r.Segments.ProfileSegments(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	out := make([]*model.Segment, len(segs))
	for i, s := range segs {
		out[i] = toSegment(s)
	}
	return out, nil
}

func (r *Resolver) exportSegment(ctx context.Context, id string) (*model.SegmentExport, error) {
	k, _ := auth.FromContext(ctx)
	e, err := r.Segments.Export(ctx, id, k.ID)
	if err != nil {
		return nil, err
	}
	return &model.SegmentExport{URL: r.PublicURL + "/export/segments/" + id + ".csv?token=" + e.Token, ExpiresAt: e.ExpiresAt}, nil
}
