package convert

import (
	"encoding/json"

	"github.com/tessera-cdp/tessera/graph/model"
	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/membership"
	"github.com/tessera-cdp/tessera/internal/segment"
)

// ToRule turns the GraphQL input tree into the domain rule. The input types carry the
// same JSON names as segment.Rule, so the tree converts as a whole.
func ToRule(in *model.SegmentRuleInput) (segment.Rule, error) {
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

func ruleJSON(r segment.Rule) any {
	b, _ := json.Marshal(r)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

func ToSegment(s membership.Segment) *model.Segment {
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

// ToSegmentPreview shows a rule's count and sample.
func ToSegmentPreview(pv membership.Preview) *model.SegmentPreview {
	return &model.SegmentPreview{Count: int(pv.Count), Sample: All(pv.Sample, ToCustomer), TookMs: int(pv.Took.Milliseconds())}
}

// ToSegmentMemberConnection shows a page of a segment's members (total: its member
// count).
func ToSegmentMemberConnection(pg membership.MemberPage, total int) *model.SegmentMemberConnection {
	out := &model.SegmentMemberConnection{Edges: []*model.SegmentMemberEdge{}, PageInfo: &model.PageInfo{HasNextPage: pg.HasNext}, TotalCount: total}
	for _, m := range pg.Members {
		c := m.Profile.ID
		out.Edges = append(out.Edges, &model.SegmentMemberEdge{Cursor: c, Node: &model.SegmentMember{Customer: ToCustomer(m.Profile), EnteredAt: m.EnteredAt}})
		out.PageInfo.EndCursor = &c
	}
	return out
}

func ToSegmentChange(c membership.ChangeOf) *model.SegmentChange {
	out := &model.SegmentChange{CustomerID: c.ProfileID, Kind: model.SegmentChangeKind(c.Kind), At: c.At}
	if c.Profile != nil {
		out.Customer = ToCustomer(*c.Profile)
	}
	return out
}

func ToSegmentSizePoint(p membership.SizePoint) *model.SegmentSizePoint {
	return &model.SegmentSizePoint{Day: p.Day, Members: p.Members, Entered: p.Entered, Exited: p.Exited}
}
