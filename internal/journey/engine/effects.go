package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/tessera-cdp/tessera/internal/journey"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/mail"
	"github.com/tessera-cdp/tessera/internal/membership"
	"github.com/tessera-cdp/tessera/internal/profile"
	"github.com/tessera-cdp/tessera/internal/ticket/macro"
)

// profile reads the customer of p following merges; an erased customer's run exits
// (ok false).
func (s *Service) profile(ctx context.Context, p *journey.Position, now time.Time) (profile.Profile, bool, error) {
	pr, err := s.Profiles.Get(ctx, p.ProfileID)
	if apperr.IsNotFound(err) {
		return profile.Profile{}, false, s.exit(ctx, p, "customer erased", "customer erased", now)
	}
	return pr, err == nil, err
}

// do runs a side effect, returning the step's outcome; an error is retried.
func (s *Service) do(ctx context.Context, j journey.Journey, v *journey.Version, p *journey.Position, step *journey.Step, pr profile.Profile) (string, error) {
	key := journey.EffectKey(j.ID, p.ProfileID, p.Run, step.ID, v.N)
	switch step.Kind {
	case journey.SendEmail:
		return s.sendEmail(ctx, j, v, p, step, pr, key)
	case journey.CallWebhook:
		return s.callWebhook(ctx, j, v, p, step, pr, key)
	case journey.SetAttribute:
		a := step.Attribute
		k, val := a.Key, any(a.Value)
		switch a.Op {
		case journey.AddTag, journey.RemoveTag:
			k, val = "tag_"+a.Key, a.Op == journey.AddTag
		case journey.RemoveAttr:
			val = ""
		}
		if err := s.Attributes.SetAttributes(ctx, key, pr.ID, map[string]any{k: val}, p.Pending.At); err != nil {
			return "", err
		}
		return fmt.Sprintf("%s %s", strings.ToLower(string(a.Op)), k), nil
	case journey.CreateTicket:
		id := TicketID(key)
		if err := s.Tickets.OpenTicket(ctx, id, pr.ID, *step.Ticket); err != nil {
			return "", err
		}
		return "ticket " + id, nil
	}
	return "", fmt.Errorf("step kind %s has no effect", step.Kind)
}

// TicketID is the fixed id of the ticket a step opens for a run.
func TicketID(key string) string {
	h := sha256.Sum256([]byte(key))
	return "jrn" + strings.ToUpper(hex.EncodeToString(h[:12]))
}

// MessageID is the Message-ID of a step's e-mail to a customer in a run (no brackets).
func MessageID(key, domain string) string {
	h := sha256.Sum256([]byte(key))
	return "journey." + hex.EncodeToString(h[:16]) + "@" + domain
}

func emailValues(j journey.Journey, pr profile.Profile) map[string]string {
	t := pr.Traits
	first := t.FirstName
	if first == "" {
		first = "there"
	}
	name := strings.TrimSpace(t.FirstName + " " + t.LastName)
	if name == "" {
		name = "there"
	}
	v := map[string]string{macro.PhCustomerFirstName: first, macro.PhCustomerLastName: t.LastName, macro.PhCustomerName: name,
		macro.PhCustomerEmail: primaryEmail(pr), "journey.name": j.Name}
	for k, a := range t.Attributes {
		if a != nil {
			v["customer.attributes."+k] = fmt.Sprint(a)
		}
	}
	return v
}

func primaryEmail(pr profile.Profile) string {
	if len(pr.Traits.Emails) == 0 {
		return ""
	}
	return pr.Traits.Emails[0]
}

// sendEmail sends a step's message once: a claim recorded on the position before the
// final dot means a resumed step does not send it again (see internal/mail).
func (s *Service) sendEmail(ctx context.Context, j journey.Journey, v *journey.Version, p *journey.Position, step *journey.Step, pr profile.Profile, key string) (string, error) {
	if p.Pending.Claimed {
		return "sent", nil
	}
	email := primaryEmail(pr)
	switch {
	case s.Mail == nil:
		return "not sent: no SMTP relay", nil
	case email == "":
		return "not sent: no e-mail address", nil
	}
	if s.Suppressions != nil {
		hit, err := s.Suppressions.Suppressed(ctx, []string{profile.Identifier{Type: "email", Value: email}.Key()})
		if err != nil {
			return "", err
		}
		if len(hit) > 0 {
			return "not sent: suppressed", nil
		}
	}
	ok, err := s.Consent.Allowed(ctx, pr.ID)
	if err != nil && !apperr.IsNotFound(err) {
		return "", err
	}
	if !ok {
		return "not sent: no consent", nil
	}
	vals := emailValues(j, pr)
	subject, _ := macro.Render(step.Email.Subject, vals)
	text, _ := macro.Render(step.Email.Text, vals)
	var body string
	if step.Email.HTML != "" {
		esc := make(map[string]string, len(vals))
		for k, x := range vals {
			esc[k] = html.EscapeString(x)
		}
		body, _ = macro.Render(step.Email.HTML, esc)
	}
	m := mail.Message{To: email, Subject: subject, Text: text, HTML: body, MessageID: MessageID(key, s.Mail.Domain()),
		Headers: [][2]string{{"X-Tessera-Journey", j.ID}}}
	run, at := p.Run, step.ID
	claim := func(claimed bool) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			_, err := s.update(ctx, p.ID, func(q *journey.Position) error {
				// A claim taken already is another sender's (an instance sharing the database).
				if !q.At(run, at) || q.Pending == nil || q.Pending.Step != at || claimed && q.Pending.Claimed {
					return errStale
				}
				q.Pending.Claimed = claimed
				return nil
			})
			if errors.Is(err, errStale) && claimed {
				return errors.New("the position moved on or another sender has the message")
			}
			if errors.Is(err, errStale) {
				return nil
			}
			return err
		}
	}
	sess := s.Mail.Session()
	defer sess.Close()
	res := sess.Send(ctx, m, mail.Commit{Claim: claim(true), Release: claim(false)})
	switch res.Outcome {
	case mail.Accepted:
		return "sent", nil
	case mail.Ambiguous:
		return "sent (the relay's answer was lost)", nil
	case mail.Rejected:
		return fmt.Sprintf("not sent: rejected (%d): %v", res.Code, res.Err), nil
	}
	if res.Err == nil {
		res.Err = errors.New(res.Outcome.String())
	}
	return "", res.Err
}

// callWebhook POSTs the position to the step's URL, signed like segment webhooks
// (X-Tessera-Signature over "<timestamp>.<body>" with the journey's secret), with the
// effect key as Idempotency-Key: a repeat after a crash is recognisable.
func (s *Service) callWebhook(ctx context.Context, j journey.Journey, v *journey.Version, p *journey.Position, step *journey.Step, pr profile.Profile, key string) (string, error) {
	body, err := json.Marshal(map[string]any{
		"journeyId": j.ID, "journeyName": j.Name, "version": v.N, "step": step.ID, "run": p.Run,
		"customerId": pr.ID, "enteredAt": p.Current().EnteredAt, "at": p.Pending.At,
	})
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	status, err := membership.SignedPost(ctx, s.client, s.Webhooks, step.Webhook.URL, j.Secret, s.now(), body,
		map[string]string{"User-Agent": "Tessera-Journeys/1", "Idempotency-Key": key, "X-Tessera-Delivery": key})
	if err != nil {
		return "", err
	}
	return "called: " + status, nil
}
