package trackinghttp_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/testdb"
)

// TestTrackingRequestBounded: a batch of events of known visitors sends as many commands
// on a database of 50 visitors as on one of 500, and on FerretDB every filter it sends is
// a bare _id (the write key, the messageIds, the visitors' records, their ledger).
func TestTrackingRequestBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 500 visitors")
	}
	pointOnly := !testdb.Backend(t).IndexedFilters
	// The request path's collections; background work (notification polls, the segment
	// fact cache) reads others, or these at other times.
	only := []string{"write_keys", "tracking_messages", "sources", "source_records", "identities", "interactions", "customer_ledger"}
	counts := map[int]int{}
	for _, size := range []int{50, 500} {
		log := &testdb.CommandLog{Only: only}
		e := startOn(t, testdb.MonitoredClient(t, log).Database(fmt.Sprintf("trackbounded_%d_%d", size, time.Now().UnixNano())))
		key, _ := e.trackingSource("web")
		for start := 0; start < size; start += 100 {
			var msgs []string
			for v := start; v < min(start+100, size); v++ {
				msgs = append(msgs, fmt.Sprintf(`{"type":"page","anonymousId":"v-%d","messageId":"seed-%d"}`, v, v))
			}
			if code, out := e.post("/v1/batch", key, `{"batch":[`+strings.Join(msgs, ",")+`]}`); code != http.StatusOK {
				t.Fatalf("seed: %d %v", code, out)
			}
		}
		var msgs []string
		for i := range 10 {
			msgs = append(msgs, fmt.Sprintf(`{"type":"track","anonymousId":"v-%d","event":"Product Viewed","messageId":"m-%d"}`, 7+i%5, i))
		}
		e.post("/v1/batch", key, `{"batch":[]}`) // the key is cached (30 s) from here
		log.Record(true)
		code, out := e.post("/v1/batch", key, `{"batch":[`+strings.Join(msgs, ",")+`]}`)
		cmds := log.Record(false)
		if code != http.StatusOK || out["accepted"] != 10.0 {
			t.Fatalf("%d %v", code, out)
		}
		for _, c := range cmds {
			for _, f := range c.Filters {
				if pointOnly && !testdb.BareID(f) {
					t.Errorf("%d visitors: a filter that is not a bare _id: %s", size, c)
				}
			}
		}
		counts[size] = len(cmds)
		t.Logf("%d visitors: %d commands", size, len(cmds))
	}
	if counts[50] != counts[500] {
		t.Errorf("commands grow with the database: %v", counts)
	}
}
