package sender

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	netmail "net/mail"
	"strconv"
	"strings"

	"github.com/tessera-cdp/tessera/internal/campaign"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/mail"
	"github.com/tessera-cdp/tessera/internal/money"
	"github.com/tessera-cdp/tessera/internal/profile"
)

// values are a customer's placeholder values (before defaults): traits, value metrics
// (one metrics read, only when the templates use them) and recommendations.
func (s *Service) values(ctx context.Context, c campaign.Campaign, t campaign.Compiled, p *profile.Profile) (map[string]string, error) {
	tr := p.Traits
	v := map[string]string{
		campaign.PhFirstName: tr.FirstName, campaign.PhLastName: tr.LastName, campaign.PhName: strings.TrimSpace(tr.FirstName + " " + tr.LastName),
		campaign.PhEmail: primaryEmail(p), campaign.PhCampaign: c.Name,
	}
	for _, a := range tr.Addresses {
		if v[campaign.PhCity] == "" {
			v[campaign.PhCity] = a.City
		}
		if v[campaign.PhCountry] == "" {
			v[campaign.PhCountry] = a.Country
		}
	}
	var metrics, recs bool
	for _, k := range t.Used {
		switch {
		case strings.HasPrefix(k, "metrics."):
			metrics = true
		case strings.HasPrefix(k, campaign.PhRecommendation):
			recs = true
		case strings.HasPrefix(k, campaign.PhAttribute):
			if a, ok := tr.Attributes[strings.TrimPrefix(k, campaign.PhAttribute)]; ok && a != nil {
				v[k] = fmt.Sprint(a)
			}
		}
	}
	if metrics && p.ID != "" {
		ms, err := s.Commerce.GetMetrics(ctx, []string{p.ID})
		if err != nil {
			return nil, err
		}
		if len(ms) == 1 {
			m := ms[0]
			v[campaign.PhOrderCount] = strconv.Itoa(m.Orders)
			if m.Currency != "" && m.Orders > 0 {
				v[campaign.PhRevenue] = money.Money{Minor: m.NetMinor, Currency: m.Currency}.String()
				v[campaign.PhAOV] = money.Money{Minor: m.AOVMinor(), Currency: m.Currency}.String()
			}
			if !m.LastOrderAt.IsZero() {
				v[campaign.PhLastOrder] = m.LastOrderAt.Format("2006-01-02")
			}
		}
	}
	if recs && s.Recommend != nil && p.ID != "" {
		for i, name := range s.Recommend(p.ID, campaign.MaxRecommendations) {
			v[fmt.Sprintf("%s%d", campaign.PhRecommendation, i+1)] = name
		}
	}
	return v, nil
}

// url is an absolute link of this server with a signed token.
func (s *Service) url(key []byte, t campaign.Token) string {
	tok := t.Sign(key)
	base := strings.TrimSuffix(s.PublicURL, "/")
	switch t.Kind {
	case campaign.KindUnsubscribe:
		return base + "/u/" + tok
	case campaign.KindOpen:
		return base + "/o/" + tok + ".gif"
	}
	return base + "/c/" + tok
}

// render renders the campaign for a customer, with links signed for them (test: links
// that record nothing).
func (s *Service) render(ctx context.Context, c campaign.Campaign, t campaign.Compiled, key []byte, p *profile.Profile, test bool) (campaign.Rendered, string, error) {
	vals, err := s.values(ctx, c, t, p)
	if err != nil {
		return campaign.Rendered{}, "", err
	}
	pid := p.ID
	if pid == "" {
		pid = "-"
	}
	unsub := s.url(key, campaign.Token{Kind: campaign.KindUnsubscribe, CampaignID: c.ID, ProfileID: pid, Test: test})
	vals[campaign.PhUnsub] = unsub
	links := make([]string, len(t.Links))
	for i := range t.Links {
		links[i] = s.url(key, campaign.Token{Kind: campaign.KindClick, CampaignID: c.ID, ProfileID: pid, Link: i, Test: test})
	}
	open := s.url(key, campaign.Token{Kind: campaign.KindOpen, CampaignID: c.ID, ProfileID: pid, Test: test})
	return t.Render(t.Complete(vals, c.Defaults), links, open), unsub, nil
}

// message is the campaign's message to a customer.
func (r *runner) message(ctx context.Context, p *profile.Profile, test bool) (mail.Message, error) {
	out, unsub, err := r.s.render(ctx, r.c, r.t, r.key, p, test)
	if err != nil {
		return mail.Message{}, err
	}
	return mail.Message{To: primaryEmail(p), Subject: out.Subject, Text: out.Text, HTML: out.HTML, FromName: r.c.FromName,
		MessageID: campaign.MessageID(r.c.ID, p.ID, r.s.Mail.Domain()),
		Headers: [][2]string{
			{"List-Unsubscribe", "<" + unsub + ">"},
			{"List-Unsubscribe-Post", "List-Unsubscribe=One-Click"},
			{"X-Tessera-Campaign", r.c.ID},
		}}, nil
}

// Preview renders a campaign for a customer, as it would be sent (its links record
// nothing).
func (s *Service) Preview(ctx context.Context, id, customerID string) (campaign.Rendered, error) {
	c, err := s.Store.GetCampaign(ctx, id)
	if err != nil {
		return campaign.Rendered{}, err
	}
	p, err := s.Profiles.Get(ctx, customerID)
	if err != nil {
		return campaign.Rendered{}, err
	}
	t, err := campaign.Compile(c.Subject, c.HTML, c.Text, c.Defaults)
	if err != nil {
		return campaign.Rendered{}, err
	}
	key, err := s.Store.TrackingKey(ctx)
	if err != nil {
		return campaign.Rendered{}, err
	}
	out, _, err := s.render(ctx, c, t, key, &p, true)
	return out, err
}

// SendTest sends the campaign to an address, rendered for a customer (or with every
// placeholder at its default when customerID is ""), its subject marked [Test] and its
// links recording nothing. It returns the Message-ID.
func (s *Service) SendTest(ctx context.Context, id, to, customerID string) (string, error) {
	if s.Mail == nil {
		return "", errNoRelay
	}
	addr, err := netmail.ParseAddress(to)
	if err != nil {
		return "", apperr.Invalidf("to: %q is not an e-mail address", to)
	}
	c, err := s.Store.GetCampaign(ctx, id)
	if err != nil {
		return "", err
	}
	var p profile.Profile
	if customerID != "" {
		if p, err = s.Profiles.Get(ctx, customerID); err != nil {
			return "", err
		}
	}
	t, err := campaign.Compile(c.Subject, c.HTML, c.Text, c.Defaults)
	if err != nil {
		return "", err
	}
	key, err := s.Store.TrackingKey(ctx)
	if err != nil {
		return "", err
	}
	r := &runner{s: s, c: c, t: t, key: key}
	m, err := r.message(ctx, &p, true)
	if err != nil {
		return "", err
	}
	m.To, m.Subject = addr.Address, "[Test] "+m.Subject
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	m.MessageID = "test." + hex.EncodeToString(b) + "@" + s.Mail.Domain()
	res := s.Mail.SendOne(ctx, m)
	if res.Outcome != mail.Accepted {
		return "", apperr.Conflictf("the relay did not take the test message (%s): %v", res.Outcome, res.Err)
	}
	return m.MessageID, nil
}
