package convert

import (
	"slices"
	"strings"

	"github.com/tessera-cdp/tessera/graph/model"
	"github.com/tessera-cdp/tessera/internal/consent"
	"github.com/tessera-cdp/tessera/internal/recommend"
)

// FromConsentKey turns GraphQL enums into a consent key.
func FromConsentKey(c model.ConsentChannel, p model.ConsentPurpose) consent.Key {
	return consent.Key{Channel: consent.Channel(strings.ToLower(string(c))), Purpose: consent.Purpose(strings.ToLower(string(p)))}
}

func toConsentChannel(c consent.Channel) model.ConsentChannel {
	return model.ConsentChannel(strings.ToUpper(string(c)))
}

func toConsentPurpose(p consent.Purpose) model.ConsentPurpose {
	return model.ConsentPurpose(strings.ToUpper(string(p)))
}

func toConsentStatus(s consent.Status) model.ConsentStatus {
	return model.ConsentStatus(strings.ToUpper(string(s)))
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// ToCustomerConsent shows a consent record: the state of every channel and purpose,
// and the history newest first.
func ToCustomerConsent(r consent.Record) *model.CustomerConsent {
	out := &model.CustomerConsent{States: []*model.ConsentState{}, History: make([]*model.ConsentEntry, 0, len(r.History))}
	for _, k := range consent.Keys() {
		st := &model.ConsentState{Channel: toConsentChannel(k.Channel), Purpose: toConsentPurpose(k.Purpose), Allowed: r.Allowed(k.Channel, k.Purpose)}
		if s, ok := r.State(k); ok {
			status, at := toConsentStatus(s.Status), s.At
			st.Status, st.At, st.Source, st.Actor = &status, &at, optString(s.Source), optString(s.Actor)
		}
		out.States = append(out.States, st)
	}
	for _, e := range slices.Backward(r.History) {
		out.History = append(out.History, ToConsentEntry(e))
	}
	return out
}

// ToConsentEntry shows one statement.
func ToConsentEntry(e consent.Entry) *model.ConsentEntry {
	return &model.ConsentEntry{ID: e.ID, Channel: toConsentChannel(e.Channel), Purpose: toConsentPurpose(e.Purpose), Status: toConsentStatus(e.Status),
		At: e.At, RecordedAt: e.RecordedAt, Source: e.Source, Actor: optString(e.Actor), Note: optString(e.Note), FromCustomerID: optString(e.Profile)}
}

// ToRecommendations shows offers.
func ToRecommendations(recs []recommend.Rec) []*model.Recommendation {
	out := make([]*model.Recommendation, len(recs))
	for i, r := range recs {
		kind := model.RecommendationKindPopular
		if r.Kind == recommend.KindCoPurchase {
			kind = model.RecommendationKindCoPurchase
		}
		out[i] = &model.Recommendation{ProductID: r.Product, Name: optString(r.Name), Score: r.Score, Reason: r.Reason, Kind: kind}
	}
	return out
}
