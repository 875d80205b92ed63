package analytics

import (
	"context"

	"github.com/tessera-cdp/tessera/internal/analytics/valuemodel"
)

// The customer-value models and the ranking by predicted value are package valuemodel's;
// the Service answers them.

// Model returns the state of a customer-value model, asking for a fit if there is none.
func (s *Service) Model(ctx context.Context, q valuemodel.ModelQuery) (valuemodel.ModelInfo, error) {
	return s.values.Model(ctx, q)
}

// Refit asks for the model to be fitted again now (in the background) and returns its
// state.
func (s *Service) Refit(ctx context.Context, q valuemodel.ModelQuery) (valuemodel.ModelInfo, error) {
	return s.values.Refit(ctx, q)
}

// Models lists the fits held (for the status page), newest as-of day first.
func (s *Service) Models() []valuemodel.ModelInfo { return s.values.Models() }

// PredictedValue predicts a customer's purchases and value in the Days after the as-of
// date (valuemodel.Predictor.PredictedValue).
func (s *Service) PredictedValue(ctx context.Context, q valuemodel.PredictQuery) (valuemodel.Prediction, error) {
	return s.values.PredictedValue(ctx, q)
}

// RankPredicted returns a page of customers in order of predicted value
// (valuemodel.Predictor.RankPredicted).
func (s *Service) RankPredicted(ctx context.Context, q valuemodel.ValueRankQuery) (valuemodel.ValueRankPage, error) {
	return s.values.RankPredicted(ctx, q)
}
