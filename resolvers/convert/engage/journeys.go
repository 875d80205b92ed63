package engage

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/tessera-cdp/tessera/graph/model"
	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/journey"
	"github.com/tessera-cdp/tessera/internal/segment"
	"github.com/tessera-cdp/tessera/resolvers/convert"
)

const jDay = 24 * time.Hour

func jStr(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// ToJourneyDefinition turns the GraphQL definition into the domain's; rule converts
// (and normalises) a branch's segment rule.
func ToJourneyDefinition(in *model.JourneyDefinitionInput, rule func(*model.SegmentRuleInput) (segment.Rule, error)) (journey.Definition, error) {
	var d journey.Definition
	if in == nil || in.Trigger == nil {
		return d, apperr.Invalidf("definition: a trigger is required")
	}
	d.Trigger = journey.Trigger{Kind: journey.TriggerKind(in.Trigger.Kind), SegmentID: jStr(in.Trigger.SegmentID), Type: jStr(in.Trigger.Type), Channel: jStr(in.Trigger.Channel)}
	d.Start = jStr(in.Start)
	if r := in.Reentry; r != nil {
		d.Reentry.Mode = journey.ReentryMode(r.Mode)
		if r.AfterDays != nil {
			if *r.AfterDays < 1 || *r.AfterDays > 5*365 {
				return d, apperr.Invalidf("reentry: afterDays must be 1 to %d", 5*365)
			}
			d.Reentry.After = time.Duration(*r.AfterDays) * jDay
		}
	}
	if g := in.Goal; g != nil {
		if g.OrderWithinDays < 1 || g.OrderWithinDays > 5*365 {
			return d, apperr.Invalidf("goal: orderWithinDays must be 1 to %d", 5*365)
		}
		d.Goal = &journey.Goal{Within: time.Duration(g.OrderWithinDays) * jDay}
	}
	minutes := func(p *int, what string) (time.Duration, error) {
		if p == nil {
			return 0, nil
		}
		if *p < 1 || *p > 5*365*24*60 {
			return 0, apperr.Invalidf("%s: 1 minute to 5 years", what)
		}
		return time.Duration(*p) * time.Minute, nil
	}
	for _, s := range in.Steps {
		st := journey.Step{ID: s.ID, Kind: journey.StepKind(s.Kind), Next: jStr(s.Next)}
		if w := s.Wait; w != nil {
			st.Wait = &journey.WaitSpec{Event: jStr(w.Event), TimeoutNext: jStr(w.TimeoutNext)}
			var err error
			if st.Wait.Duration, err = minutes(w.Minutes, "step "+s.ID+": minutes"); err != nil {
				return d, err
			}
			if st.Wait.Timeout, err = minutes(w.TimeoutMinutes, "step "+s.ID+": timeoutMinutes"); err != nil {
				return d, err
			}
			if w.Until != nil {
				st.Wait.Until = w.Until.UTC().Truncate(time.Millisecond)
			}
		}
		if b := s.Branch; b != nil {
			r, err := rule(b.Rule)
			if err != nil {
				return d, err
			}
			st.Branch = &journey.BranchSpec{Rule: r, Yes: jStr(b.Yes), No: jStr(b.No)}
		}
		if sp := s.Split; sp != nil {
			st.Split = &journey.SplitSpec{}
			for _, a := range sp.Arms {
				st.Split.Arms = append(st.Split.Arms, journey.Arm{Name: a.Name, Weight: a.Weight, Next: jStr(a.Next), Holdout: a.Holdout != nil && *a.Holdout})
			}
		}
		if e := s.Email; e != nil {
			st.Email = &journey.EmailSpec{Subject: e.Subject, Text: e.Text, HTML: jStr(e.HTML)}
		}
		if w := s.Webhook; w != nil {
			st.Webhook = &journey.WebhookSpec{URL: strings.TrimSpace(w.URL)}
		}
		if a := s.Attribute; a != nil {
			st.Attribute = &journey.AttributeSpec{Op: journey.AttributeOp(a.Op), Key: a.Key, Value: jStr(a.Value)}
		}
		if t := s.Ticket; t != nil {
			st.Ticket = &journey.TicketSpec{Subject: t.Subject, Body: t.Body, Priority: jStr(t.Priority), Tags: t.Tags}
		}
		d.Steps = append(d.Steps, st)
	}
	return d, nil
}

func jPtr[T any](v T) *T { return &v }

func jOptStr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// definitionJSON is a definition in the shape of JourneyDefinitionInput.
func definitionJSON(d journey.Definition) any {
	in := model.JourneyDefinitionInput{Start: jOptStr(d.Start),
		Trigger: &model.JourneyTriggerInput{Kind: model.JourneyTriggerKind(d.Trigger.Kind), SegmentID: jOptStr(d.Trigger.SegmentID), Type: jOptStr(d.Trigger.Type), Channel: jOptStr(d.Trigger.Channel)},
		Reentry: &model.JourneyReentryInput{Mode: model.JourneyReentryMode(d.Reentry.Mode)}}
	if d.Reentry.After > 0 {
		in.Reentry.AfterDays = jPtr(int(d.Reentry.After / jDay))
	}
	if d.Goal != nil {
		in.Goal = &model.JourneyGoalInput{OrderWithinDays: int(d.Goal.Within / jDay)}
	}
	for _, s := range d.Steps {
		st := &model.JourneyStepInput{ID: s.ID, Kind: model.JourneyStepKind(s.Kind), Next: jOptStr(s.Next)}
		if w := s.Wait; w != nil {
			st.Wait = &model.JourneyWaitInput{Event: jOptStr(w.Event), TimeoutNext: jOptStr(w.TimeoutNext), Until: convert.OptTime(w.Until)}
			if w.Duration > 0 {
				st.Wait.Minutes = jPtr(int(w.Duration / time.Minute))
			}
			if w.Timeout > 0 {
				st.Wait.TimeoutMinutes = jPtr(int(w.Timeout / time.Minute))
			}
		}
		if b := s.Branch; b != nil {
			var r model.SegmentRuleInput
			raw, _ := json.Marshal(b.Rule)
			_ = json.Unmarshal(raw, &r)
			st.Branch = &model.JourneyBranchInput{Rule: &r, Yes: jOptStr(b.Yes), No: jOptStr(b.No)}
		}
		if sp := s.Split; sp != nil {
			st.Split = &model.JourneySplitInput{}
			for _, a := range sp.Arms {
				arm := &model.JourneyArmInput{Name: a.Name, Weight: a.Weight, Next: jOptStr(a.Next)}
				if a.Holdout {
					arm.Holdout = jPtr(true)
				}
				st.Split.Arms = append(st.Split.Arms, arm)
			}
		}
		if e := s.Email; e != nil {
			st.Email = &model.JourneyEmailInput{Subject: e.Subject, Text: e.Text, HTML: jOptStr(e.HTML)}
		}
		if w := s.Webhook; w != nil {
			st.Webhook = &model.JourneyWebhookInput{URL: w.URL}
		}
		if a := s.Attribute; a != nil {
			st.Attribute = &model.JourneyAttributeInput{Op: model.JourneyAttributeOp(a.Op), Key: a.Key, Value: jOptStr(a.Value)}
		}
		if t := s.Ticket; t != nil {
			st.Ticket = &model.JourneyTicketInput{Subject: t.Subject, Body: t.Body, Priority: jOptStr(t.Priority), Tags: t.Tags}
		}
		in.Steps = append(in.Steps, st)
	}
	raw, _ := json.Marshal(in)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return out
}

// ToJourney converts a journey's head (versions are resolved on demand).
func ToJourney(j journey.Journey) *model.Journey {
	m := &model.Journey{ID: j.ID, Name: j.Name, Status: model.JourneyStatus(j.Status), LatestVersion: j.Latest, WebhookSecret: j.Secret,
		CreatedAt: j.CreatedAt, UpdatedAt: j.UpdatedAt}
	if j.Live > 0 {
		m.LiveVersion = jPtr(j.Live)
	}
	return m
}

func jRate(n, of int) *float64 {
	if of == 0 {
		return nil
	}
	return jPtr(float64(n) / float64(of))
}

// ToJourneyVersions converts versions with their counts (stats in the same order).
func ToJourneyVersions(live int, vs []journey.Version, stats []journey.VersionStats) []*model.JourneyVersion {
	out := make([]*model.JourneyVersion, len(vs))
	for i, v := range vs {
		st := stats[i]
		treated := st.Entered - st.HoldoutRuns
		ms := &model.JourneyVersionStats{Entered: st.Entered, InProgress: st.InProgress, Done: st.Done, Exited: st.Exited, Converted: st.Converted,
			ConversionRate: jRate(st.Converted, treated), Holdout: st.HoldoutRuns, HoldoutConverted: st.HoldoutConverted,
			HoldoutConversionRate: jRate(st.HoldoutConverted, st.HoldoutRuns), Steps: []*model.JourneyStepStats{}}
		for _, s := range st.Steps {
			ss := &model.JourneyStepStats{StepID: s.Step, Kind: model.JourneyStepKind(s.Kind), Entered: s.Entered, Completed: s.Completed, Waiting: s.Waiting,
				Outcomes: []*model.JourneyOutcomeCount{}}
			for _, k := range slices.Sorted(maps.Keys(s.Outcomes)) {
				ss.Outcomes = append(ss.Outcomes, &model.JourneyOutcomeCount{Outcome: k, Count: s.Outcomes[k]})
			}
			ms.Steps = append(ms.Steps, ss)
		}
		out[i] = &model.JourneyVersion{Version: v.N, Live: v.N == live, CreatedAt: v.CreatedAt, PublishedAt: convert.OptTime(v.PublishedAt),
			Definition: definitionJSON(v.Def), Stats: ms}
	}
	return out
}

// ToJourneyEnrollment converts a customer's position in a journey.
func ToJourneyEnrollment(p journey.Position) *model.JourneyEnrollment {
	m := &model.JourneyEnrollment{JourneyID: p.JourneyID, CustomerID: p.ProfileID, Run: p.Run, Version: p.Version,
		Status: model.JourneyEnrollmentStatus(p.Status), History: []*model.JourneyVisit{}}
	if !p.Status.Ended() {
		m.Step, m.WakeAt = jOptStr(p.Step), convert.OptTime(p.WakeAt)
	}
	if len(p.Runs) > 0 {
		r := p.Current()
		m.EnteredAt, m.ConvertedAt = r.EnteredAt, convert.OptTime(r.ConvertedAt)
	}
	for _, v := range p.Visits {
		m.History = append(m.History, &model.JourneyVisit{Run: v.Run, Version: v.Version, Step: v.Step, At: v.At, LeftAt: convert.OptTime(v.LeftAt), Outcome: jOptStr(v.Outcome)})
	}
	return m
}
