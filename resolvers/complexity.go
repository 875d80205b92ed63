package resolvers

import (
	"github.com/tessera-cdp/tessera/graph"
	"github.com/tessera-cdp/tessera/graph/model"
)

// page is the cost multiplier of a list field: the requested page size, or a default for
// lists without one.
func page(first *int, def int) int {
	if first != nil && *first > 0 {
		return *first
	}
	return def
}

// SetComplexity gives list fields a cost proportional to the elements they may return,
// so FixedComplexityLimit bounds the work of one query.
func SetComplexity(c *graph.ComplexityRoot) {
	c.Query.Customers = func(child int, _ *string, first *int, _ *string) int { return 1 + child*page(first, 20) }
	c.Query.Sources = func(child int) int { return 1 + child*20 }
	c.Query.APIKeys = func(child int) int { return 1 + child*20 }
	c.Query.IngestJobs = func(child int, first *int) int { return 1 + child*page(first, 20) }
	c.Customer.SourceRecords = func(child int, first *int) int { return 1 + child*page(first, 50) }
	c.Customer.Identities = func(child int) int { return 1 + child*5 }
	c.Customer.TraitProvenance = func(child int) int { return 1 + child*10 }
	c.Customer.MergeHistory = func(child int) int { return 1 + child*5 }
	c.Customer.InvalidValues = func(child int) int { return 1 + child*3 }
	c.Mutation.IngestRecords = func(child int, _ string, records []*model.RecordInput, _ *string) int {
		return 1 + child + len(records)/10
	}
}
