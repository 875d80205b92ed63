package sender

import (
	"context"

	"github.com/tessera-cdp/tessera/internal/campaign"
)

// Plan freezes a campaign's audience (the benchmark of planning alone).
func (s *Service) Plan(ctx context.Context, c campaign.Campaign) (campaign.Campaign, error) {
	return s.plan(ctx, c)
}
