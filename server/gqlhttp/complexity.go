package gqlhttp

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
	c.Query.Customers = func(child int, _ *string, _ *model.CustomerFilter, _ *model.CustomerOrder, first *int, _ *string) int {
		return 1 + child*page(first, 20)
	}
	c.Query.Sources = func(child int) int { return 1 + child*20 }
	c.Query.APIKeys = func(child int) int { return 1 + child*20 }
	c.Query.IngestJobs = func(child int, first *int) int { return 1 + child*page(first, 20) }
	c.Query.Suppressions = func(child int, first *int, _ *string) int { return 1 + child*page(first, 50) }
	c.Customer.SourceRecords = func(child int, first *int) int { return 1 + child*page(first, 50) }
	c.Customer.Identities = func(child int) int { return 1 + child*5 }
	c.Customer.TraitProvenance = func(child int) int { return 1 + child*10 }
	c.Customer.MergeHistory = func(child int) int { return 1 + child*5 }
	c.Customer.InvalidValues = func(child int) int { return 1 + child*3 }
	c.Customer.Orders = func(child int, first *int, _ *string) int { return 1 + child*page(first, 10) }
	// A timeline page costs a few queries per customer (one per kind of item), so it is
	// priced higher than its items alone.
	c.Customer.Timeline = func(child int, first *int, _ *string, _, _ []string) int { return 20 + child*page(first, 20) }
	c.Mutation.IngestOrders = func(child int, _ string, rows []*model.OrderInput) int { return 1 + child + len(rows)/10 }
	c.Mutation.IngestInteractions = func(child int, _ string, rows []*model.InteractionInput) int { return 1 + child + len(rows)/10 }
	c.Mutation.IngestRecords = func(child int, _ string, records []*model.RecordInput, _ *string) int {
		return 1 + child + len(records)/10
	}
}
