package app

// E-mail campaigns (issue 16): the campaign service over its store, the segment
// membership, the profiles, consent, the suppression list and commerce (timeline,
// metrics, order ledger), sending through the SMTP relay of Options.Mail.

import (
	"context"
	"fmt"
	"strings"

	"github.com/tessera-cdp/tessera/internal/campaign"
	"github.com/tessera-cdp/tessera/internal/campaign/sender"
	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/commerce/ledger"
	"github.com/tessera-cdp/tessera/internal/customer"
	"github.com/tessera-cdp/tessera/internal/identity"
	"github.com/tessera-cdp/tessera/internal/mail"
	"github.com/tessera-cdp/tessera/internal/membership"
	"github.com/tessera-cdp/tessera/internal/profile"
	"github.com/tessera-cdp/tessera/internal/store/campaignstore"
	"github.com/tessera-cdp/tessera/internal/store/dbkit"
	"github.com/tessera-cdp/tessera/internal/store/segmentstore"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// newCampaigns wires the campaign service (after consent, offers and commerce).
func (a *App) newCampaigns(db *mongo.Database, b *dbkit.Backend, o Options) (*sender.Service, error) {
	s := &sender.Service{
		Store:        campaignstore.New(db, b),
		Segments:     campaignSegments{a.Segments, a.SegmentStore},
		Profiles:     campaignProfiles{a.Profiles},
		Consent:      campaign.ConsentRecords{Service: a.Consent},
		Suppressions: a.PrivacyStore,
		Commerce:     campaignCommerce{a},
		PublicURL:    strings.TrimSuffix(o.PublicURL, "/"),
		FrequencyCap: o.CampaignCap,
		Log:          o.Log,
		Now:          a.Commerce.Now,
		NewID:        func() string { return "cmp_" + strings.ToLower(dbkit.NewID()) },
		Recommend: func(profileID string, n int) []string {
			recs, _ := a.Offers.Top(profileID, n)
			names := make([]string, 0, len(recs))
			for _, r := range recs {
				if r.Name != "" {
					names = append(names, r.Name)
				}
			}
			return names
		},
	}
	if o.Mail.Enabled() {
		c, err := mail.New(o.Mail)
		if err != nil {
			return nil, fmt.Errorf("smtp relay: %w", err)
		}
		s.Mail = c
	}
	return s, nil
}

// campaignSegments reads audiences: names from the segment definitions, members from
// the in-process member index, one membership read by _id for a LIVE check.
type campaignSegments struct {
	svc   *membership.Service
	store *segmentstore.Store
}

func (c campaignSegments) SegmentName(ctx context.Context, id string) (string, error) {
	s, err := c.svc.Get(ctx, id)
	return s.Name, err
}

func (c campaignSegments) MemberIDs(ctx context.Context, id, after string, limit int) ([]string, error) {
	return c.store.MemberIDs(ctx, id, after, limit)
}

func (c campaignSegments) IsMember(ctx context.Context, seg, pid string) (bool, error) {
	m, err := c.store.Members(ctx, seg, []string{pid})
	return len(m) > 0, err
}

// campaignProfiles reads customers following merges.
type campaignProfiles struct{ profiles *customer.Service }

func (c campaignProfiles) Get(ctx context.Context, id string) (profile.Profile, error) {
	return c.profiles.Get(ctx, id)
}

func (c campaignProfiles) Final(ctx context.Context, ids []string) (map[string]string, error) {
	return identity.Follow(ctx, identity.ProfileRedirects(c.profiles.Stored), ids)
}

// campaignCommerce puts campaign events on the timeline (commerce.Service) and reads
// metrics documents and ledger buckets by _id (commercestore).
type campaignCommerce struct{ a *App }

var _ campaign.Commerce = campaignCommerce{}

func (c campaignCommerce) AddInteractions(ctx context.Context, is []commerce.Interaction) (int, error) {
	return c.a.Commerce.AddInteractions(ctx, is)
}

func (c campaignCommerce) GetMetrics(ctx context.Context, ids []string) ([]ledger.Metrics, error) {
	return c.a.CommerceStore.GetMetrics(ctx, ids)
}

func (c campaignCommerce) GetBuckets(ctx context.Context, keys []ledger.BucketKey) ([]ledger.Bucket, error) {
	return c.a.CommerceStore.GetBuckets(ctx, keys)
}
