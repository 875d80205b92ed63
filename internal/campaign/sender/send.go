package sender

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tessera-cdp/tessera/internal/campaign"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/mail"
	"github.com/tessera-cdp/tessera/internal/profile"
)

var errLeased = errors.New("campaign is being sent by another instance")

// errStop stops a send run without failing the campaign: it is resumed later.
type errStop struct{ err error }

func (e errStop) Error() string { return e.err.Error() }
func (e errStop) Unwrap() error { return e.err }

// acquire takes (or renews) the send lease of a SENDING campaign for this instance.
func (s *Service) acquire(ctx context.Context, id string) (campaign.Campaign, error) {
	return s.Store.UpdateCampaign(ctx, id, func(c *campaign.Campaign) error {
		now := s.now()
		switch {
		case c.State != campaign.Sending:
			return fmt.Errorf("campaign %s is %s: %w", c.ID, c.State, errLeased)
		case c.Owner != s.instance && c.LeaseUntil.After(now):
			return errLeased
		}
		c.Owner, c.LeaseUntil = s.instance, now.Add(s.lease())
		return nil
	})
}

// send runs a campaign's send to its end: plans it if it has no plan, then works
// through the chunks from the first unfinished one.
func (s *Service) send(ctx context.Context, id string) (err error) {
	c, err := s.acquire(ctx, id)
	if err != nil {
		return err
	}
	parent := ctx
	defer func() {
		if err == nil {
			return
		}
		// Stopped by a shutdown or a cancel: a restart may resume at once. Stopped by a
		// failure: keep the lease a while, so RunDue resumes after a pause.
		until, msg := time.Time{}, ""
		if parent.Err() == nil {
			until, msg = s.now().Add(s.retryAfter()), err.Error()
		}
		_, _ = s.Store.UpdateCampaign(context.WithoutCancel(parent), id, func(c *campaign.Campaign) error {
			if c.Owner == s.instance {
				c.LastError, c.LeaseUntil = msg, until
			}
			return nil
		})
	}()
	// Renew the lease while sending; losing it (another instance took over) stops us.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		t := time.NewTicker(s.lease() / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if _, err := s.acquire(ctx, id); err != nil && ctx.Err() == nil {
					cancel(err)
					return
				}
			}
		}
	}()
	fresh := c.PlannedAt.IsZero()
	if fresh {
		if c, err = s.plan(ctx, c); err != nil {
			return err
		}
	}
	r, err := s.newRunner(ctx, c)
	if err != nil {
		return err
	}
	for n := c.Progress; n < c.Chunks; n++ {
		if err := context.Cause(ctx); err != nil {
			return err
		}
		if c, err = s.Store.GetCampaign(ctx, id); err != nil {
			return err
		}
		if c.State != campaign.Sending {
			return nil // cancelled meanwhile (on another instance)
		}
		chunks, err := s.Store.GetChunks(ctx, id, []int{n})
		if err != nil {
			return err
		}
		if len(chunks) != 1 {
			return fmt.Errorf("campaign %s: plan chunk %d is missing", id, n)
		}
		if err := r.chunk(ctx, chunks[0], n == c.Progress && !fresh); err != nil {
			return err
		}
		if _, err := s.Store.UpdateCampaign(ctx, id, func(c *campaign.Campaign) error {
			c.Progress = max(c.Progress, n+1)
			c.LastError = ""
			return nil
		}); err != nil {
			return err
		}
	}
	_, err = s.Store.UpdateCampaign(ctx, id, func(c *campaign.Campaign) error {
		if c.State == campaign.Sending {
			now := s.now()
			c.State, c.FinishedAt, c.UpdatedAt, c.LeaseUntil, c.LastError = campaign.Sent, now, now, time.Time{}, ""
		}
		return nil
	})
	return err
}

