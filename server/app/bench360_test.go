package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Benchmark360 serves the Customer 360 query over loopback HTTP with 8 concurrent
// clients and reports its median and p99 latency next to those of a raw driver FindOne
// of the same profile on the same database in the same run.
//
//	go test ./server/app -run '^$' -bench Benchmark360 -benchtime 400x
func Benchmark360(b *testing.B) {
	var c commandCounter
	s, db := newMonitoredServer(b, c.monitor())
	s.ok(adminKey, shopSource, nil)
	pid := seedCustomer(s, "1", 50)
	body, _ := json.Marshal(map[string]any{"query": q360, "variables": map[string]any{"id": pid}})
	const workers = 8
	run := func(op func() error) []time.Duration {
		var mu sync.Mutex
		var lat []time.Duration
		var wg sync.WaitGroup
		next := make(chan struct{})
		go func() {
			for range b.N {
				next <- struct{}{}
			}
			close(next)
		}()
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range next {
					t0 := time.Now()
					if err := op(); err != nil {
						b.Error(err)
						return
					}
					d := time.Since(t0)
					mu.Lock()
					lat = append(lat, d)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		slices.Sort(lat)
		return lat
	}
	pct := func(l []time.Duration, p float64) float64 {
		if len(l) == 0 {
			return 0
		}
		return float64(l[min(len(l)-1, int(p*float64(len(l))))].Microseconds()) / 1000
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	b.ResetTimer()
	gql := run(func() error {
		req, _ := http.NewRequest("POST", s.url+"/query", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+adminKey)
		res, err := client.Do(req)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 || bytes.Contains(raw, []byte(`"errors"`)) {
			b.Fatalf("360: %d %s", res.StatusCode, raw)
		}
		return nil
	})
	raw := run(func() error {
		return db.Collection("profiles").FindOne(context.Background(), bson.M{"_id": pid}).Err()
	})
	b.StopTimer()
	b.ReportMetric(pct(gql, 0.5), "360-p50-ms")
	b.ReportMetric(pct(gql, 0.99), "360-p99-ms")
	b.ReportMetric(pct(raw, 0.5), "findone-p50-ms")
	b.ReportMetric(pct(raw, 0.99), "findone-p99-ms")
}
