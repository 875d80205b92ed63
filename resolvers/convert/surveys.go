package convert

import (
	"strings"

	"github.com/tessera-cdp/tessera/graph/model"
	"github.com/tessera-cdp/tessera/internal/survey"
)

// ToSurvey converts a survey send with its answer.
func ToSurvey(s survey.Send) *model.Survey {
	out := &model.Survey{ID: s.ID, Kind: model.SurveyKind(strings.ToUpper(string(s.Kind))), Trigger: model.SurveyTrigger(strings.ToUpper(s.TriggerType)),
		TriggerID: s.TriggerID, State: model.SurveyState(strings.ToUpper(string(s.State))), Reason: Opt(s.Reason), To: Opt(s.To),
		CreatedAt: s.CreatedAt, SentAt: OptTime(s.SentAt)}
	if a := s.Answer; a != nil {
		out.Answer = &model.SurveyAnswer{Score: a.Score, Comment: Opt(a.Comment), At: a.At, UpdatedAt: a.UpdatedAt}
		if s.Kind == survey.NPS {
			c := model.NpsCategory(strings.ToUpper(survey.Category(a.Score)))
			out.Answer.Category = &c
		}
	}
	return out
}

// ToCustomerNps converts a latest NPS answer.
func ToCustomerNps(l survey.Latest) *model.CustomerNps {
	return &model.CustomerNps{Score: l.Score, Category: model.NpsCategory(strings.ToUpper(survey.Category(l.Score))), At: l.At}
}

func fromSurveyKind(k *model.SurveyKind) survey.Kind {
	if k == nil {
		return ""
	}
	return survey.Kind(strings.ToLower(string(*k)))
}

func toSurveyKind(k survey.Kind) *model.SurveyKind {
	if k == "" {
		return nil
	}
	m := model.SurveyKind(strings.ToUpper(string(k)))
	return &m
}

// FromSurveySettings converts the settings input.
func FromSurveySettings(in model.SurveySettingsInput) survey.Settings {
	return survey.Settings{OnTicketSolved: fromSurveyKind(in.TicketSolved), OnOrderDelivered: fromSurveyKind(in.OrderDelivered),
		CapDays: map[survey.Kind]int{survey.NPS: in.NpsCapDays, survey.CSAT: in.CsatCapDays}}
}

// ToSurveySettings converts the settings.
func ToSurveySettings(s survey.Settings) *model.SurveySettings {
	return &model.SurveySettings{TicketSolved: toSurveyKind(s.OnTicketSolved), OrderDelivered: toSurveyKind(s.OnOrderDelivered),
		NpsCapDays: s.CapDays[survey.NPS], CsatCapDays: s.CapDays[survey.CSAT]}
}

func toNpsPeriod(p survey.Period) *model.NpsPeriod {
	return &model.NpsPeriod{Start: p.Start, Responses: p.Responses, Promoters: p.Promoters, Passives: p.Passives, Detractors: p.Detractors,
		PromotersPercent: p.PromotersPct, DetractorsPercent: p.DetractorsPct, Nps: p.NPS}
}

// ToNpsTrend converts NPS over time.
func ToNpsTrend(t survey.Trend) *model.NpsTrend {
	out := &model.NpsTrend{Ready: t.Ready, Periods: make([]*model.NpsPeriod, 0, len(t.Periods)), Total: toNpsPeriod(t.Total)}
	for _, p := range t.Periods {
		out.Periods = append(out.Periods, toNpsPeriod(p))
	}
	return out
}
