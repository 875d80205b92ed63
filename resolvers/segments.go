package resolvers

import (
	"context"
	"reflect"
	"strings"
	"time"

	"github.com/tessera-cdp/tessera/graph/model"
	"github.com/tessera-cdp/tessera/internal/auth"
	"github.com/tessera-cdp/tessera/internal/membership"
	"github.com/tessera-cdp/tessera/internal/segment"
	"github.com/tessera-cdp/tessera/resolvers/convert"
)

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
	rule, err := convert.ToRule(in)
	if err != nil {
		return rule, err
	}
	return rule, r.normalizeIdentifiers(&rule)
}

func (r *Resolver) toSegmentInput(in model.SegmentInput) (membership.Input, error) {
	out := membership.Input{Name: in.Name, Description: val(in.Description)}
	if in.Kind != nil {
		out.Kind = string(*in.Kind)
	}
	if out.Kind == membership.List && in.Rule != nil && reflect.ValueOf(*in.Rule).IsZero() {
		return out, nil // a list has no rule (membership refuses one)
	}
	var err error
	out.Rule, err = r.rule(in.Rule)
	return out, err
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
	return convert.ToSegmentPreview(pv), nil
}

func (r *Resolver) segmentMembers(ctx context.Context, seg *model.Segment, first *int, after *string) (*model.SegmentMemberConnection, error) {
	pg, err := r.Segments.Members(ctx, seg.ID, intOr(first, 50), val(after))
	if err != nil {
		return nil, err
	}
	return convert.ToSegmentMemberConnection(pg, seg.MemberCount), nil
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
	return convert.All(cs, convert.ToSegmentChange), nil
}

func (r *Resolver) sizeHistory(ctx context.Context, seg *model.Segment, days *int) ([]*model.SegmentSizePoint, error) {
	ps, err := r.Segments.SizeHistory(ctx, seg.ID, seg.MemberCount, intOr(days, 30))
	if err != nil {
		return nil, err
	}
	return convert.All(ps, convert.ToSegmentSizePoint), nil
}

func (r *Resolver) customerSegments(ctx context.Context, c *model.Customer) ([]*model.Segment, error) {
	segs, err := r.Segments.ProfileSegments(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	return convert.All(segs, convert.ToSegment), nil
}

func (r *Resolver) exportSegment(ctx context.Context, id string) (*model.SegmentExport, error) {
	k, _ := auth.FromContext(ctx)
	e, err := r.Segments.Export(ctx, id, k.ID)
	if err != nil {
		return nil, err
	}
	return &model.SegmentExport{URL: r.PublicURL + "/export/segments/" + id + ".csv?token=" + e.Token, ExpiresAt: e.ExpiresAt}, nil
}
