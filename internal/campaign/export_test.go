package campaign

import "context"

// Plan freezes a campaign's audience (the benchmark of planning alone).
func (s *Service) Plan(ctx context.Context, c Campaign) (Campaign, error) { return s.plan(ctx, c) }
