package journey

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"time"
)

// PositionStatus is where a customer stands in a journey.
type PositionStatus string

const (
	InProgress PositionStatus = "ACTIVE"  // due now: the engine works on it
	Waiting    PositionStatus = "WAITING" // at a wait (or a retry) until WakeAt
	Done       PositionStatus = "DONE"    // the run reached its end or an EXIT step
	Exited     PositionStatus = "EXITED"  // left early: holdout, journey archived, merged
)

// Ended reports a status of a finished run.
func (s PositionStatus) Ended() bool { return s == Done || s == Exited }

// Position is a customer's place in a journey (one document per journey and customer).
type Position struct {
	ID        string // PositionID(JourneyID, ProfileID)
	JourneyID string
	ProfileID string
	// Run counts the customer's enrolments; Version is the current run's version.
	Run     int
	Version int
	Step    string
	Status  PositionStatus
	WakeAt  time.Time
	// Pending is the side effect of Step under way: recorded before it is done.
	Pending *Intent
	Visits  []Visit
	Runs    []Run
	// Trigger is the key of the event that enrolled the current run (a repeat of the
	// same event does not enrol again).
	Trigger   string
	UpdatedAt time.Time
	Rev       int64
}

// Intent is a side effect started at a step: its attempt, when it was first recorded
// (the time its idempotent record carries) and, for an e-mail, whether the relay had
// the whole message when the claim was recorded (it is not sent again).
type Intent struct {
	Step    string
	Attempt int
	At      time.Time
	Claimed bool
	Error   string
}

// Visit is one step of one run: when it was reached and left, and what happened.
type Visit struct {
	Run     int
	Version int
	Step    string
	At      time.Time
	LeftAt  time.Time
	Outcome string
}

// Run is one enrolment.
type Run struct {
	N           int
	Version     int
	Trigger     string
	EnteredAt   time.Time
	EndedAt     time.Time
	End         PositionStatus // DONE or EXITED once ended
	Reason      string
	ConvertedAt time.Time // the goal was reached (an order within the goal's window)
	Holdout     bool
}

// PositionID is the stored id of a customer's position in a journey.
func PositionID(journeyID, profileID string) string { return journeyID + ":" + profileID }

// EffectKey identifies a step's side effect for one run: repeating the effect with the
// same key does nothing more.
func EffectKey(journeyID, profileID string, run int, step string, version int) string {
	return fmt.Sprintf("%s:%s:r%d:%s:v%d", journeyID, profileID, run, step, version)
}

// MayEnter reports whether a trigger may enrol the customer of p (nil: never enrolled)
// with key as the event's key.
func MayEnter(p *Position, r Reentry, key string, now time.Time) bool {
	if p == nil {
		return true
	}
	if !p.Status.Ended() || (key != "" && key == p.Trigger) {
		return false
	}
	switch r.Mode {
	case Always:
		return true
	case After:
		last := p.Runs[len(p.Runs)-1].EnteredAt
		return !now.Before(last.Add(r.After))
	}
	return false
}

// Enter starts a new run of p on version v at its start step.
func (p *Position) Enter(v *Version, trigger string, now time.Time) {
	p.Run++
	p.Version, p.Trigger, p.Pending = v.N, trigger, nil
	p.Runs = append(p.Runs, Run{N: p.Run, Version: v.N, Trigger: trigger, EnteredAt: now})
	p.Arrive(&v.Def, v.Def.Start, now)
}

// Arrive moves p to step id ("" ends the run): a wait sets the wake time, an EXIT step
// ends the run.
func (p *Position) Arrive(d *Definition, id string, now time.Time) {
	p.Pending = nil
	if id == "" {
		p.End(Done, "", now)
		return
	}
	s := d.Step(id)
	p.Step = id
	p.Visits = append(p.Visits, Visit{Run: p.Run, Version: p.Version, Step: id, At: now})
	p.Status, p.WakeAt = InProgress, now
	switch s.Kind {
	case Exit:
		p.Leave("exit", now)
		p.End(Done, "", now)
	case Wait:
		p.Status = Waiting
		switch w := s.Wait; {
		case w.Duration > 0:
			p.WakeAt = now.Add(w.Duration)
		case !w.Until.IsZero():
			p.WakeAt = w.Until
		default:
			p.WakeAt = now.Add(w.Timeout)
		}
	}
}

// Leave closes the current visit with its outcome.
func (p *Position) Leave(outcome string, now time.Time) {
	if n := len(p.Visits); n > 0 && p.Visits[n-1].LeftAt.IsZero() {
		p.Visits[n-1].LeftAt, p.Visits[n-1].Outcome = now, outcome
	}
}

// End finishes the current run.
func (p *Position) End(s PositionStatus, reason string, now time.Time) {
	p.Status, p.Pending, p.WakeAt = s, nil, time.Time{}
	r := &p.Runs[len(p.Runs)-1]
	r.EndedAt, r.End, r.Reason = now, s, reason
}

// At reports whether p is at step of run (a transition computed from an older read is
// dropped when p moved on meanwhile).
func (p *Position) At(run int, step string) bool {
	return p.Run == run && p.Step == step && !p.Status.Ended()
}

// Current is the current run.
func (p *Position) Current() *Run { return &p.Runs[len(p.Runs)-1] }

// Clone copies p deeply.
func (p Position) Clone() Position {
	p.Visits = append([]Visit(nil), p.Visits...)
	p.Runs = append([]Run(nil), p.Runs...)
	if p.Pending != nil {
		i := *p.Pending
		p.Pending = &i
	}
	return p
}

// PickArm draws a split's arm for a customer: a hash of (journey, version, step,
// customer) placed on the arms' cumulative weights.
func PickArm(journeyID string, version int, step, profileID string, arms []Arm) Arm {
	total := 0
	for _, a := range arms {
		total += a.Weight
	}
	h := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d\x00%s\x00%s", journeyID, version, step, profileID))
	x := int(binary.BigEndian.Uint64(h[:8]) % uint64(total))
	for _, a := range arms {
		if x < a.Weight {
			return a
		}
		x -= a.Weight
	}
	return arms[len(arms)-1]
}
