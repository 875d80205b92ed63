package orderbook

import (
	"testing"
	"time"
)

func TestDefaultAsOf(t *testing.T) {
	now := time.Date(2025, 6, 1, 15, 0, 0, 0, time.UTC)
	for _, c := range []struct{ last, want time.Time }{
		{time.Time{}, now},
		{now.Add(-29 * 24 * time.Hour), now},
		{time.Date(2011, 12, 9, 12, 50, 0, 0, time.UTC), time.Date(2011, 12, 10, 0, 0, 0, 0, time.UTC)},
	} {
		if got := defaultAsOf(now, c.last); !got.Equal(c.want) {
			t.Errorf("last order %s: %s, want %s", c.last, got, c.want)
		}
	}
}
