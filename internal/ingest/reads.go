package ingest

import (
	"context"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
)

// maxJobsListed bounds Jobs.
const maxJobsListed = 100

// Source returns a source by name.
func (s *Service) Source(ctx context.Context, name string) (Source, error) {
	return s.Store.GetSource(ctx, name)
}

// Sources lists the sources.
func (s *Service) Sources(ctx context.Context) ([]Source, error) { return s.Store.ListSources(ctx) }

// Job returns an ingest job.
func (s *Service) Job(ctx context.Context, id string) (Job, error) { return s.Store.GetJob(ctx, id) }

// Jobs lists the latest n ingest jobs (at most 100).
func (s *Service) Jobs(ctx context.Context, n int) ([]Job, error) {
	if n > maxJobsListed {
		return nil, apperr.Invalidf("first must be at most %d", maxJobsListed)
	}
	return s.Store.ListJobs(ctx, n)
}

// FinishJob marks a job done now.
func (s *Service) FinishJob(ctx context.Context, id string) (Job, error) {
	return s.Store.FinishJob(ctx, id, time.Now().UTC())
}
