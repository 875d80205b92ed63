// Package membership keeps saved segments and who is in them: it evaluates a segment's
// rule, records who entered and who exited (with times), keeps the current members on
// the profile and in a membership collection, and hands entered/exited batches to the
// webhook outbox. Dynamic segments are re-evaluated for the profiles that change and on
// a schedule; static segments are a snapshot that only follows merges and unmerges; list
// segments are customers chosen once (a report's cell saved as a segment, see SaveList),
// following merges and unmerges like a static one and never re-evaluated.
package membership

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/netguard"
	"github.com/tessera-cdp/tessera/internal/segment"
)

// Kinds of segments.
const (
	Dynamic = "DYNAMIC"
	Static  = "STATIC"
	List    = "LIST"
)

// Change kinds.
const (
	Entered = "ENTERED"
	Exited  = "EXITED"
)

// Segment is a saved segment.
type Segment struct {
	ID          string
	Name        string
	Description string
	Kind        string
	Rule        segment.Rule
	MemberCount int
	CreatedAt   time.Time
	UpdatedAt   time.Time
	EvaluatedAt time.Time
	Webhook     *Webhook
}

// Webhook is a segment's destination for entered/exited batches.
type Webhook struct {
	URL            string
	Secret         string
	LastDeliveryAt time.Time
	LastStatus     string
	Failures       int
}

// Member is a current member.
type Member struct {
	ProfileID string
	EnteredAt time.Time
}

// Change is one entry or exit.
type Change struct {
	SegmentID string
	ProfileID string
	Kind      string
	At        time.Time
}

// Store keeps segments, members and changes.
type Store interface {
	InsertSegment(ctx context.Context, s Segment) error
	// ReplaceSegment writes the definition (name, description, kind, rule, webhook).
	ReplaceSegment(ctx context.Context, s Segment) error
	DeleteSegment(ctx context.Context, id string) error
	GetSegment(ctx context.Context, id string) (Segment, error)
	ListSegments(ctx context.Context) ([]Segment, error)
	// Members returns the current members among ids (all members when ids is nil).
	Members(ctx context.Context, segmentID string, ids []string) (map[string]time.Time, error)
	// Apply records entries and exits: change log first, then member documents, the
	// profiles' segment lists, and the count. Every step is idempotent, so a retry after
	// a failure converges.
	Apply(ctx context.Context, segmentID string, entered, exited []string, at time.Time) (count int, err error)
	// SetEvaluated records the time of a full evaluation.
	SetEvaluated(ctx context.Context, segmentID string, at time.Time) error
	// MergedInto maps absorbed profile ids to the profile that absorbed them.
	MergedInto(ctx context.Context, ids []string) (map[string]string, error)
}

// Outbox queues webhook deliveries.
type Outbox interface {
	Enqueue(ctx context.Context, d Delivery) error
}

// Service manages segments and their membership.
type Service struct {
	Store  Store
	Eval   segment.Querier
	Outbox Outbox
	Log    *slog.Logger
	Now    func() time.Time
	NewID  func() string

	// Reads serves member pages, the change log, a profile's segments and export
	// tokens (reads.go).
	Reads Reader

	// Webhooks says which addresses webhook URLs may point at (nil: public ones only).
	Webhooks *netguard.Policy
	// Observers hear each segment's entries and exits once they are recorded (journeys'
	// triggers); they must not block.
	Observers []func(segmentID string, entered, exited []string, at time.Time)

	mu        sync.Mutex // one evaluation of a segment at a time
	running   map[string]*sync.Mutex
	segCache  []Segment
	cacheTime time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) segLock(id string) func() {
	s.mu.Lock()
	if s.running == nil {
		s.running = map[string]*sync.Mutex{}
	}
	l := s.running[id]
	if l == nil {
		l = &sync.Mutex{}
		s.running[id] = l
	}
	s.mu.Unlock()
	l.Lock()
	return l.Unlock
}

// Input is what a user defines.
type Input struct {
	Name        string
	Description string
	Kind        string
	Rule        segment.Rule
}

func (in *Input) validate() error {
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || len(in.Name) > 200 {
		return apperr.Invalidf("segment name must be 1 to 200 characters")
	}
	if len(in.Description) > 2000 {
		return apperr.Invalidf("segment description must be at most 2000 characters")
	}
	if in.Kind == "" {
		in.Kind = Dynamic
	}
	switch in.Kind {
	case Dynamic, Static:
		return in.Rule.Validate()
	case List:
		if !reflect.ValueOf(in.Rule).IsZero() {
			return apperr.Invalidf("a LIST segment has no rule: its members were chosen when it was saved")
		}
		return nil
	}
	return apperr.Invalidf("unknown segment kind %q", in.Kind)
}