// plan freezes the segment's members into the campaign's plan (see the package doc).
// Planning again writes the same chunks for the same members; the campaign records the
// plan only once every chunk is written.
func (s *Service) plan(ctx context.Context, c campaign.Campaign) (campaign.Campaign, error) {
	size := s.chunkSize()
	var chunks []campaign.Chunk
	cur := campaign.Chunk{CampaignID: c.ID}
	planned, after := 0, ""
	flush := func() error {
		chunks = append(chunks, cur)
		cur = campaign.Chunk{CampaignID: c.ID, N: cur.N + 1}
		if len(chunks) < 50 {
			return nil
		}
		err := s.Store.PutChunks(ctx, chunks)
		chunks = chunks[:0]
		return err
	}
	for {
		ids, err := s.Segments.MemberIDs(ctx, c.SegmentID, after, 10_000)
		if err != nil {
			return campaign.Campaign{}, err
		}
		if len(ids) == 0 {
			break
		}
		for _, id := range ids {
			if campaign.InHoldout(c.ID, id, c.HoldoutPercent) {
				cur.Holdout = append(cur.Holdout, id)
			} else {
				cur.Treated = append(cur.Treated, id)
			}
			planned++
			if cur.Size() == size {
				if err := flush(); err != nil {
					return campaign.Campaign{}, err
				}
			}
		}
		after = ids[len(ids)-1]
	}
	if cur.Size() > 0 {
		chunks = append(chunks, cur)
		cur.N++
	}
	if err := s.Store.PutChunks(ctx, chunks); err != nil {
		return campaign.Campaign{}, err
	}
	return s.Store.UpdateCampaign(ctx, c.ID, func(c *campaign.Campaign) error {
		if c.PlannedAt.IsZero() {
			c.Planned, c.Chunks, c.Progress, c.PlannedAt = planned, cur.N, 0, s.now()
		}
		return nil
	})
}

// runner is one send run of a campaign.
type runner struct {
	s       *Service
	c       campaign.Campaign
	t       campaign.Compiled
	key     []byte
	limiter *mail.Limiter
	others  []string // campaigns counted by the frequency cap
}

func (s *Service) newRunner(ctx context.Context, c campaign.Campaign) (*runner, error) {
	t, err := campaign.Compile(c.Subject, c.HTML, c.Text, c.Defaults)
	if err != nil {
		return nil, err
	}
	key, err := s.Store.TrackingKey(ctx)
	if err != nil {
		return nil, err
	}
	others, err := s.recent(ctx, c)
	if err != nil {
		return nil, err
	}
	return &runner{s: s, c: c, t: t, key: key, limiter: mail.NewLimiter(float64(c.RatePerMinute) / 60), others: others}, nil
}

type recipient struct {
	id      string
	holdout bool
}

// chunkState collects what a chunk's workers did.
type chunkState struct {
	mu           sync.Mutex
	moved        map[string]string
	interactions []commerce.Interaction
	stop         error
}

func (cs *chunkState) add(is ...commerce.Interaction) {
	cs.mu.Lock()
	cs.interactions = append(cs.interactions, is...)
	cs.mu.Unlock()
}

// chunk sends to the recipients of one chunk that have no ledger entry yet, then puts
// the messages on the timeline and marks the chunk done. resumed: the first chunk of a
// run, which a crashed run may have left half done (its SENT entries' interactions are
// added again; adding is idempotent).
func (r *runner) chunk(ctx context.Context, ch campaign.Chunk, resumed bool) error {
	rs := make([]recipient, 0, ch.Size())
	for _, id := range ch.Treated {
		rs = append(rs, recipient{id, false})
	}
	for _, id := range ch.Holdout {
		rs = append(rs, recipient{id, true})
	}
	slices.SortFunc(rs, func(a, b recipient) int { return strings.Compare(a.id, b.id) })
	st := &chunkState{moved: map[string]string{}}
	if resumed {
		keys := make([]string, len(rs))
		for i, x := range rs {
			keys[i] = campaign.EntryID(r.c.ID, x.id)
		}
		es, err := r.s.Store.GetEntries(ctx, keys)
		if err != nil {
			return err
		}
		done := map[string]bool{}
		for _, e := range es {
			done[e.ProfileID] = true
			if e.State == campaign.Delivered {
				st.add(r.interaction(e.ProfileID, "sent", e.At, e.MessageID))
			}
		}
		rs = slices.DeleteFunc(rs, func(x recipient) bool { return done[x.id] })
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan recipient)
	go func() {
		defer close(jobs)
		for _, x := range rs {
			select {
			case jobs <- x:
			case <-cctx.Done():
				return
			}
		}
	}()
	mail.Pool(cctx, r.s.Mail, 0, jobs, func(ctx context.Context, sess *mail.Session, x recipient) {
		if err := r.deliver(ctx, sess, x, st); err != nil {
			st.mu.Lock()
			if st.stop == nil {
				st.stop = err
			}
			st.mu.Unlock()
			cancel()
		}
	})
	if err := context.Cause(ctx); err != nil {
		return err
	}
	if st.stop != nil {
		return st.stop
	}
	if len(st.interactions) > 0 {
		if _, err := r.s.Commerce.AddInteractions(ctx, st.interactions); err != nil {
			return err
		}
	}
	ch.Done, ch.Moved = true, st.moved
	return r.s.Store.PutChunks(ctx, []campaign.Chunk{ch})
}

