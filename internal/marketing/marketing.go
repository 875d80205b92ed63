// Package marketing is the effectiveness report of campaigns and journeys for
// management: one row per campaign (its campaign report) and per journey version (its
// run counts), with conversion, revenue and uplift against the holdout, over a period.
//
// A campaign report reads every recipient's ledger entry and order buckets, so a
// request cannot compute one per campaign. The service keeps a snapshot of each report
// in memory instead, recomputed in the background when something it counts may have
// changed: the campaign document (a send progressing or finishing, a cancel), one of
// its messages' interactions (sent, opened, clicked, unsubscribed, bounced,
// complained), an order placed in its attribution window; and every report at least
// every FullEvery (merges, erasures and what other instances recorded). A request reads
// only the snapshots and the journeys' in-process positions: no database command.
package marketing

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/campaign"
	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/journey"
)

// Campaigns lists campaigns and computes their reports (sender.Service).
type Campaigns interface {
	List(ctx context.Context) ([]campaign.Campaign, error)
	Report(ctx context.Context, id string) (campaign.Report, error)
}

// Journeys counts journey runs from the positions in process (engine.Service).
type Journeys interface {
	KnownJourneys() []journey.Known
	StatsIn(journeyID string, vs []journey.Version, from, to time.Time) []journey.VersionStats
}

// Query is a report request: campaigns started and journey runs entered in [From, To]
// (nil: no bound), revenue in Currency ("": the currency of most campaigns).
type Query struct {
	From, To *time.Time
	Currency string
}

// Effectiveness is the report.
type Effectiveness struct {
	Query Query
	// Ready is false until the first snapshot of every campaign has been computed.
	Ready bool
	// Currency is the one revenue is given in ("" when no campaign has revenue and none
	// was asked for); Currencies are those of the campaigns' revenue.
	Currency   string
	Currencies []string
	Campaigns  []CampaignRow
	Journeys   []JourneyRow
	Totals     Totals
}

// Totals sum the rows: messages sent by campaigns and journey e-mail steps, treated
// conversions, the treated customers' revenue in the window of their campaign, and the
// rows with an uplift significantly above zero at the 5% level.
type Totals struct {
	MessagesSent         int
	Conversions          int
	Revenue              int64
	SignificantCampaigns int
	SignificantJourneys  int
}

// Group is the treated or the holdout customers of a campaign. Revenue is in minor
// units of the report's currency; RevenuePerCustomer is Revenue over Customers, rounded
// to the minor unit (0 without customers).
type Group struct {
	Customers, Converted int
	Rate                 float64
	Revenue              int64
	RevenuePerCustomer   int64
}

// CampaignRow is a campaign's report as of ComputedAt.
type CampaignRow struct {
	ID, Name                      string
	State                         campaign.State
	StartedAt                     time.Time
	Planned, Sent, Delivered      int
	Opened, Clicked, Unsubscribed int
	Treated, Holdout              Group
	Uplift                        *campaign.Uplift
	ComputedAt                    time.Time
}

// JourneyRow is a journey version's runs (those entered in the period). Treated runs
// are those outside a holdout arm; Rate and HoldoutRate are nil without runs, Uplift
// nil unless both groups have runs.
type JourneyRow struct {
	JourneyID, Name           string
	Status                    journey.Status
	Version                   int
	Live                      bool
	Entered, InProgress       int
	Done, Exited              int
	Converted                 int
	Rate                      *float64
	Holdout, HoldoutConverted int
	HoldoutRate               *float64
	MessagesSent              int
	Uplift                    *campaign.Uplift
	ComputedAt                time.Time
}

