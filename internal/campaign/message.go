package campaign

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	netmail "net/mail"
	"strconv"
	"strings"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/mail"
	"github.com/tessera-cdp/tessera/internal/money"
	"github.com/tessera-cdp/tessera/internal/profile"
)

// values are a customer's placeholder values (before defaults): traits, value metrics
// (one metrics read, only when the templates use them) and recommendations.
func (s *Service) values(ctx context.Context, c Campaign, t compiled, p *profile.Profile) (map[string]string, error) {
	tr := p.Traits
	v := map[string]string{
		PhFirstName: tr.FirstName, PhLastName: tr.LastName, PhName: strings.TrimSpace(tr.FirstName + " " + tr.LastName),
		PhEmail: primaryEmail(p), PhCampaign: c.Name,
	}
	for _, a := range tr.Addresses {
		if v[PhCity] == "" {
			v[PhCity] = a.City
		}
		if v[PhCountry] == "" {
			v[PhCountry] = a.Country
		}
	}
	var metrics, recs bool
	for _, k := range t.used {
		switch {
		case strings.HasPrefix(k, "metrics."):
			metrics = true
		case strings.HasPrefix(k, PhRecommendation):
			recs = true
		case strings.HasPrefix(k, PhAttribute):
			if a, ok := tr.Attributes[strings.TrimPrefix(k, PhAttribute)]; ok && a != nil {
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
			v[PhOrderCount] = strconv.Itoa(m.Orders)
			if m.Currency != "" && m.Orders > 0 {
				v[PhRevenue] = money.Money{Minor: m.NetMinor, Currency: m.Currency}.String()
				v[PhAOV] = money.Money{Minor: m.AOVMinor(), Currency: m.Currency}.String()
			}
			if !m.LastOrderAt.IsZero() {
				v[PhLastOrder] = m.LastOrderAt.Format("2006-01-02")
			}
		}
	}
	if recs && s.Recommend != nil && p.ID != "" {
		for i, name := range s.Recommend(p.ID, MaxRecommendations) {
			v[fmt.Sprintf("%s%d", PhRecommendation, i+1)] = name
		}
	}
	return v, nil
}

// url is an absolute link of this server with a signed token.
func (s *Service) url(key []byte, t Token) string {
	tok := t.Sign(key)
	base := strings.TrimSuffix(s.PublicURL, "/")
	switch t.Kind {
	case KindUnsubscribe:
		return base + "/u/" + tok
	case KindOpen:
		return base + "/o/" + tok + ".gif"
	}
	return base + "/c/" + tok
}

// render renders the campaign for a customer, with links signed for them (test: links
// that record nothing).
func (s *Service) render(ctx context.Context, c Campaign, t compiled, key []byte, p *profile.Profile, test bool) (Rendered, string, error) {
	vals, err := s.values(ctx, c, t, p)
	if err != nil {
		return Rendered{}, "", err
	}
	pid := p.ID
	if pid == "" {
		pid = "-"
	}
	unsub := s.url(key, Token{Kind: KindUnsubscribe, CampaignID: c.ID, ProfileID: pid, Test: test})
	vals[PhUnsub] = unsub
	links := make([]string, len(t.links))
	for i := range t.links {
		links[i] = s.url(key, Token{Kind: KindClick, CampaignID: c.ID, ProfileID: pid, Link: i, Test: test})
	}
	open := s.url(key, Token{Kind: KindOpen, CampaignID: c.ID, ProfileID: pid, Test: test})
	return t.render(t.complete(vals, c.Defaults), links, open), unsub, nil
}

// MessageID is the Message-ID of a campaign's message to a customer (without angle
// brackets): the same for every try, so the relay's log and a mail client can tell one
// message from another.
func MessageID(campaignID, profileID, domain string) string {
	return campaignID + "." + profileID + "@" + domain
}

// ParseMessageID returns the campaign and customer of a MessageID (brackets allowed).
func ParseMessageID(id string) (campaignID, profileID string, ok bool) {
	id = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(id), "<"), ">")
	local, _, ok := strings.Cut(id, "@")
	if !ok {
		return "", "", false
	}
	campaignID, profileID, ok = strings.Cut(local, ".")
	return campaignID, profileID, ok && campaignID != "" && profileID != ""
}

// message is the campaign's message to a customer.
func (r *runner) message(ctx context.Context, p *profile.Profile, test bool) (mail.Message, error) {
	out, unsub, err := r.s.render(ctx, r.c, r.t, r.key, p, test)
	if err != nil {
		return mail.Message{}, err
	}
	return mail.Message{To: primaryEmail(p), Subject: out.Subject, Text: out.Text, HTML: out.HTML, FromName: r.c.FromName,
		MessageID: MessageID(r.c.ID, p.ID, r.s.Mail.Domain()),
		Headers: [][2]string{
			{"List-Unsubscribe", "<" + unsub + ">"},
			{"List-Unsubscribe-Post", "List-Unsubscribe=One-Click"},
			{"X-Tessera-Campaign", r.c.ID},
		}}, nil
}

// Preview renders a campaign for a customer, as it would be sent (its links record
// nothing).
func (s *Service) Preview(ctx context.Context, id, customerID string) (Rendered, error) {
	c, err := s.Store.GetCampaign(ctx, id)
	if err != nil {
		return Rendered{}, err
	}
	p, err := s.Profiles.Get(ctx, customerID)
	if err != nil {
		return Rendered{}, err
	}
	t, err := compile(c.Subject, c.HTML, c.Text, c.Defaults)
	if err != nil {
		return Rendered{}, err
	}
	key, err := s.Store.TrackingKey(ctx)
	if err != nil {
		return Rendered{}, err
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
	t, err := compile(c.Subject, c.HTML, c.Text, c.Defaults)
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
