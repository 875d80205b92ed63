// Package engage holds the converters of the marketing and engagement capabilities
// (campaigns, journeys, marketing effectiveness, reports, other channels, tracking
// write keys); the shared helpers and the core converters are in package convert.
package engage
