package commerce

import "errors"

// Bounds of what an order may say. They are far above any real order and keep every sum
// exact: an amount of at most MaxAmountMinor is below 2^53, so clients that read
// amountMinor as a JSON (floating point) number still get it exactly, and int64 holds
// more than 9,000 orders of the maximum amount before a profile's totals could overflow
// (they saturate there rather than wrap, see ledger.Metrics).
const (
	// MaxQuantity bounds the quantity of one line, either sign (credit notes are negative).
	MaxQuantity = 1_000_000
	// MaxAmountMinor bounds, in minor units and either sign, a unit price, a line amount
	// (quantity × unit price) and an order total: 10^15, e.g. £10,000,000,000,000.00.
	MaxAmountMinor = 1_000_000_000_000_000
	// MaxLines bounds the lines of one order.
	MaxLines = 1000
)

// ErrAmountBounds is wrapped by every bound check of quantities and amounts.
var ErrAmountBounds = errors.New("amount out of bounds")

func inBounds(v, limit int64) bool { return v >= -limit && v <= limit }
