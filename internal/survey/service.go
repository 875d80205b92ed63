package survey

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"html"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/consent"
	"github.com/tessera-cdp/tessera/internal/mail"
	"github.com/tessera-cdp/tessera/internal/profile"
	"github.com/tessera-cdp/tessera/internal/ticket"
)

// Tickets is what surveys do with tickets (ticket.Service): a CSAT answer about a
// solved ticket is also the ticket's rating, so the help desk's CSAT report counts it.
type Tickets interface {
	GetTicket(ctx context.Context, id string) (ticket.Ticket, error)
	Rate(ctx context.Context, id string, score int, comment string) (ticket.Ticket, error)
}

// Consent says whether a customer may be e-mailed (consent.Service).
type Consent interface {
	Allowed(ctx context.Context, profileID string, c consent.Channel, p consent.Purpose) (bool, error)
}

// MaxOrderAge: an order placed longer ago than this is not asked about when it is
// reported delivered (an import of old orders surveys nobody).
const MaxOrderAge = 60 * 24 * time.Hour

// Service sends surveys, records answers and answers the reads. Prepare it, then Run it.
type Service struct {
	Store   Store
	Tickets Tickets
	Consent Consent
	// Profile reads a profile, following merges (customer.Service.Get).
	Profile func(ctx context.Context, id string) (profile.Profile, error)
	// Final follows merges from a profile id to the live one (identity.Engine.Final).
	Final func(ctx context.Context, id string) (string, error)
	// Mail sends one message through the relay with its claim (nil: no relay, surveys
	// are skipped).
	Mail func(ctx context.Context, m mail.Message, c mail.Commit) mail.Result
	// Attributes records profile attributes (the latest score of a kind) as the record
	// <kind>-<profile> of the surveys source pinned to the profile, observed at `at`.
	Attributes func(ctx context.Context, profileID string, kind Kind, attrs map[string]any, at time.Time) error
	// PublicURL prefixes answer links (/s/{token}); Brand names the shop in questions.
	PublicURL string
	Brand     string
	Log       *slog.Logger
	Now       func() time.Time

	settingsMu sync.RWMutex
	settings   Settings
	sign       signer
	agg        *aggregate
	jobs       chan Trigger
	once       sync.Once
	locks      [64]sync.Mutex
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

func (s *Service) init() {
	s.once.Do(func() {
		s.agg = newAggregate()
		s.jobs = make(chan Trigger, 10000)
		s.settings = DefaultSettings()
	})
}

// Prepare loads the settings and the key of answer links.
func (s *Service) Prepare(ctx context.Context) error {
	s.init()
	st, ok, err := s.Store.Settings(ctx)
	if err != nil {
		return err
	}
	if ok {
		s.settingsMu.Lock()
		s.settings = st
		s.settingsMu.Unlock()
	}
	key, err := s.Store.TokenKey(ctx)
	if err != nil {
		return err
	}
	s.sign = signer{key: key}
	return nil
}

// Run builds the NPS aggregate from the stored answers, then sends the surveys of the
// triggers heard, until ctx ends.
func (s *Service) Run(ctx context.Context) {
	s.init()
	go func() {
		if err := s.BuildTrend(ctx); err != nil && ctx.Err() == nil {
			s.log().Error("surveys: nps trend", "err", err)
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case t := <-s.jobs:
			if _, err := s.Process(ctx, t); err != nil && ctx.Err() == nil {
				s.log().Warn("surveys: send", "trigger", t.Type, "id", t.ID, "err", err)
			}
		}
	}
}

// BuildTrend reads the stored NPS answers into the aggregate (once, at start).
func (s *Service) BuildTrend(ctx context.Context) error {
	s.init()
	var nps []Send
	if err := s.Store.Answered(ctx, func(x Send) {
		if x.Kind == NPS && x.Answer != nil {
			nps = append(nps, x)
		}
	}); err != nil {
		return err
	}
	s.agg.load(nps)
	return nil
}

// Settings returns the current settings.
func (s *Service) Settings() Settings {
	s.init()
	s.settingsMu.RLock()
	defer s.settingsMu.RUnlock()
	return s.settings
}

// SetSettings validates and stores settings.
func (s *Service) SetSettings(ctx context.Context, st Settings) (Settings, error) {
	s.init()
	for _, k := range []Kind{st.OnTicketSolved, st.OnOrderDelivered} {
		if k != "" && !k.Valid() {
			return Settings{}, apperr.Invalidf("unknown survey kind %q", k)
		}
	}
	caps := map[Kind]int{}
	for _, k := range Kinds {
		d := st.CapDays[k]
		if d < 0 || d > 3650 {
			return Settings{}, apperr.Invalidf("%s frequency cap: 0 to 3650 days", strings.ToUpper(string(k)))
		}
		caps[k] = d
	}
	st.CapDays = caps
	if err := s.Store.PutSettings(ctx, st); err != nil {
		return Settings{}, err
	}
	s.settingsMu.Lock()
	s.settings = st
	s.settingsMu.Unlock()
	return st, nil
}

// ---- triggers ----

// TicketStatusChanged hears ticket status changes (ticket.Service.StatusChanged): a
// ticket that became solved is asked about.
func (s *Service) TicketStatusChanged(_ context.Context, t ticket.Ticket, from ticket.Status) {
	if t.Status != ticket.StatusSolved || from == ticket.StatusClosed || t.MergedInto != "" || t.RequesterID == "" {
		return
	}
	s.enqueue(Trigger{Type: TicketSolved, ID: t.ID, ProfileID: t.RequesterID, At: t.UpdatedAt})
}

// OrdersChanged hears stored orders (commerce.Service.Observe): a recent order of a
// customer in status delivered is asked about.
func (s *Service) OrdersChanged(orders []commerce.Order) {
	now := s.now()
	for _, o := range orders {
		if o.Status == commerce.Delivered && o.ProfileID != "" && now.Sub(o.PlacedAt) <= MaxOrderAge {
			s.enqueue(Trigger{Type: OrderDelivered, ID: o.ID, ProfileID: o.ProfileID, At: o.UpdatedAt})
		}
	}
}

// enqueue hands a trigger to Run without blocking the writer that heard it.
func (s *Service) enqueue(t Trigger) {
	s.init()
	select {
	case s.jobs <- t:
	default:
		s.log().Warn("surveys: queue full, trigger dropped", "trigger", t.Type, "id", t.ID)
	}
}

// kindFor is the survey a trigger sends ("" none).
func (s *Service) kindFor(triggerType string) Kind {
	st := s.Settings()
	if triggerType == TicketSolved {
		return st.OnTicketSolved
	}
	return st.OnOrderDelivered
}

// Process sends the survey of a trigger once: a trigger asked about before (in any
// state) is left alone. It returns the send (zero when the trigger sends none).
func (s *Service) Process(ctx context.Context, t Trigger) (Send, error) {
	s.init()
	kind := s.kindFor(t.Type)
	if kind == "" {
		return Send{}, nil
	}
	id := SendID(kind, t.Type, t.ID)
	if old, err := s.Store.Get(ctx, id); err == nil {
		return old, nil
	} else if !errors.Is(err, ErrNotFound) {
		return Send{}, err
	}
	p, err := s.Profile(ctx, t.ProfileID)
	if apperr.IsNotFound(err) {
		return Send{}, nil // erased since
	}
	if err != nil {
		return Send{}, err
	}
	snd := Send{ID: id, Kind: kind, ProfileID: p.ID, TriggerType: t.Type, TriggerID: t.ID, CreatedAt: s.now()}
	if len(p.Traits.Emails) > 0 {
		snd.To = p.Traits.Emails[0]
	}
	// A skipped send is recorded too, so the trigger is settled and the customer's list
	// says why nothing came.
	skip := func(reason string) (Send, error) {
		snd.State, snd.Reason = Skipped, reason
		if ok, err := s.Store.Claim(ctx, snd); err != nil || !ok {
			return snd, err
		}
		return snd, s.editSummary(ctx, p.ID, func(sum *Summary) { sum.Sends = appendCapped(sum.Sends, snd.ID) })
	}
	if snd.To == "" {
		return skip("no e-mail address")
	}
	ok, err := s.Consent.Allowed(ctx, p.ID, consent.Email, consent.Transactional)
	if err != nil {
		return Send{}, err
	}
	if !ok {
		return skip("no transactional e-mail consent")
	}
	sum, err := s.Store.Summary(ctx, p.ID)
	if err != nil {
		return Send{}, err
	}
	// The cap is checked on a read; sends are one at a time (Run), so only this process's
	// own send could change LastSent meanwhile.
	if d := s.Settings().CapDays[kind]; d > 0 {
		if last, ok := sum.LastSent[kind]; ok && snd.CreatedAt.Sub(last) < time.Duration(d)*24*time.Hour {
			return skip(fmt.Sprintf("frequency cap: a %s survey was sent on %s", strings.ToUpper(string(kind)), last.Format("2006-01-02")))
		}
	}
	if s.Mail == nil {
		return skip("no SMTP relay configured")
	}
	msg, err := s.message(ctx, snd, p, t)
	if err != nil {
		return Send{}, err
	}
	// Claimed right before the final dot: a crash after it leaves the send "sending",
	// never sent twice.
	snd.State = Sending
	claimed := false
	res := s.Mail(ctx, msg, mail.Commit{
		Claim: func(ctx context.Context) error {
			ok, err := s.Store.Claim(ctx, snd)
			if err == nil && !ok {
				err = errors.New("claimed by another sender")
			}
			claimed = err == nil
			return err
		},
		Release: func(ctx context.Context) error { claimed = false; return s.Store.Delete(ctx, snd.ID) },
	})
	switch res.Outcome {
	case mail.Accepted:
		snd.State, snd.SentAt = Sent, s.now()
	case mail.Abandoned:
		return s.Store.Get(ctx, id)
	case mail.Ambiguous:
		return snd, nil // stays "sending": the relay may have it
	default:
		snd.State, snd.Reason = Failed, fmt.Sprintf("%s: %v", res.Outcome, res.Err)
		if !claimed {
			if _, err := s.Store.Claim(ctx, snd); err != nil {
				return snd, err
			}
			return snd, nil
		}
	}
	// The outcome only: an answer may have come in since the relay took the message.
	unlock := s.lock(snd.ID)
	cur, err := s.Store.Get(ctx, snd.ID)
	if err == nil {
		snd.Answer = cur.Answer
		err = s.Store.Put(ctx, snd)
	}
	unlock()
	if err != nil {
		return snd, err
	}
	if snd.State != Sent {
		return snd, nil
	}
	return snd, s.editSummary(ctx, p.ID, func(sum *Summary) {
		sum.LastSent = withTime(sum.LastSent, kind, snd.SentAt)
		sum.Sends = appendCapped(sum.Sends, snd.ID)
	})
}

// lock serialises, within the process, the changes of one key (a send, a profile's
// summary) through 64 striped locks.
func (s *Service) lock(key string) func() {
	h := fnv.New32a()
	h.Write([]byte(key))
	m := &s.locks[h.Sum32()%uint32(len(s.locks))]
	m.Lock()
	return m.Unlock
}

// editSummary changes a profile's summary: read, change, write, one change of a
// profile at a time in this process (a send and an answer may meet).
func (s *Service) editSummary(ctx context.Context, profileID string, change func(*Summary)) error {
	defer s.lock("summary|" + profileID)()
	sum, err := s.Store.Summary(ctx, profileID)
	if err != nil {
		return err
	}
	sum.ProfileID = profileID
	change(&sum)
	return s.Store.PutSummary(ctx, sum)
}

func withTime(m map[Kind]time.Time, k Kind, t time.Time) map[Kind]time.Time {
	if m == nil {
		m = map[Kind]time.Time{}
	}
	if t.After(m[k]) {
		m[k] = t
	}
	return m
}

func appendCapped(ids []string, id string) []string {
	if slices.Contains(ids, id) {
		return ids
	}
	ids = append(ids, id)
	if len(ids) > MaxListed {
		ids = ids[len(ids)-MaxListed:]
	}
	return ids
}

// Link is the answer link of a send for a score.
func (s *Service) Link(sendID string, score int) string {
	return fmt.Sprintf("%s/s/%s?score=%d", strings.TrimSuffix(s.PublicURL, "/"), s.sign.Token(sendID), score)
}

// message writes the survey e-mail: the question and one link per score.
func (s *Service) message(ctx context.Context, snd Send, p profile.Profile, t Trigger) (mail.Message, error) {
	brand := s.Brand
	if brand == "" {
		brand = "us"
	}
	name := p.Traits.FirstName
	if name == "" {
		name = "there"
	}
	q := Question(snd.Kind, brand)
	about := ""
	if t.Type == TicketSolved {
		if tk, err := s.Tickets.GetTicket(ctx, t.ID); err == nil {
			about = fmt.Sprintf("Your request \"%s\" was solved. ", tk.Subject)
		}
	} else {
		about = "Your order has been delivered. "
	}
	lo, hi := snd.Kind.Range()
	var text, links strings.Builder
	fmt.Fprintf(&text, "Hello %s,\n\n%s%s\n\n", name, about, q)
	for sc := lo; sc <= hi; sc++ {
		u := s.Link(snd.ID, sc)
		fmt.Fprintf(&text, "%2d: %s\n", sc, u)
		fmt.Fprintf(&links, `<a href="%s" style="display:inline-block;padding:8px 10px;margin:2px;border:1px solid #888;text-decoration:none">%d</a>`, html.EscapeString(u), sc)
	}
	low, high := "not at all likely", "extremely likely"
	if snd.Kind == CSAT {
		low, high = "very dissatisfied", "very satisfied"
	}
	fmt.Fprintf(&text, "\n(%d = %s, %d = %s)\n", lo, low, hi, high)
	body := fmt.Sprintf(`<p>Hello %s,</p><p>%s%s</p><p>%s</p><p style="color:#666">%d = %s, %d = %s</p>`,
		html.EscapeString(name), html.EscapeString(about), html.EscapeString(q), links.String(), lo, low, hi, high)
	subject := "How likely are you to recommend " + brand + "?"
	if snd.Kind == CSAT {
		subject = "How did we do?"
	}
	return mail.Message{To: snd.To, Subject: subject, Text: text.String(), HTML: body,
		Headers: [][2]string{{"Auto-Submitted", "auto-generated"}}}, nil
}

// Question is the question of a kind.
func Question(k Kind, brand string) string {
	if k == NPS {
		return "How likely are you to recommend " + brand + " to a friend or colleague?"
	}
	return "How satisfied are you with our help?"
}

// ---- answers ----

// Open checks an answer link's token and returns its send.
func (s *Service) Open(ctx context.Context, token string) (Send, error) {
	id, ok := s.sign.Open(token)
	if !ok {
		return Send{}, apperr.NotFoundf("no such survey")
	}
	snd, err := s.Store.Get(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return Send{}, apperr.NotFoundf("no such survey")
	}
	return snd, err
}

// Answer records a score and/or a comment given through an answer link. The first
// answer may be changed within EditWindow; after that the answer is final (CONFLICT).
func (s *Service) Answer(ctx context.Context, token string, score *int, comment *string) (Send, error) {
	id, ok := s.sign.Open(token)
	if !ok {
		return Send{}, apperr.NotFoundf("no such survey")
	}
	unlock := s.lock(id)
	snd, err := s.record(ctx, token, score, comment)
	unlock() // before afterAnswer: stripes may coincide
	if err != nil {
		return snd, err
	}
	if snd.Kind == NPS {
		s.init()
		s.agg.answered(snd.ID, snd.Answer.At, snd.Answer.Score)
	}
	return snd, s.afterAnswer(ctx, snd)
}

// record stores an answer on its send (under the send's lock).
func (s *Service) record(ctx context.Context, token string, score *int, comment *string) (Send, error) {
	snd, err := s.Open(ctx, token)
	if err != nil {
		return Send{}, err
	}
	now := s.now()
	old := snd.Answer
	a := Answer{At: now, UpdatedAt: now}
	if old != nil {
		if now.Sub(old.At) > EditWindow {
			return snd, apperr.Conflictf("this survey was answered already")
		}
		a = *old
		a.UpdatedAt = now
	}
	switch {
	case score != nil:
		lo, hi := snd.Kind.Range()
		if *score < lo || *score > hi {
			return snd, apperr.Invalidf("score must be between %d and %d", lo, hi)
		}
		a.Score = *score
	case old == nil:
		return snd, apperr.Invalidf("give a score")
	}
	if comment != nil {
		c := strings.TrimSpace(*comment)
		if utf8.RuneCountInString(c) > MaxCommentRunes {
			return snd, apperr.Invalidf("comment longer than %d characters", MaxCommentRunes)
		}
		a.Comment = c
	}
	snd.Answer = &a
	return snd, s.Store.Put(ctx, snd)
}

// afterAnswer updates the profile's summary and attributes and, for a CSAT answer
// about a ticket, the ticket's rating. Repeating it is harmless.
func (s *Service) afterAnswer(ctx context.Context, snd Send) error {
	live, err := s.Final(ctx, snd.ProfileID)
	if apperr.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	var l Latest
	err = s.editSummary(ctx, live, func(sum *Summary) {
		sum.Sends = appendCapped(sum.Sends, snd.ID)
		if cur, ok := sum.Latest[snd.Kind]; !ok || cur.SendID == snd.ID || !snd.Answer.At.Before(cur.At) {
			if sum.Latest == nil {
				sum.Latest = map[Kind]Latest{}
			}
			sum.Latest[snd.Kind] = Latest{SendID: snd.ID, Score: snd.Answer.Score, At: snd.Answer.At}
		}
		l = sum.Latest[snd.Kind]
	})
	if err != nil {
		return err
	}
	if s.Attributes != nil {
		attrs := map[string]any{string(snd.Kind) + "_score": l.Score}
		if snd.Kind == NPS {
			attrs["nps_category"] = Category(l.Score)
		}
		if err := s.Attributes(ctx, live, snd.Kind, attrs, l.At); err != nil {
			return err
		}
	}
	if snd.Kind == CSAT && snd.TriggerType == TicketSolved && s.Tickets != nil {
		if _, err := s.Tickets.Rate(ctx, snd.TriggerID, snd.Answer.Score, snd.Answer.Comment); err != nil {
			if !errors.Is(err, ticket.ErrInvalidInput) && !errors.Is(err, ticket.ErrNotFound) {
				return err
			}
			s.log().Info("surveys: ticket not rated", "ticket", snd.TriggerID, "err", err)
		}
	}
	return nil
}

// ---- reads ----

// Surveys lists the surveys sent to a customer, newest first.
func (s *Service) Surveys(ctx context.Context, profileID string) ([]Send, error) {
	sum, err := s.Store.Summary(ctx, profileID)
	if err != nil || len(sum.Sends) == 0 {
		return nil, err
	}
	out, err := s.Store.GetMany(ctx, sum.Sends)
	slices.SortStableFunc(out, func(a, b Send) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return out, err
}

// Latest returns a customer's latest answer of a kind (ok false without one).
func (s *Service) Latest(ctx context.Context, profileID string, k Kind) (Latest, bool, error) {
	sum, err := s.Store.Summary(ctx, profileID)
	if err != nil {
		return Latest{}, false, err
	}
	l, ok := sum.Latest[k]
	return l, ok, nil
}

// Trend is NPS per period between from and to (default: the last 12 months to now).
func (s *Service) Trend(interval string, from, to time.Time) (Trend, error) {
	s.init()
	switch interval {
	case Day, Week, Month:
	default:
		return Trend{}, apperr.Invalidf("unknown interval %q", interval)
	}
	if to.IsZero() {
		to = s.now()
	}
	if from.IsZero() {
		from = to.AddDate(-1, 0, 0)
	}
	if from.After(to) {
		return Trend{}, apperr.Invalidf("from is after to")
	}
	if interval == Day && to.Sub(from) > 3*366*24*time.Hour {
		return Trend{}, apperr.Invalidf("at most 3 years of days")
	}
	return s.agg.trend(interval, from, to), nil
}
