package sender

import (
	"context"
	"strconv"
	"time"

	"github.com/tessera-cdp/tessera/internal/campaign"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/commerce"
)

// What happens after a message was sent: its links are followed (open pixel, tracked
// links, unsubscribe), and the relay or a mailbox provider reports a bounce or a
// complaint (Feedback). Each is noted once on the recipient's ledger entry (first open,
// first click...) and put on the customer's timeline as an interaction whose id makes
// repeats no-ops. Tokens of previews and test sends (Test) record nothing.

// Resolve checks a link token of kind and returns it with its campaign; a forged,
// foreign or unknown one is BAD_USER_INPUT "invalid link".
func (s *Service) Resolve(ctx context.Context, kind byte, tok string) (campaign.Link, error) {
	key, err := s.Store.TrackingKey(ctx)
	if err != nil {
		return campaign.Link{}, err
	}
	t, err := campaign.ParseToken(key, tok)
	if err != nil {
		return campaign.Link{}, err
	}
	if t.Kind != kind {
		return campaign.Link{}, apperr.Invalidf("invalid link")
	}
	c, err := s.Store.GetCampaign(ctx, t.CampaignID)
	if apperr.IsNotFound(err) {
		return campaign.Link{}, apperr.Invalidf("invalid link")
	}
	if err != nil {
		return campaign.Link{}, err
	}
	l := campaign.Link{Token: t, Campaign: c}
	if kind == campaign.KindClick {
		if t.Link >= len(c.Links) {
			return campaign.Link{}, apperr.Invalidf("invalid link")
		}
		l.URL = c.Links[t.Link]
	}
	return l, nil
}

// Open records that a message was opened (its pixel was loaded).
func (s *Service) Open(ctx context.Context, tok string) error {
	l, err := s.Resolve(ctx, campaign.KindOpen, tok)
	if err != nil || l.Token.Test {
		return err
	}
	return s.note(ctx, l, func(e *campaign.Entry, now time.Time) []string {
		if e.OpenedAt.IsZero() {
			e.OpenedAt = now
			return []string{"opened"}
		}
		return nil
	}, nil)
}

// Click records a click on a tracked link and returns where it goes. A click counts
// as an open too (images are often blocked).
func (s *Service) Click(ctx context.Context, tok string) (string, error) {
	l, err := s.Resolve(ctx, campaign.KindClick, tok)
	if err != nil || l.Token.Test {
		return l.URL, err
	}
	err = s.note(ctx, l, func(e *campaign.Entry, now time.Time) []string {
		var out []string
		if e.OpenedAt.IsZero() {
			e.OpenedAt = now
			out = append(out, "opened")
		}
		if e.ClickedAt.IsZero() {
			e.ClickedAt = now
		}
		return append(out, "clicked")
	}, map[string]string{"url": l.URL, "link": strconv.Itoa(l.Token.Link)})
	return l.URL, err
}

// Unsubscribe withdraws the customer's consent to marketing e-mail (the one-click
// unsubscribe of RFC 8058, and the confirm page's button). Repeating it is harmless.
func (s *Service) Unsubscribe(ctx context.Context, tok string) (campaign.Link, error) {
	l, err := s.Resolve(ctx, campaign.KindUnsubscribe, tok)
	if err != nil || l.Token.Test {
		return l, err
	}
	live, err := s.live(ctx, l.Token.ProfileID)
	if err != nil || live == "" {
		return l, err // erased since: nothing to withdraw
	}
	if err := s.Consent.Refuse(ctx, live, campaign.Unsubscribed, "unsubscribe link of campaign "+l.Campaign.Name, "campaign:"+l.Campaign.ID); err != nil {
		return l, err
	}
	return l, s.note(ctx, l, func(e *campaign.Entry, now time.Time) []string {
		if e.UnsubscribedAt.IsZero() {
			e.UnsubscribedAt = now
		}
		return []string{"unsubscribed"}
	}, nil)
}

