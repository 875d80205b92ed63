//go:build unix

package trackinghttp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// BenchmarkTrackingBatch sends synthetic events through POST /v1/batch (100 per batch,
// 2 senders) and then bulk-inserts the same messages raw into the same database, and
// reports both as events per second and per CPU second of the process (the embedded
// database runs in it, so that is per core):
//
//	TESSERA_BENCH_EVENTS=5000 go test ./server/trackinghttp -run '^$' -bench TrackingBatch -benchtime 1x
func BenchmarkTrackingBatch(b *testing.B) {
	n := 5000
	if v, err := strconv.Atoi(os.Getenv("TESSERA_BENCH_EVENTS")); err == nil && v > 0 {
		n = v
	}
	const perBatch, senders = 100, 2
	for range b.N {
		e := start(b)
		key, _ := e.trackingSource("web")
		batches := syntheticBatches(n, perBatch)

		cpu0, t0 := cpuTime(), time.Now()
		work := make(chan string)
		var wg sync.WaitGroup
		var failed error
		var mu sync.Mutex
		for range senders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for body := range work {
					req, _ := http.NewRequest("POST", e.url+"/v1/batch", strings.NewReader(body))
					req.SetBasicAuth(key, "")
					res, err := http.DefaultClient.Do(req)
					if err == nil {
						res.Body.Close()
						if res.StatusCode != http.StatusOK {
							err = fmt.Errorf("HTTP %d", res.StatusCode)
						}
					}
					if err != nil {
						mu.Lock()
						failed = err
						mu.Unlock()
					}
				}
			}()
		}
		for _, body := range batches {
			work <- body
		}
		close(work)
		wg.Wait()
		if failed != nil {
			b.Fatal(failed)
		}
		wall, cpu := time.Since(t0).Seconds(), (cpuTime() - cpu0).Seconds()

		// The same messages as documents, bulk-inserted raw into the same database.
		raw := e.db.Collection("bench_raw_events")
		cpu1, t1 := cpuTime(), time.Now()
		for _, body := range batches {
			var req struct{ Batch []map[string]any }
			if err := json.Unmarshal([]byte(body), &req); err != nil {
				b.Fatal(err)
			}
			docs := make([]any, len(req.Batch))
			for i, m := range req.Batch {
				m["_id"] = m["messageId"]
				docs[i] = bson.M(m)
			}
			if _, err := raw.InsertMany(context.Background(), docs, options.InsertMany().SetOrdered(false)); err != nil {
				b.Fatal(err)
			}
		}
		rawWall, rawCPU := time.Since(t1).Seconds(), (cpuTime() - cpu1).Seconds()

		b.ReportMetric(float64(n)/wall, "events/s")
		b.ReportMetric(float64(n)/cpu, "events/cpu-s")
		b.ReportMetric(float64(n)/rawWall, "raw-events/s")
		b.ReportMetric(float64(n)/rawCPU, "raw-events/cpu-s")
		b.ReportMetric(rawWall/wall, "ratio")
	}
}

// syntheticBatches makes n messages of n/10 visitors (a tenth of them identify with an
// e-mail; page views and track events otherwise) in request bodies of perBatch.
func syntheticBatches(n, perBatch int) []string {
	visitors := max(n/10, 1)
	now := time.Now().UTC()
	var out []string
	var msgs []string
	for i := range n {
		v := i % visitors
		at := now.Add(-time.Duration(n-i) * time.Second).Format(time.RFC3339Nano)
		ctx := `"context":{"ip":"198.51.100.7","userAgent":"Mozilla/5.0","campaign":{"name":"autumn","source":"ads"}}`
		var m string
		switch {
		case i%10 == 9 && v%10 == 0:
			m = fmt.Sprintf(`{"type":"identify","anonymousId":"anon-%d","userId":"user-%d","traits":{"email":"v%d@example.com","name":"Visitor %d"},"messageId":"bm-%d","timestamp":%q,%s}`, v, v, v, v, i, at, ctx)
		case i%3 == 0:
			m = fmt.Sprintf(`{"type":"page","anonymousId":"anon-%d","name":"Product","properties":{"url":"https://shop.example/p/%d"},"messageId":"bm-%d","timestamp":%q,%s}`, v, i%50, i, at, ctx)
		default:
			m = fmt.Sprintf(`{"type":"track","anonymousId":"anon-%d","event":"Product Viewed","properties":{"sku":"SKU-%d","price":12.5},"messageId":"bm-%d","timestamp":%q,%s}`, v, i%50, i, at, ctx)
		}
		msgs = append(msgs, m)
		if len(msgs) == perBatch || i == n-1 {
			out = append(out, fmt.Sprintf(`{"batch":[%s],"sentAt":%q}`, strings.Join(msgs, ","), now.Format(time.RFC3339Nano)))
			msgs = nil
		}
	}
	return out
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
