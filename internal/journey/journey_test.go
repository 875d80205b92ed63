package journey_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/journey"
	"github.com/tessera-cdp/tessera/internal/segment"
)

var gb = segment.Rule{Trait: &segment.TraitCond{Field: "country", Op: segment.EQ, Value: "GB"}}

// waitBranch: an order enrols; wait 2 days; GB customers get the tag uk, others row.
func waitBranch() journey.Definition {
	return journey.Definition{
		Trigger: journey.Trigger{Kind: journey.OrderPlaced},
		Reentry: journey.Reentry{Mode: journey.After, After: 30 * 24 * time.Hour},
		Goal:    &journey.Goal{Within: 7 * 24 * time.Hour},
		Steps: []journey.Step{
			{ID: "wait", Kind: journey.Wait, Wait: &journey.WaitSpec{Duration: 48 * time.Hour}, Next: "gb"},
			{ID: "gb", Kind: journey.Branch, Branch: &journey.BranchSpec{Rule: gb, Yes: "tag-uk", No: "tag-row"}},
			{ID: "tag-uk", Kind: journey.SetAttribute, Attribute: &journey.AttributeSpec{Op: journey.AddTag, Key: "uk"}},
			{ID: "tag-row", Kind: journey.SetAttribute, Attribute: &journey.AttributeSpec{Op: journey.AddTag, Key: "row"}, Next: "end"},
			{ID: "end", Kind: journey.Exit},
		},
	}
}

func TestValidate(t *testing.T) {
	ok := waitBranch()
	if err := ok.Validate(); err != nil || ok.Start != "wait" {
		t.Fatalf("valid journey: %v (start %q)", err, ok.Start)
	}
	cases := map[string]func(d *journey.Definition){
		"is reached again":        func(d *journey.Definition) { d.Steps[2].Next = "wait" },
		"cannot be reached":       func(d *journey.Definition) { d.Steps = append(d.Steps, journey.Step{ID: "lost", Kind: journey.Exit}) },
		"which is not a step":     func(d *journey.Definition) { d.Steps[0].Next = "nowhere" },
		"used twice":              func(d *journey.Definition) { d.Steps[4].ID = "gb" },
		"needs its wait settings": func(d *journey.Definition) { d.Steps[0].Wait = nil },
		"exactly one of":          func(d *journey.Definition) { d.Steps[0].Wait.Event = "visit" },
		"needs a timeout":         func(d *journey.Definition) { d.Steps[0].Wait = &journey.WaitSpec{Event: "visit"} },
		"trigger SEGMENT_ENTERED": func(d *journey.Definition) { d.Trigger = journey.Trigger{Kind: journey.SegmentEntered} },
		"unknown kind":            func(d *journey.Definition) { d.Trigger.Kind = "SOMETIMES" },
		"mode AFTER":              func(d *journey.Definition) { d.Reentry.After = 0 },
		"rule":                    func(d *journey.Definition) { d.Steps[1].Branch.Rule = segment.Rule{} },
		"not in next":             func(d *journey.Definition) { d.Steps[1].Next = "end" },
		"EXIT takes no":           func(d *journey.Definition) { d.Steps[4].Next = "wait" },
		"unknown placeholder":     func(d *journey.Definition) { d.Steps[2] = email("tag-uk", "Hi {{ticket.id}}") },
		"only SET takes a value":  func(d *journey.Definition) { d.Steps[2].Attribute.Value = "x" },
		"webhook url": func(d *journey.Definition) {
			d.Steps[2] = journey.Step{ID: "tag-uk", Kind: journey.CallWebhook, Webhook: &journey.WebhookSpec{URL: "ftp://x"}}
		},
		"a holdout arm ends the run": func(d *journey.Definition) {
			d.Steps[1] = split("gb", "tag-uk", "tag-row")
			d.Steps[1].Split.Arms[1].Holdout = true
		},
	}
	for want, change := range cases {
		d := waitBranch()
		change(&d)
		err := d.Validate()
		if e, ok := apperr.As(err); !ok || e.Kind != apperr.Invalid || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v", want, err)
		}
	}
}

func email(id, text string) journey.Step {
	return journey.Step{ID: id, Kind: journey.SendEmail, Email: &journey.EmailSpec{Subject: "Hello", Text: text}}
}

func split(id, a, b string) journey.Step {
	return journey.Step{ID: id, Kind: journey.Split, Split: &journey.SplitSpec{Arms: []journey.Arm{{Name: "a", Weight: 1, Next: a}, {Name: "b", Weight: 3, Next: b}}}}
}

func TestPickArmIsStableAndWeighted(t *testing.T) {
	arms := []journey.Arm{{Name: "a", Weight: 1}, {Name: "b", Weight: 3}}
	n := map[string]int{}
	for i := range 4000 {
		pid := fmt.Sprintf("p%d", i)
		a := journey.PickArm("j", 1, "s", pid, arms)
		if journey.PickArm("j", 1, "s", pid, arms).Name != a.Name {
			t.Fatal("the same customer took another arm")
		}
		n[a.Name]++
	}
	if n["a"] < 850 || n["a"] > 1150 {
		t.Fatalf("arm a got %d of 4000 at weight 1/4", n["a"])
	}
}

func TestMayEnter(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ended := &journey.Position{Status: journey.Done, Trigger: "order:1", Runs: []journey.Run{{N: 1, EnteredAt: t0}}}
	running := &journey.Position{Status: journey.Waiting, Runs: []journey.Run{{N: 1, EnteredAt: t0}}}
	after := journey.Reentry{Mode: journey.After, After: 24 * time.Hour}
	for _, c := range []struct {
		p    *journey.Position
		r    journey.Reentry
		key  string
		at   time.Time
		want bool
	}{
		{nil, journey.Reentry{Mode: journey.Never}, "order:2", t0, true},
		{ended, journey.Reentry{Mode: journey.Never}, "order:2", t0, false},
		{ended, journey.Reentry{Mode: journey.Always}, "order:2", t0, true},
		{ended, journey.Reentry{Mode: journey.Always}, "order:1", t0, false}, // the same event again
		{running, journey.Reentry{Mode: journey.Always}, "order:2", t0, false},
		{ended, after, "order:2", t0.Add(23 * time.Hour), false},
		{ended, after, "order:2", t0.Add(24 * time.Hour), true},
	} {
		if got := journey.MayEnter(c.p, c.r, c.key, c.at); got != c.want {
			t.Errorf("MayEnter(%v, %v, %s, %v) = %v", c.p != nil, c.r, c.key, c.at, got)
		}
	}
}