// Create saves a segment and evaluates it.
func (s *Service) Create(ctx context.Context, in Input) (Segment, error) {
	if err := in.validate(); err != nil {
		return Segment{}, err
	}
	if in.Kind == List {
		return Segment{}, apperr.Invalidf("LIST segments are saved from a report (saveRfmCellAsSegment), not created empty")
	}
	now := s.now()
	seg := Segment{ID: s.NewID(), Name: in.Name, Description: in.Description, Kind: in.Kind, Rule: in.Rule, CreatedAt: now, UpdatedAt: now}
	if err := s.Store.InsertSegment(ctx, seg); err != nil {
		return Segment{}, err
	}
	s.invalidate()
	if err := s.Refresh(ctx, seg.ID); err != nil {
		return Segment{}, err
	}
	return s.Store.GetSegment(ctx, seg.ID)
}

// Update changes a segment's definition; a changed rule or kind re-evaluates it.
func (s *Service) Update(ctx context.Context, id string, in Input) (Segment, error) {
	if err := in.validate(); err != nil {
		return Segment{}, err
	}
	seg, err := s.Store.GetSegment(ctx, id)
	if err != nil {
		return Segment{}, err
	}
	if (seg.Kind == List) != (in.Kind == List) {
		return Segment{}, apperr.Invalidf("a LIST segment stays a list, and no other segment becomes one")
	}
	before, _ := json.Marshal(seg.Rule)
	after, _ := json.Marshal(in.Rule)
	changed := string(before) != string(after) || seg.Kind != in.Kind
	seg.Name, seg.Description, seg.Kind, seg.Rule, seg.UpdatedAt = in.Name, in.Description, in.Kind, in.Rule, s.now()
	if err := s.Store.ReplaceSegment(ctx, seg); err != nil {
		return Segment{}, err
	}
	s.invalidate()
	if changed {
		if err := s.Refresh(ctx, id); err != nil {
			return Segment{}, err
		}
	}
	return s.Store.GetSegment(ctx, id)
}

// Delete removes a segment with its members and history.
func (s *Service) Delete(ctx context.Context, id string) (Segment, error) {
	seg, err := s.Store.GetSegment(ctx, id)
	if err != nil {
		return Segment{}, err
	}
	defer s.segLock(id)()
	if err := s.Store.DeleteSegment(ctx, id); err != nil {
		return Segment{}, err
	}
	s.invalidate()
	return seg, nil
}

// Refresh evaluates a segment over all profiles (a static segment takes a new snapshot)
// and records the difference.
func (s *Service) Refresh(ctx context.Context, id string) error {
	defer s.segLock(id)()
	seg, err := s.Store.GetSegment(ctx, id)
	if err != nil {
		return err
	}
	now := s.now()
	if seg.Kind == List { // nothing to evaluate: the members were chosen
		return s.Store.SetEvaluated(ctx, id, now)
	}
	want := map[string]bool{}
	if err := s.Eval.SegmentMembers(ctx, seg.Rule, now, nil, func(ids []string) error {
		for _, id := range ids {
			want[id] = true
		}
		return nil
	}); err != nil {
		return err
	}
	have, err := s.Store.Members(ctx, id, nil)
	if err != nil {
		return err
	}
	if err := s.apply(ctx, seg, diff(want, have, nil), now); err != nil {
		return err
	}
	return s.Store.SetEvaluated(ctx, id, now)
}

type delta struct{ entered, exited []string }

// diff compares wanted and current members over scope (all of both when scope is nil).
func diff(want map[string]bool, have map[string]time.Time, scope []string) delta {
	var d delta
	if scope == nil {
		for id := range want {
			if _, ok := have[id]; !ok {
				d.entered = append(d.entered, id)
			}
		}
		for id := range have {
			if !want[id] {
				d.exited = append(d.exited, id)
			}
		}
	} else {
		for _, id := range scope {
			_, in := have[id]
			switch {
			case want[id] && !in:
				d.entered = append(d.entered, id)
			case !want[id] && in:
				d.exited = append(d.exited, id)
			}
		}
	}
	slices.Sort(d.entered)
	slices.Sort(d.exited)
	return d
}

func (s *Service) apply(ctx context.Context, seg Segment, d delta, at time.Time) error {
	if len(d.entered) == 0 && len(d.exited) == 0 {
		return nil
	}
	if _, err := s.Store.Apply(ctx, seg.ID, d.entered, d.exited, at); err != nil {
		return err
	}
	for _, f := range s.Observers {
		f(seg.ID, d.entered, d.exited, at)
	}
	if seg.Webhook != nil && s.Outbox != nil {
		for _, b := range batches(seg, d, at) {
			if err := s.Outbox.Enqueue(ctx, b); err != nil {
				return err
			}
		}
	}
	return nil
}

