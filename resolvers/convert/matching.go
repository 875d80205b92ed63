package convert

import (
	"github.com/tessera-cdp/tessera/graph/model"
	"github.com/tessera-cdp/tessera/internal/matchjob"
)

func ToMatchJob(j matchjob.Job) *model.MatchJob {
	m := &model.MatchJob{ID: j.ID, Status: model.MatchJobStatus(j.Status), Phase: string(j.Phase), Processed: j.Processed, Total: j.Total,
		PairsCompared: j.PairsCompared, AutoMerged: j.AutoMerged, Suggested: j.Suggested, StartedAt: j.StartedAt, FinishedAt: j.FinishedAt}
	if j.Error != "" {
		m.Error = &j.Error
	}
	return m
}

func ToSuggestion(s matchjob.Suggestion) *model.MatchSuggestion {
	m := &model.MatchSuggestion{ID: s.ID, Status: model.MatchSuggestionStatus(s.Status), Probability: s.Probability,
		CreatedAt: s.CreatedAt, DecidedAt: s.DecidedAt, Evidence: make([]*model.MatchEvidence, len(s.Evidence))}
	if s.DecidedBy != "" {
		m.DecidedBy = &s.DecidedBy
	}
	if s.Reason != "" {
		m.Reason = &s.Reason
	}
	for i, e := range s.Evidence {
		ev := &model.MatchEvidence{Field: e.Field, Level: e.Level, Weight: e.Weight}
		if e.A != "" {
			ev.Left = &e.A
		}
		if e.B != "" {
			ev.Right = &e.B
		}
		m.Evidence[i] = ev
	}
	// The sides as they are now (a side may have been merged since); resolved by the
	// left/right field resolvers through customer(id), which follows redirects.
	m.Left = &model.Customer{ID: pick(s.CurrentA, s.A)}
	m.Right = &model.Customer{ID: pick(s.CurrentB, s.B)}
	return m
}

func pick(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func ToMatchOptions(in *model.MatchJobInput, actor string) matchjob.Options {
	o := matchjob.Options{Actor: actor}
	if in == nil {
		return o
	}
	o.SourceFilter = Val(in.Source)
	o.Incremental = in.Incremental != nil && *in.Incremental
	o.DryRun = in.DryRun != nil && *in.DryRun
	if in.UpperThreshold != nil {
		o.Upper = *in.UpperThreshold
	}
	if in.LowerThreshold != nil {
		o.Lower = *in.LowerThreshold
	}
	return o
}
