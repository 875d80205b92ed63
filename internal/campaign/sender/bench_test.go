package sender_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/campaign"
	"github.com/tessera-cdp/tessera/internal/campaign/sender"
	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/commerce/ledger"
	"github.com/tessera-cdp/tessera/internal/mail"
	"github.com/tessera-cdp/tessera/internal/mail/mailtest"
	"github.com/tessera-cdp/tessera/internal/profile"
	"github.com/tessera-cdp/tessera/internal/store/campaignstore"
	"github.com/tessera-cdp/tessera/internal/store/segmentstore"
	"github.com/tessera-cdp/tessera/internal/testdb"
)

// The benchmarks run the real store (the test's embedded FerretDB) and the real relay
// client against a go-smtp server on loopback (STARTTLS, authentication); profiles,
// consent and commerce are in memory, so they measure the send pipeline: eligibility,
// rendering, the ledger claim and outcome writes, SMTP.
//
//	go test ./internal/campaign/ -run '^$' -bench CampaignSend -benchtime 3x
//	TESSERA_BENCH_PLAN=100000 go test ./internal/campaign/ -run '^$' -bench CampaignPlan -benchtime 3x

type memSegments struct{ ids []string }

func (m memSegments) SegmentName(context.Context, string) (string, error) { return "all", nil }
func (m memSegments) IsMember(context.Context, string, string) (bool, error) {
	return true, nil
}
func (m memSegments) MemberIDs(_ context.Context, _, after string, limit int) ([]string, error) {
	i, _ := slices.BinarySearch(m.ids, after)
	if i < len(m.ids) && m.ids[i] == after {
		i++
	}
	return m.ids[i:min(i+limit, len(m.ids))], nil
}

type memProfiles map[string]profile.Profile

func (m memProfiles) Get(_ context.Context, id string) (profile.Profile, error) {
	p, ok := m[id]
	if !ok {
		return profile.Profile{}, apperr.NotFoundf("no %s", id)
	}
	return p, nil
}

func (m memProfiles) Final(_ context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	for _, id := range ids {
		if _, ok := m[id]; ok {
			out[id] = id
		}
	}
	return out, nil
}

type allowAll struct{}

func (allowAll) Allowed(context.Context, string) (bool, error) { return true, nil }
func (allowAll) Refuse(context.Context, string, campaign.Refusal, string, string) error {
	return nil
}

type noCommerce struct{}

func (noCommerce) AddInteractions(_ context.Context, is []commerce.Interaction) (int, error) {
	return len(is), nil
}
func (noCommerce) GetMetrics(context.Context, []string) ([]ledger.Metrics, error) { return nil, nil }
func (noCommerce) GetBuckets(context.Context, []ledger.BucketKey) ([]ledger.Bucket, error) {
	return nil, nil
}

func BenchmarkCampaignSend(b *testing.B) {
	const size = 300
	relay := mailtest.Start(b)
	client, err := mail.New(relay.Config("Shop <news@shop.example>"))
	if err != nil {
		b.Fatal(err)
	}
	ps := memProfiles{}
	var ids []string
	for i := range size {
		id := fmt.Sprintf("cus_%06d", i)
		ps[id] = profile.Profile{ID: id, Traits: profile.Traits{FirstName: "Ann", Emails: []string{fmt.Sprintf("p%d@example.com", i)}}}
		ids = append(ids, id)
	}
	ctx := context.Background()
	st := campaignstore.New(testdb.DB(b), testdb.Backend(b))
	s := &sender.Service{Store: st, Segments: memSegments{ids}, Profiles: ps, Consent: allowAll{}, Commerce: noCommerce{}, Mail: client,
		PublicURL: "https://t.example", NewID: func() string { return "cmp_" + strconv.FormatInt(time.Now().UnixNano(), 36) }}
	s.Start(ctx)
	zero := 0.0
	in := campaign.Input{Name: "bench", SegmentID: "seg", Subject: "Hello {{customer.firstName}}", Text: "Hi {{customer.firstName}}",
		HTML: `<p>Hi {{customer.firstName}}, <a href="https://shop.example/sale">sale</a></p>`, HoldoutPercent: &zero}
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		c, err := s.Create(ctx, in, "bench")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.SendNow(ctx, c.ID); err != nil {
			b.Fatal(err)
		}
		if err := s.Wait(ctx, c.ID); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(size*b.N)/time.Since(start).Seconds(), "msgs/s")
	if relay.Count() != size*b.N {
		b.Fatalf("%d messages, want %d", relay.Count(), size*b.N)
	}
}

func BenchmarkCampaignPlan(b *testing.B) {
	size := 100_000
	if v, err := strconv.Atoi(os.Getenv("TESSERA_BENCH_PLAN")); err == nil && v > 0 {
		size = v
	}
	ctx := context.Background()
	db := testdb.DB(b)
	// A segment of size members in the real membership collection and its in-process
	// member index, as the server keeps it.
	members := db.Collection("segment_members")
	now := time.Now().UTC()
	for start := 0; start < size; start += 1000 {
		docs := make([]any, 0, 1000)
		for i := start; i < min(start+1000, size); i++ {
			pid := fmt.Sprintf("cus_%08d", i)
			docs = append(docs, map[string]any{"_id": "seg_big|" + pid, "segmentId": "seg_big", "profileId": pid, "enteredAt": now})
		}
		if _, err := members.InsertMany(ctx, docs); err != nil {
			b.Fatal(err)
		}
	}
	segs := segmentstore.New(db, testdb.Backend(b), nil)
	if err := segs.BuildMemberIndex(ctx); err != nil {
		b.Fatal(err)
	}
	st := campaignstore.New(db, testdb.Backend(b))
	s := &sender.Service{Store: st, Segments: benchSegments{segs}, Profiles: memProfiles{}, Consent: allowAll{}, Commerce: noCommerce{}}
	b.ResetTimer()
	for i := range b.N {
		c := campaign.Campaign{ID: fmt.Sprintf("cmp_plan%d", i), SegmentID: "seg_big", HoldoutPercent: 10, State: campaign.Sending}
		if err := st.InsertCampaign(ctx, c); err != nil {
			b.Fatal(err)
		}
		got, err := s.Plan(ctx, c)
		if err != nil {
			b.Fatal(err)
		}
		if got.Planned != size {
			b.Fatalf("planned %d, want %d", got.Planned, size)
		}
	}
	b.ReportMetric(float64(size), "members")
}

// benchSegments lists members from the segment store's member index.
type benchSegments struct{ s *segmentstore.Store }

func (x benchSegments) SegmentName(context.Context, string) (string, error) { return "big", nil }
func (x benchSegments) IsMember(context.Context, string, string) (bool, error) {
	return true, nil
}
func (x benchSegments) MemberIDs(ctx context.Context, seg, after string, limit int) ([]string, error) {
	return x.s.MemberIDs(ctx, seg, after, limit)
}