// Touch re-evaluates the given profiles in every segment: dynamic segments follow their
// rule; static ones follow merges (the survivor inherits an absorbed member's place)
// and unmerges (a profile split off a member stays a member; see Split).
func (s *Service) Touch(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	ids = uniq(ids)
	segs, err := s.segments(ctx)
	if err != nil {
		return err
	}
	merged, err := s.Store.MergedInto(ctx, ids)
	if err != nil {
		return err
	}
	scope := slices.Clone(ids)
	for _, to := range merged {
		scope = append(scope, to)
	}
	scope = uniq(scope)
	if err := s.refreshProfiles(ctx, scope); err != nil {
		return err
	}
	now := s.now()
	var errs []error
	for _, seg := range segs {
		if err := s.touchOne(ctx, seg, scope, merged, now); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (s *Service) touchOne(ctx context.Context, seg Segment, scope []string, merged map[string]string, now time.Time) error {
	defer s.segLock(seg.ID)()
	have, err := s.Store.Members(ctx, seg.ID, scope)
	if err != nil {
		return err
	}
	want := map[string]bool{}
	if seg.Kind != Dynamic { // static and list: follow merges only
		for id := range have {
			want[id] = true
		}
		for from, to := range merged {
			if _, ok := have[from]; ok {
				delete(want, from)
				want[to] = true
			}
		}
	} else if err := s.Eval.SegmentMembers(ctx, seg.Rule, now, scope, func(ids []string) error {
		for _, id := range ids {
			want[id] = true
		}
		return nil
	}); err != nil {
		return err
	}
	return s.apply(ctx, seg, diff(want, have, scope), now)
}

// Split gives profiles split off by an unmerge the static memberships of the profile
// they were split from (dynamic segments are re-evaluated by Touch).
func (s *Service) Split(ctx context.Context, from string, split []string) error {
	segs, err := s.segments(ctx)
	if err != nil {
		return err
	}
	now := s.now()
	for _, seg := range segs {
		if seg.Kind == Dynamic {
			continue
		}
		have, err := s.Store.Members(ctx, seg.ID, []string{from})
		if err != nil {
			return err
		}
		if _, ok := have[from]; !ok {
			continue
		}
		cur, err := s.Store.Members(ctx, seg.ID, split)
		if err != nil {
			return err
		}
		var d delta
		for _, id := range split {
			if _, ok := cur[id]; !ok {
				d.entered = append(d.entered, id)
			}
		}
		if err := s.apply(ctx, seg, d, now); err != nil {
			return err
		}
	}
	return nil
}

// RefreshDynamic re-evaluates every dynamic segment (the schedule: rules over time
// windows change without any write).
func (s *Service) RefreshDynamic(ctx context.Context) error {
	segs, err := s.segments(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, seg := range segs {
		if seg.Kind == Dynamic {
			if err := s.Refresh(ctx, seg.ID); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// segments lists segments, cached briefly: Touch runs after every ingest batch.
func (s *Service) segments(ctx context.Context) ([]Segment, error) {
	s.mu.Lock()
	if s.segCache != nil && time.Since(s.cacheTime) < 2*time.Second {
		out := s.segCache
		s.mu.Unlock()
		return out, nil
	}
	s.mu.Unlock()
	segs, err := s.Store.ListSegments(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.segCache, s.cacheTime = segs, time.Now()
	s.mu.Unlock()
	return segs, nil
}

func (s *Service) invalidate() {
	s.mu.Lock()
	s.segCache = nil
	s.mu.Unlock()
}

// SetWebhook sets a segment's webhook with a new secret.
func (s *Service) SetWebhook(ctx context.Context, id, rawURL string) (Webhook, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Hostname() == "" {
		return Webhook{}, apperr.Invalidf("webhook url must be an absolute http(s) URL")
	}
	if err := s.Webhooks.CheckURL(ctx, u); err != nil {
		return Webhook{}, apperr.Invalidf("webhook url: %v", err)
	}
	seg, err := s.Store.GetSegment(ctx, id)
	if err != nil {
		return Webhook{}, err
	}
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return Webhook{}, err
	}
	seg.Webhook = &Webhook{URL: u.String(), Secret: "whsec_" + hex.EncodeToString(b)}
	seg.UpdatedAt = s.now()
	if err := s.Store.ReplaceSegment(ctx, seg); err != nil {
		return Webhook{}, err
	}
	s.invalidate()
	return *seg.Webhook, nil
}

// RemoveWebhook removes a segment's webhook.
func (s *Service) RemoveWebhook(ctx context.Context, id string) (Segment, error) {
	seg, err := s.Store.GetSegment(ctx, id)
	if err != nil {
		return Segment{}, err
	}
	seg.Webhook = nil
	seg.UpdatedAt = s.now()
	if err := s.Store.ReplaceSegment(ctx, seg); err != nil {
		return Segment{}, err
	}
	s.invalidate()
	return seg, nil
}

// profilesChanged tells an evaluator that keeps profile facts in process about changed
// profiles (segment.ChangeNotifier), so a preview re-reads them first.
func (s *Service) profilesChanged(ids []string) {
	if n, ok := s.Eval.(segment.ChangeNotifier); ok {
		n.ProfilesChanged(ids)
	}
}

// refreshProfiles brings an evaluator's in-process facts of the profiles up to date
// (segment.Refresher) before they are evaluated.
func (s *Service) refreshProfiles(ctx context.Context, ids []string) error {
	if r, ok := s.Eval.(segment.Refresher); ok {
		return r.RefreshProfiles(ctx, ids)
	}
	return nil
}

func uniq(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}