// deliver deals with one recipient: an entry for the holdout or the suppressed, a
// message for the others. An error stops the run (the database or the relay is
// unavailable); the recipient stays planned.
func (r *runner) deliver(ctx context.Context, sess *mail.Session, x recipient, st *chunkState) error {
	s, c := r.s, r.c
	p, err := s.Profiles.Get(ctx, x.id)
	if apperr.IsNotFound(err) {
		_, err = s.Store.InsertEntry(ctx, campaign.Entry{ID: campaign.EntryID(c.ID, x.id), CampaignID: c.ID, ProfileID: x.id, State: campaign.Suppressed, Holdout: x.holdout, Reason: campaign.ReasonErased, At: s.now()})
		return err
	}
	if err != nil {
		return err
	}
	e := campaign.Entry{ID: campaign.EntryID(c.ID, p.ID), CampaignID: c.ID, ProfileID: p.ID, Holdout: x.holdout}
	if p.ID != x.id {
		e.Planned = x.id
		st.mu.Lock()
		st.moved[x.id] = p.ID
		st.mu.Unlock()
		// Merged into another recipient who may have an entry already: one message each.
		if es, err := s.Store.GetEntries(ctx, []string{e.ID}); err != nil || len(es) > 0 {
			return err
		}
	}
	reason, err := r.eligible(ctx, &p)
	if err != nil {
		return err
	}
	if reason != "" || x.holdout {
		e.State, e.Reason, e.At = campaign.HeldOut, reason, s.now()
		if reason != "" {
			e.State = campaign.Suppressed
		}
		_, err := s.Store.InsertEntry(ctx, e)
		return err
	}
	if err := r.limiter.Wait(ctx); err != nil {
		return err
	}
	m, err := r.message(ctx, &p, false)
	if err != nil {
		return err
	}
	e.MessageID = m.MessageID
	var claimed bool
	var claimErr error // the database failed the claim (not another sender winning it)
	res := sess.Send(ctx, m, mail.Commit{
		Claim: func(ctx context.Context) error {
			e.State, e.At = campaign.Claimed, s.now()
			ok, err := s.Store.InsertEntry(ctx, e)
			switch {
			case err != nil:
				claimErr = err
				return err
			case !ok:
				return errors.New("another sender has this recipient")
			}
			claimed = true
			return nil
		},
		Release: func(ctx context.Context) error {
			if err := s.Store.DeleteEntry(ctx, e.ID); err != nil {
				return err
			}
			claimed = false
			return nil
		},
	})
	if ctx.Err() != nil && res.Outcome == mail.Deferred {
		return ctx.Err()
	}
	if res.Relay && res.Outcome != mail.Accepted {
		return errStop{fmt.Errorf("relay: %w", res.Err)}
	}
	e.Attempts, e.Code, e.At = res.Attempts, res.Code, s.now()
	write := s.Store.SetOutcome
	if !claimed {
		write = func(ctx context.Context, e campaign.Entry) error { _, err := s.Store.InsertEntry(ctx, e); return err }
	}
	switch res.Outcome {
	case mail.Accepted:
		e.State = campaign.Delivered
		st.add(r.interaction(p.ID, "sent", e.At, e.MessageID))
	case mail.Ambiguous:
		e.State, e.Reason = campaign.Unconfirmed, res.Err.Error()
	case mail.Abandoned:
		return claimErr
	default: // Rejected, Deferred
		e.State, e.Reason = campaign.Failed, fmt.Sprintf("%s after %d attempt(s): %v", res.Outcome, res.Attempts, res.Err)
		if res.Outcome == mail.Rejected && res.AtRecipient && res.Code >= 550 && res.Code <= 553 {
			e.BouncedAt = e.At // the mailbox does not exist: a hard bounce
		}
	}
	if err := write(context.WithoutCancel(ctx), e); err != nil {
		return err
	}
	if !e.BouncedAt.IsZero() {
		if err := s.Consent.Refuse(ctx, p.ID, campaign.Bounce, "campaign "+c.ID+": the relay refused the address", "campaign:"+c.ID); err != nil && !apperr.IsNotFound(err) {
			return err
		}
		st.add(r.interaction(p.ID, "bounced", e.At, e.MessageID))
	}
	return nil
}