// Feedback records what the relay or a mailbox provider reported about a message,
// named by its Message-ID: a delivery, a bounce (consent becomes bounced) or a spam
// complaint (complained). Both stop further marketing e-mail.
func (s *Service) Feedback(ctx context.Context, messageID, kind string) error {
	cid, pid, ok := campaign.ParseMessageID(messageID)
	if !ok {
		return apperr.Invalidf("messageId %q is not the Message-ID of a campaign message", messageID)
	}
	c, err := s.Store.GetCampaign(ctx, cid)
	if err != nil {
		return err
	}
	l := campaign.Link{Token: campaign.Token{CampaignID: cid, ProfileID: pid}, Campaign: c}
	var refusal campaign.Refusal
	var change func(e *campaign.Entry, now time.Time) []string
	switch kind {
	case campaign.FeedbackDelivered:
		change = func(*campaign.Entry, time.Time) []string { return []string{"delivered"} }
	case campaign.FeedbackBounced:
		refusal = campaign.Bounce
		change = func(e *campaign.Entry, now time.Time) []string {
			if e.BouncedAt.IsZero() {
				e.BouncedAt = now
			}
			return []string{"bounced"}
		}
	case campaign.FeedbackComplaint:
		refusal = campaign.Complaint
		change = func(e *campaign.Entry, now time.Time) []string {
			if e.ComplainedAt.IsZero() {
				e.ComplainedAt = now
			}
			return []string{"complained"}
		}
	default:
		return apperr.Invalidf("unknown feedback kind %q", kind)
	}
	if refusal != "" {
		live, err := s.live(ctx, pid)
		if err != nil {
			return err
		}
		if live != "" {
			if err := s.Consent.Refuse(ctx, live, refusal, "campaign "+c.Name+": "+string(refusal)+" reported", "campaign:"+c.ID); err != nil {
				return err
			}
		}
	}
	return s.note(ctx, l, change, nil)
}

// live is the live profile of an id ("" once erased).
func (s *Service) live(ctx context.Context, id string) (string, error) {
	f, err := s.Profiles.Final(ctx, []string{id})
	if err != nil {
		return "", err
	}
	return f[id], nil
}

// note applies change to the recipient's ledger entry and adds an interaction of each
// type change returns, on the customer's live profile. A token whose recipient has no
// entry of a sent message is NOT_FOUND.
func (s *Service) note(ctx context.Context, l campaign.Link, change func(e *campaign.Entry, now time.Time) []string, attrs map[string]string) error {
	now := s.now()
	var types []string
	e, _, err := s.Store.UpdateEntry(ctx, campaign.EntryID(l.Campaign.ID, l.Token.ProfileID), func(e *campaign.Entry) bool {
		if !e.State.Treated() {
			types = nil
			return false
		}
		before := *e
		types = change(e, now)
		return *e != before
	})
	if err != nil {
		return err
	}
	if !e.State.Treated() {
		return apperr.NotFoundf("no message of campaign %s went to %s", l.Campaign.ID, l.Token.ProfileID)
	}
	if len(types) == 0 {
		return nil
	}
	live, err := s.live(ctx, e.ProfileID)
	if err != nil || live == "" {
		return err
	}
	a := map[string]string{"messageId": e.MessageID}
	for k, v := range attrs {
		a[k] = v
	}
	is := make([]commerce.Interaction, len(types))
	for i, typ := range types {
		suffix, at := "", now
		switch typ {
		case "clicked":
			suffix = ":" + strconv.Itoa(l.Token.Link) // one per link
		case "opened":
			at = e.OpenedAt
		case "unsubscribed":
			at = e.UnsubscribedAt
		case "bounced":
			at = e.BouncedAt
		case "complained":
			at = e.ComplainedAt
		}
		is[i] = campaignInteraction(l.Campaign, live, typ, suffix, at, a)
	}
	_, err = s.Commerce.AddInteractions(ctx, is)
	return err
}
