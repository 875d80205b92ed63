package surveystore_test

import (
	"context"
	"testing"
	"time"

	"github.com/tessera-cdp/tessera/internal/commerce/c360"
	"github.com/tessera-cdp/tessera/internal/store/surveystore"
	"github.com/tessera-cdp/tessera/internal/survey"
	"github.com/tessera-cdp/tessera/internal/testdb"
)

func TestSendsSummariesAndTimeline(t *testing.T) {
	ctx := context.Background()
	s := surveystore.New(testdb.DB(t))
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	a := survey.Send{ID: "nps|ticket_solved|t1", Kind: survey.NPS, ProfileID: "p", TriggerType: survey.TicketSolved, TriggerID: "t1", State: survey.Sending, CreatedAt: t0}
	if ok, err := s.Claim(ctx, a); !ok || err != nil {
		t.Fatalf("claim: %v %v", ok, err)
	}
	if ok, err := s.Claim(ctx, a); ok || err != nil {
		t.Fatalf("second claim: %v %v", ok, err)
	}
	a.State, a.SentAt, a.Answer = survey.Sent, t0, &survey.Answer{Score: 9, Comment: "good", At: t0.Add(time.Hour), UpdatedAt: t0.Add(time.Hour)}
	if err := s.Put(ctx, a); err != nil {
		t.Fatal(err)
	}
	b := survey.Send{ID: "csat|ticket_solved|t2", Kind: survey.CSAT, ProfileID: "p", State: survey.Skipped, Reason: "no consent", CreatedAt: t0}
	if _, err := s.Claim(ctx, b); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, a.ID)
	if err != nil || got.Answer == nil || got.Answer.Score != 9 || got.State != survey.Sent || !got.SentAt.Equal(t0) {
		t.Fatalf("get: %+v %v", got, err)
	}
	if _, err := s.Get(ctx, "nope"); err != survey.ErrNotFound {
		t.Fatalf("missing: %v", err)
	}
	sum := survey.Summary{ProfileID: "p", Sends: []string{a.ID, b.ID}, LastSent: map[survey.Kind]time.Time{survey.NPS: t0},
		Latest: map[survey.Kind]survey.Latest{survey.NPS: {SendID: a.ID, Score: 9, At: t0.Add(time.Hour)}}}
	if err := s.PutSummary(ctx, sum); err != nil {
		t.Fatal(err)
	}
	back, err := s.Summary(ctx, "p")
	if err != nil || len(back.Sends) != 2 || !back.LastSent[survey.NPS].Equal(t0) || back.Latest[survey.NPS].Score != 9 {
		t.Fatalf("summary: %+v %v", back, err)
	}
	items, err := surveystore.Timeline{Store: s}.Page(ctx, "p", nil, c360.TimelineFilter{}, 10)
	if err != nil || len(items) != 1 || items[0].Kind != surveystore.ItemSurvey || items[0].Type != "nps" || items[0].ID != a.ID {
		t.Fatalf("timeline: %+v %v", items, err)
	}
	n := 0
	if err := s.Answered(ctx, func(survey.Send) { n++ }); err != nil || n != 1 {
		t.Fatalf("answered: %d %v", n, err)
	}
	if err := s.DeleteSummaries(ctx, []string{"p"}); err != nil {
		t.Fatal(err)
	}
	if e, _ := s.Summary(ctx, "p"); len(e.Sends) != 0 {
		t.Fatalf("deleted: %+v", e)
	}
	k1, err := s.TokenKey(ctx)
	k2, _ := s.TokenKey(ctx)
	if err != nil || len(k1) != 32 || string(k1) != string(k2) {
		t.Fatalf("token key: %v", err)
	}
	st := survey.DefaultSettings()
	if err := s.PutSettings(ctx, st); err != nil {
		t.Fatal(err)
	}
	if g, ok, err := s.Settings(ctx); !ok || err != nil || g.OnOrderDelivered != survey.NPS || g.CapDays[survey.NPS] != 90 {
		t.Fatalf("settings: %+v %v %v", g, ok, err)
	}
}