// eligible returns why a customer may not be sent the campaign ("" when they may).
func (r *runner) eligible(ctx context.Context, p *profile.Profile) (string, error) {
	s := r.s
	email := primaryEmail(p)
	if email == "" {
		return campaign.ReasonNoEmail, nil
	}
	if s.Suppressions != nil {
		hit, err := s.Suppressions.Suppressed(ctx, []string{profile.Identifier{Type: "email", Value: email}.Key()})
		if err != nil {
			return "", err
		}
		if len(hit) > 0 {
			return campaign.ReasonSuppressedID, nil
		}
	}
	ok, err := s.Consent.Allowed(ctx, p.ID)
	if apperr.IsNotFound(err) {
		return campaign.ReasonErased, nil
	}
	if err != nil {
		return "", err
	}
	if !ok {
		return campaign.ReasonNoConsent, nil
	}
	if r.c.Audience == campaign.Live {
		in, err := s.Segments.IsMember(ctx, r.c.SegmentID, p.ID)
		if err != nil {
			return "", err
		}
		if !in {
			return campaign.ReasonLeftSegment, nil
		}
	}
	if len(r.others) > 0 {
		keys := make([]string, len(r.others))
		for i, o := range r.others {
			keys[i] = campaign.EntryID(o, p.ID)
		}
		es, err := s.Store.GetEntries(ctx, keys)
		if err != nil {
			return "", err
		}
		since, n := s.now().Add(-s.FrequencyCap.Within), 0
		for _, e := range es {
			if (e.State == campaign.Delivered || e.State == campaign.Claimed || e.State == campaign.Unconfirmed) && e.At.After(since) {
				n++
			}
		}
		if n >= s.FrequencyCap.Max {
			return campaign.ReasonFrequencyCap, nil
		}
	}
	return "", nil
}

func primaryEmail(p *profile.Profile) string {
	if len(p.Traits.Emails) == 0 {
		return ""
	}
	return p.Traits.Emails[0]
}

// interaction is a campaign event on a customer's timeline; its id makes adding it
// twice a no-op.
func (r *runner) interaction(profileID, typ string, at time.Time, messageID string) commerce.Interaction {
	return campaignInteraction(r.c, profileID, typ, "", at, map[string]string{"messageId": messageID})
}

func campaignInteraction(c campaign.Campaign, profileID, typ, suffix string, at time.Time, attrs map[string]string) commerce.Interaction {
	id := "campaign:" + c.ID + ":" + profileID + ":" + typ + suffix
	a := map[string]string{"campaign": c.ID, "campaignName": c.Name}
	for k, v := range attrs {
		if v != "" {
			a[k] = v
		}
	}
	return commerce.Interaction{ID: id, ProfileID: profileID, Channel: "email", Type: typ, At: at, Attributes: a}
}