// Service keeps the campaign report snapshots and answers the report.
type Service struct {
	Campaigns Campaigns
	Journeys  Journeys
	Log       *slog.Logger
	Now       func() time.Time
	// Every is how often the background loop looks for changed campaigns (default a
	// minute); FullEvery how often it recomputes every report (default 15 minutes);
	// Settle how long it lets a burst of events (a send, its opens) gather before
	// recomputing (default 2 seconds).
	Every, FullEvery, Settle time.Duration

	once     sync.Once
	refresh  sync.Mutex // one refresh at a time
	mu       sync.Mutex
	snaps    map[string]snapshot
	dirty    map[string]bool
	all      bool
	ready    bool
	lastFull time.Time
	wake     chan struct{}
}

type snapshot struct {
	report campaign.Report
	at     time.Time
}

func (s *Service) init() {
	s.once.Do(func() {
		s.snaps, s.dirty = map[string]snapshot{}, map[string]bool{}
		s.wake = make(chan struct{}, 1)
		if s.Log == nil {
			s.Log = slog.Default()
		}
	})
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func or(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// Run refreshes the snapshots at once, then when woken by events and every Every,
// until ctx ends.
func (s *Service) Run(ctx context.Context) {
	s.init()
	for {
		began := time.Now()
		if err := s.Refresh(ctx); err != nil && ctx.Err() == nil {
			s.Log.Error("marketing effectiveness: refresh", "err", err)
		}
		took := time.Since(began)
		t := time.NewTimer(s.pause(took, false, true))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		case <-s.wake:
			t.Stop()
			s.mu.Lock()
			requested := s.all
			s.mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-time.After(s.pause(took, requested, false)):
			}
		}
	}
}

// pause is how long the loop waits after a refresh that took took: Settle after events
// (a burst of a send's opens gathers), Every otherwise, and in both cases at least nine
// times what the refresh took. A campaign's report reads its recipients, so a large
// campaign's events would otherwise keep the database busy recomputing it while it
// sends; this way at most a tenth of the time goes to these reports. A requested
// refresh (refreshMarketingEffectiveness) only waits Settle.
func (s *Service) pause(took time.Duration, requested, periodic bool) time.Duration {
	base := or(s.Settle, 2*time.Second)
	if periodic {
		base = or(s.Every, time.Minute)
	}
	if requested {
		return base
	}
	return max(base, 9*took)
}

// RequestRefresh has the background loop recompute every report now.
func (s *Service) RequestRefresh() {
	s.init()
	s.mu.Lock()
	s.all = true
	s.mu.Unlock()
	s.poke()
}

func (s *Service) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Service) markDirty(ids []string) {
	if len(ids) == 0 {
		return
	}
	s.mu.Lock()
	for _, id := range ids {
		s.dirty[id] = true
	}
	s.mu.Unlock()
	s.poke()
}

// ObserveOrders hears stored or moved orders (commerce's observer): the campaigns whose
// attribution window holds an order's time are recomputed. It never blocks.
func (s *Service) ObserveOrders(os []commerce.Order) {
	s.init()
	s.mu.Lock()
	var ids []string
	for id, sn := range s.snaps {
		r := sn.report
		if r.From.IsZero() {
			continue
		}
		for _, o := range os {
			if !o.PlacedAt.Before(r.From) && !o.PlacedAt.After(r.To) {
				ids = append(ids, id)
				break
			}
		}
	}
	s.mu.Unlock()
	s.markDirty(ids)
}

// ObserveInteractions hears new interactions (commerce's observer): those of a
// campaign's messages (sent, opened, clicked, unsubscribed, bounced, complained) have
// it recomputed. It never blocks.
func (s *Service) ObserveInteractions(is []commerce.Interaction) {
	s.init()
	var ids []string
	for _, it := range is {
		if id := it.Attributes["campaign"]; id != "" && strings.HasPrefix(it.ID, "campaign:") {
			ids = append(ids, id)
		}
	}
	s.markDirty(ids)
}

