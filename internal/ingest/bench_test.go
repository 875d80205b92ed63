package ingest_test

import (
	"context"
	"testing"

	"github.com/tessera-cdp/tessera/internal/identity"
	"github.com/tessera-cdp/tessera/internal/ingest"
	"github.com/tessera-cdp/tessera/internal/normalize"
	"github.com/tessera-cdp/tessera/internal/store/identitystore"
	"github.com/tessera-cdp/tessera/internal/testdb"
)

// BenchmarkIngest measures resolution throughput of 1000-record batches on the embedded
// database; b.N counts batches.
func BenchmarkIngest(b *testing.B) {
	st := identitystore.New(testdb.DB(b), testdb.Backend(b))
	svc := ingest.NewService(st, identity.NewEngine(st), normalize.Default())
	ctx := context.Background()
	for _, s := range ingest.SynthSources {
		if _, err := svc.CreateSource(ctx, s); err != nil {
			b.Fatal(err)
		}
	}
	recs := ingest.Synthesize(1000*b.N, 0.3, 1)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		bySrc := map[string][]ingest.Input{}
		for _, r := range recs[i*1000 : (i+1)*1000] {
			bySrc[r.Source] = append(bySrc[r.Source], r.Input)
		}
		for src, in := range bySrc {
			if _, err := svc.Ingest(ctx, src, in, ""); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(1000*b.N)/b.Elapsed().Seconds(), "records/s")
}
