package campaign_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/campaign"
)

func TestParseSchedule(t *testing.T) {
	for _, tc := range []struct{ local, zone, want, bad string }{
		{"2026-03-01T09:00", "Europe/Berlin", "2026-03-01T08:00:00Z", ""},
		{"2026-07-01 09:00:30", "Europe/Berlin", "2026-07-01T07:00:30Z", ""},
		{"2026-03-01T09:00", "America/New_York", "2026-03-01T14:00:00Z", ""},
		{"2026-03-29T02:30", "Europe/Berlin", "", "does not exist"},       // clocks skip 02:00-03:00
		{"2026-10-25T02:30", "Europe/Berlin", "2026-10-25T00:30:00Z", ""}, // repeated: the first (CEST)
		{"2026-03-01T09:00", "Local", "", "unknown time zone"},
		{"2026-03-01T09:00", "", "", "unknown time zone"},
		{"2026-03-01T09:00+02:00", "UTC", "", "want a local time"},
	} {
		got, err := campaign.ParseSchedule(tc.local, tc.zone)
		if tc.bad != "" {
			if err == nil || !strings.Contains(err.Error(), tc.bad) {
				t.Errorf("%s %s: %v, want %q", tc.local, tc.zone, err, tc.bad)
			}
			continue
		}
		if err != nil || got.Format(time.RFC3339) != tc.want {
			t.Errorf("%s %s: %v %v, want %s", tc.local, tc.zone, got, err, tc.want)
		}
	}
}

func TestTokensAreSignedAndTyped(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	tok := campaign.Token{Kind: campaign.KindClick, CampaignID: "cmp_1", ProfileID: "cus_2", Link: 3}.Sign(key)
	got, err := campaign.ParseToken(key, tok)
	if err != nil || got.Kind != campaign.KindClick || got.CampaignID != "cmp_1" || got.ProfileID != "cus_2" || got.Link != 3 || got.Test {
		t.Fatalf("%+v %v", got, err)
	}
	for _, bad := range []string{"", "x", tok + "x", "A" + tok[1:], tok[:strings.Index(tok, ".")] + ".AAAA",
		campaign.Token{Kind: campaign.KindClick, CampaignID: "cmp_1", ProfileID: "cus_2"}.Sign([]byte("another key, another installation"))} {
		if _, err := campaign.ParseToken(key, bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
	test := campaign.Token{Kind: campaign.KindOpen, CampaignID: "c", ProfileID: "p", Test: true}.Sign(key)
	if got, err := campaign.ParseToken(key, test); err != nil || !got.Test {
		t.Fatalf("test token: %+v %v", got, err)
	}
}

func TestHoldoutIsDeterministicAndProportional(t *testing.T) {
	in := 0
	const n = 20000
	for i := range n {
		id := "cus_" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + time.Unix(int64(i), 0).UTC().Format("150405")
		a, b := campaign.InHoldout("cmp_1", id, 10), campaign.InHoldout("cmp_1", id, 10)
		if a != b {
			t.Fatal("not deterministic")
		}
		if a {
			in++
		}
	}
	if math.Abs(float64(in)/n-0.10) > 0.01 {
		t.Fatalf("%d of %d in a 10%% holdout", in, n)
	}
	if campaign.InHoldout("c", "p", 0) || !campaign.InHoldout("c", "p", 100) {
		t.Fatal("0% and 100%")
	}
}

func TestTwoProportions(t *testing.T) {
	// 120 of 1000 against 80 of 1000: d = 0.04, unpooled se = sqrt(.12*.88/1000 + .08*.92/1000),
	// pooled p = 0.1, se = sqrt(.1*.9*2/1000) = 0.013416..., z = 2.9814, p = 0.00287.
	u := campaign.TwoProportions(120, 1000, 80, 1000)
	se := math.Sqrt(0.12*0.88/1000 + 0.08*0.92/1000)
	if math.Abs(u.Difference-0.04) > 1e-12 || math.Abs(u.Low-(0.04-1.959964*se)) > 1e-6 || math.Abs(u.High-(0.04+1.959964*se)) > 1e-6 ||
		math.Abs(u.Z-2.981424) > 1e-5 || math.Abs(u.PValue-0.002869) > 1e-5 || math.Abs(*u.Relative-0.5) > 1e-12 {
		t.Fatalf("%+v", u)
	}
	// No conversions anywhere: no evidence.
	u = campaign.TwoProportions(0, 10, 0, 10)
	if u.PValue != 1 || u.Z != 0 || u.Relative != nil {
		t.Fatalf("%+v", u)
	}
}

func TestMessageIDs(t *testing.T) {
	id := campaign.MessageID("cmp_01abc", "cus_01def", "shop.example")
	c, p, ok := campaign.ParseMessageID("<" + id + ">")
	if !ok || c != "cmp_01abc" || p != "cus_01def" {
		t.Fatalf("%s: %s %s %v", id, c, p, ok)
	}
	for _, bad := range []string{"", "x@y", "<@shop.example>", ".p@d", "c.@d"} {
		if _, _, ok := campaign.ParseMessageID(bad); ok {
			t.Errorf("parsed %q", bad)
		}
	}
}

func TestParseFrequencyCap(t *testing.T) {
	if c, err := campaign.ParseFrequencyCap("3/168h"); err != nil || c.Max != 3 || c.Within != 168*time.Hour {
		t.Fatalf("%+v %v", c, err)
	}
	if c, err := campaign.ParseFrequencyCap(""); err != nil || c.Max != 0 {
		t.Fatalf("%+v %v", c, err)
	}
	for _, bad := range []string{"3", "0/1h", "x/1h", "3/soon", "3/-1h"} {
		if _, err := campaign.ParseFrequencyCap(bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}