// Refresh recomputes the snapshots of the campaigns that are new, changed or marked
// since the last refresh (every one after FullEvery or a RequestRefresh), and drops
// those of campaigns that are gone.
func (s *Service) Refresh(ctx context.Context) error {
	s.init()
	s.refresh.Lock()
	defer s.refresh.Unlock()
	start := s.now()
	s.mu.Lock()
	full := s.all || start.Sub(s.lastFull) >= or(s.FullEvery, 15*time.Minute)
	dirty := s.dirty
	s.dirty, s.all = map[string]bool{}, false
	s.mu.Unlock()
	requeue := func() {
		s.mu.Lock()
		maps.Copy(s.dirty, dirty)
		s.all = s.all || full
		s.mu.Unlock()
	}
	cs, err := s.Campaigns.List(ctx)
	if err != nil {
		requeue()
		return err
	}
	var errs []error
	seen := map[string]bool{}
	for _, c := range cs {
		seen[c.ID] = true
		s.mu.Lock()
		old, ok := s.snaps[c.ID]
		s.mu.Unlock()
		if ok && !full && !dirty[c.ID] && old.report.Campaign.UpdatedAt.Equal(c.UpdatedAt) {
			continue
		}
		// Taken before the reads: what happens after it may be missing from the report.
		at := s.now()
		r, err := s.Campaigns.Report(ctx, c.ID)
		switch {
		case apperr.IsNotFound(err):
			seen[c.ID] = false
			continue
		case err != nil:
			errs = append(errs, err)
			s.markDirty([]string{c.ID})
			continue
		}
		s.mu.Lock()
		s.snaps[c.ID] = snapshot{report: r, at: at}
		s.mu.Unlock()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for id := range s.snaps {
		if !seen[id] {
			delete(s.snaps, id)
		}
	}
	if len(errs) > 0 {
		s.all = s.all || full
		return errors.Join(errs...)
	}
	if full {
		s.lastFull = start
	}
	s.ready = true
	return nil
}

// Effectiveness answers the report from the snapshots and the journeys in process.
func (s *Service) Effectiveness(_ context.Context, q Query) (Effectiveness, error) {
	s.init()
	if q.From != nil && q.To != nil && q.To.Before(*q.From) {
		return Effectiveness{}, apperr.Invalidf("to is before from")
	}
	q.Currency = strings.ToUpper(strings.TrimSpace(q.Currency))
	out := Effectiveness{Query: q, Campaigns: []CampaignRow{}, Journeys: []JourneyRow{}}
	var from, to time.Time
	if q.From != nil {
		from = *q.From
	}
	if q.To != nil {
		to = *q.To
	}

	s.mu.Lock()
	out.Ready = s.ready
	var snaps []snapshot
	for _, sn := range s.snaps {
		st := sn.report.Campaign.StartedAt
		if (q.From != nil || q.To != nil) && st.IsZero() || q.From != nil && st.Before(from) || q.To != nil && st.After(to) {
			continue
		}
		snaps = append(snaps, sn)
	}
	s.mu.Unlock()
	// Newest start first; campaigns not started (drafts, schedules) after them.
	slices.SortFunc(snaps, func(a, b snapshot) int {
		ca, cb := a.report.Campaign, b.report.Campaign
		return cmp.Or(notStarted(ca)-notStarted(cb), cb.StartedAt.Compare(ca.StartedAt),
			cb.CreatedAt.Compare(ca.CreatedAt), strings.Compare(ca.ID, cb.ID))
	})

	out.Currencies, out.Currency = currencies(snaps, q.Currency)
	for _, sn := range snaps {
		row := campaignRow(sn, out.Currency)
		out.Campaigns = append(out.Campaigns, row)
		out.Totals.MessagesSent += row.Sent
		out.Totals.Conversions += row.Treated.Converted
		out.Totals.Revenue += row.Treated.Revenue
		if significantGain(row.Uplift) {
			out.Totals.SignificantCampaigns++
		}
	}

	now := s.now()
	for _, k := range s.Journeys.KnownJourneys() {
		stats := s.Journeys.StatsIn(k.Journey.ID, k.Versions, from, to)
		for i, v := range k.Versions {
			st := stats[i]
			// Unpublished drafts have no runs; versions without runs in the period are
			// left out when a period is asked for.
			if st.Entered == 0 && (v.PublishedAt.IsZero() || q.From != nil || q.To != nil) {
				continue
			}
			row := journeyRow(k.Journey, v, st, now)
			out.Journeys = append(out.Journeys, row)
			out.Totals.MessagesSent += row.MessagesSent
			out.Totals.Conversions += row.Converted
			if significantGain(row.Uplift) {
				out.Totals.SignificantJourneys++
			}
		}
	}
	return out, nil
}

func notStarted(c campaign.Campaign) int {
	if c.StartedAt.IsZero() {
		return 1
	}
	return 0
}

// significantGain is an uplift significantly above zero at the 5% level.
func significantGain(u *campaign.Uplift) bool { return u != nil && u.Significant() && u.Difference > 0 }

// currencies lists the currencies of the campaigns' revenue and picks the report's: the
// one asked for, else the one most campaigns have revenue in (ties: alphabetical).
func currencies(snaps []snapshot, asked string) ([]string, string) {
	n := map[string]int{}
	for _, sn := range snaps {
		seen := map[string]bool{}
		for _, g := range []campaign.Group{sn.report.Treated, sn.report.Holdout} {
			for cur := range g.Revenue {
				if !seen[cur] {
					seen[cur] = true
					n[cur]++
				}
			}
		}
	}
	list := slices.Sorted(maps.Keys(n))
	if asked != "" {
		return list, asked
	}
	best := ""
	for _, cur := range list {
		if best == "" || n[cur] > n[best] {
			best = cur
		}
	}
	return list, best
}

func group(g campaign.Group, currency string) Group {
	out := Group{Customers: g.Customers, Converted: g.Converted, Rate: g.Rate, Revenue: g.Revenue[currency]}
	if g.Customers > 0 {
		out.RevenuePerCustomer = int64(math.Round(float64(out.Revenue) / float64(g.Customers)))
	}
	return out
}

func campaignRow(sn snapshot, currency string) CampaignRow {
	r := sn.report
	return CampaignRow{ID: r.Campaign.ID, Name: r.Campaign.Name, State: r.Campaign.State, StartedAt: r.Campaign.StartedAt,
		Planned: r.Planned, Sent: r.Sent, Delivered: r.Delivered, Opened: r.Opened, Clicked: r.Clicked, Unsubscribed: r.Unsubscribed,
		Treated: group(r.Treated, currency), Holdout: group(r.Holdout, currency), Uplift: r.Uplift, ComputedAt: sn.at}
}

func rate(n, of int) *float64 {
	if of == 0 {
		return nil
	}
	r := float64(n) / float64(of)
	return &r
}

func journeyRow(j journey.Journey, v journey.Version, st journey.VersionStats, now time.Time) JourneyRow {
	treated := st.Entered - st.HoldoutRuns
	row := JourneyRow{JourneyID: j.ID, Name: j.Name, Status: j.Status, Version: v.N, Live: v.N == j.Live,
		Entered: st.Entered, InProgress: st.InProgress, Done: st.Done, Exited: st.Exited, Converted: st.Converted, Rate: rate(st.Converted, treated),
		Holdout: st.HoldoutRuns, HoldoutConverted: st.HoldoutConverted, HoldoutRate: rate(st.HoldoutConverted, st.HoldoutRuns), ComputedAt: now}
	for _, step := range st.Steps {
		if step.Kind == journey.SendEmail {
			row.MessagesSent += step.Outcomes["sent"]
		}
	}
	if treated > 0 && st.HoldoutRuns > 0 {
		u := campaign.TwoProportions(st.Converted, treated, st.HoldoutConverted, st.HoldoutRuns)
		row.Uplift = &u
	}
	return row
}
