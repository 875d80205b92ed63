package sender_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/campaign"
	"github.com/tessera-cdp/tessera/internal/campaign/sender"
	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/mail"
	"github.com/tessera-cdp/tessera/internal/mail/mailtest"
	"github.com/tessera-cdp/tessera/internal/profile"
	"github.com/tessera-cdp/tessera/internal/store/campaignstore"
	"github.com/tessera-cdp/tessera/internal/testdb"
)

// redirecting profiles: merged ids lead to their survivor.
type redirecting struct {
	ps     memProfiles
	merged map[string]string
}

func (r redirecting) Get(ctx context.Context, id string) (profile.Profile, error) {
	if to, ok := r.merged[id]; ok {
		id = to
	}
	return r.ps.Get(ctx, id)
}

func (r redirecting) Final(ctx context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	for _, id := range ids {
		if p, err := r.Get(ctx, id); err == nil {
			out[id] = p.ID
		}
	}
	return out, nil
}

type listed map[string]bool

func (l listed) Suppressed(_ context.Context, keys []string) ([]string, error) {
	var out []string
	for _, k := range keys {
		if l[k] {
			out = append(out, k)
		}
	}
	return out, nil
}

type consentOf map[string]bool

func (c consentOf) Allowed(_ context.Context, id string) (bool, error) { return c[id], nil }
func (c consentOf) Refuse(context.Context, string, campaign.Refusal, string, string) error {
	return nil
}

type liveSegment struct {
	memSegments
	left map[string]bool
}

func (l liveSegment) IsMember(_ context.Context, _, id string) (bool, error) { return !l.left[id], nil }

type timeline struct {
	noCommerce
	mu  sync.Mutex
	got []commerce.Interaction
}

func (t *timeline) AddInteractions(_ context.Context, is []commerce.Interaction) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.got = append(t.got, is...)
	return len(is), nil
}

func TestSendSkipsTheIneligibleAndMergedDuplicates(t *testing.T) {
	ctx := context.Background()
	relay := mailtest.Start(t)
	client, err := mail.New(relay.Config("Shop <news@shop.example>"))
	if err != nil {
		t.Fatal(err)
	}
	p := func(id, email string) profile.Profile {
		var es []string
		if email != "" {
			es = []string{email}
		}
		return profile.Profile{ID: id, Traits: profile.Traits{FirstName: id, Emails: es}}
	}
	ps := memProfiles{"cus_a": p("cus_a", "a@example.com"), "cus_b": p("cus_b", ""), "cus_c": p("cus_c", "c@example.com"),
		"cus_e": p("cus_e", "e@example.com"), "cus_g": p("cus_g", "g@example.com")}
	ids := []string{"cus_a", "cus_b", "cus_c", "cus_d", "cus_e", "cus_f", "cus_g"}
	tl := &timeline{}
	s := &sender.Service{Store: campaignstore.New(testdb.DB(t), testdb.Backend(t)),
		Segments:     liveSegment{memSegments{ids}, map[string]bool{"cus_e": true}},
		Profiles:     redirecting{ps, map[string]string{"cus_f": "cus_a"}}, // f was merged into a after planning
		Suppressions: listed{"email:c@example.com": true},
		Consent:      consentOf{"cus_a": true, "cus_b": true, "cus_c": true, "cus_e": true},
		Commerce:     tl, Mail: client, PublicURL: "https://t.example", NewID: func() string { return "cmp_1" }}
	s.Start(ctx)
	zero := 0.0
	c, err := s.Create(ctx, campaign.Input{Name: "n", SegmentID: "seg", Audience: campaign.Live, Subject: "Hi {{customer.firstName}}", Text: "Hi", HoldoutPercent: &zero}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SendNow(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Wait(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if ms := relay.Messages(); len(ms) != 1 || ms[0].To[0] != "a@example.com" {
		t.Fatalf("messages %v", ms)
	}
	rep, err := s.Report(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{campaign.ReasonNoEmail: 1, campaign.ReasonSuppressedID: 1, campaign.ReasonErased: 1, campaign.ReasonLeftSegment: 1, campaign.ReasonNoConsent: 1}
	if rep.Campaign.State != campaign.Sent || rep.Planned != 7 || rep.Pending != 0 || rep.Sent != 1 || rep.Suppressed != 5 || len(rep.SuppressedBy) != 5 {
		t.Fatalf("report %+v", rep)
	}
	for k, n := range want {
		if rep.SuppressedBy[k] != n {
			t.Errorf("%s: %d", k, rep.SuppressedBy[k])
		}
	}
	if len(tl.got) != 1 || tl.got[0].Type != "sent" || tl.got[0].ProfileID != "cus_a" || tl.got[0].ID != "campaign:cmp_1:cus_a:sent" {
		t.Fatalf("timeline %+v", tl.got)
	}
	// A cancelled, sent or unknown campaign is not sent again.
	if _, err := s.SendNow(ctx, c.ID); err == nil {
		t.Fatal("sent twice")
	}
	if _, err := s.SendNow(ctx, "cmp_x"); !apperr.IsNotFound(err) {
		t.Fatalf("unknown: %v", err)
	}
	if !slices.Equal(c.Links, nil) {
		t.Fatalf("links %v", c.Links)
	}
}

// An unusable relay stops the send without failing anyone; it resumes after a pause.
func TestRelayDownStopsTheSendUntilLater(t *testing.T) {
	ctx := context.Background()
	relay := mailtest.Start(t)
	cfg := relay.Config("Shop <news@shop.example>")
	cfg.Password = "wrong"
	broken, err := mail.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ps := memProfiles{}
	var ids []string
	for _, id := range []string{"cus_a", "cus_b", "cus_c"} {
		ps[id] = profile.Profile{ID: id, Traits: profile.Traits{Emails: []string{id + "@example.com"}}}
		ids = append(ids, id)
	}
	now := time.Now()
	s := &sender.Service{Store: campaignstore.New(testdb.DB(t), testdb.Backend(t)), Segments: memSegments{ids}, Profiles: ps, Consent: allowAll{},
		Commerce: noCommerce{}, Mail: broken, PublicURL: "https://t.example", NewID: func() string { return "cmp_1" }, Now: func() time.Time { return now }}
	s.Start(ctx)
	zero := 0.0
	c, err := s.Create(ctx, campaign.Input{Name: "n", SegmentID: "seg", Subject: "Hi", Text: "Hi", HoldoutPercent: &zero}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SendNow(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Wait(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	rep, err := s.Report(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Campaign.State != campaign.Sending || rep.Campaign.LastError == "" || rep.Pending != 3 || rep.Failed != 0 || relay.Count() != 0 {
		t.Fatalf("after the relay refused the login: %+v", rep)
	}
	// Within the pause nothing happens; after it the send resumes.
	s.Mail, _ = mail.New(relay.Config("Shop <news@shop.example>"))
	if err := s.RunDue(ctx); err != nil || s.Wait(ctx, c.ID) != nil || relay.Count() != 0 {
		t.Fatalf("resumed within the pause: %v, %d messages", err, relay.Count())
	}
	now = now.Add(2 * time.Minute)
	if err := s.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Wait(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if rep, err = s.Report(ctx, c.ID); err != nil || rep.Campaign.State != campaign.Sent || rep.Sent != 3 || rep.Campaign.LastError != "" || relay.Count() != 3 {
		t.Fatalf("after the pause: %+v %v", rep, err)
	}
}
