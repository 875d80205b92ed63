package app

// Surveys (issue 18): NPS and CSAT surveys after solved tickets and delivered orders,
// sent through the SMTP relay of Options.Mail, answered at /s/{token}; the latest scores
// become attributes through records of the built-in surveys source.

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/ingest"
	"github.com/tessera-cdp/tessera/internal/mail"
	"github.com/tessera-cdp/tessera/internal/store/surveystore"
	"github.com/tessera-cdp/tessera/internal/survey"
	"github.com/tessera-cdp/tessera/server/app/gdpr"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// SurveySource is the built-in source of the survey score records.
const SurveySource = "surveys"

// newSurveys wires the survey service (after the help desk, commerce, consent, the
// workflows and the eraser) and makes it hear solved tickets, delivered orders and
// merges.
func (a *App) newSurveys(ctx context.Context, db *mongo.Database, o Options) (*survey.Service, error) {
	st := surveystore.New(db)
	s := &survey.Service{Store: st, Tickets: a.Tickets, Consent: a.Consent, Profile: a.Profiles.Get, Final: a.Engine.Final,
		PublicURL: strings.TrimSuffix(o.PublicURL, "/"), Log: o.Log,
		Attributes: func(ctx context.Context, pid string, k survey.Kind, attrs map[string]any, at time.Time) error {
			res, err := a.Workflows.Ingest(ctx, SurveySource, []ingest.Input{{ExternalID: string(k) + "-" + pid, Payload: attrs, ObservedAt: at, Pinned: pid}}, "")
			if err == nil && len(res.Rejects) > 0 {
				err = ingest.RejectError(res.Rejects[0])
			}
			return err
		}}
	if o.Mail.Enabled() {
		c, err := mail.New(o.Mail)
		if err != nil {
			return nil, fmt.Errorf("smtp relay: %w", err)
		}
		s.Mail = func(ctx context.Context, m mail.Message, commit mail.Commit) mail.Result {
			ss := c.Session()
			defer ss.Close()
			return ss.Send(ctx, m, commit)
		}
	}
	if _, err := a.Ingest.Source(ctx, SurveySource); apperr.IsNotFound(err) {
		// Records are pinned to their profile; the identifier field is never sent.
		_, err = a.Ingest.CreateSource(ctx, ingest.Source{Name: SurveySource, Kind: "OTHER", Priority: 1, IdentifierFields: map[string]string{"email": "email"}})
		if e, ok := apperr.As(err); err != nil && !(ok && e.Kind == apperr.Conflict) {
			return nil, fmt.Errorf("surveys source: %w", err)
		}
	} else if err != nil {
		return nil, err
	}
	if err := s.Prepare(ctx); err != nil {
		return nil, err
	}
	a.Tickets.StatusChanged = append(a.Tickets.StatusChanged, s.TicketStatusChanged)
	a.Commerce.Observe(s.OrdersChanged)
	if fs, ok := a.Engine.Follower.(followers); ok {
		a.Engine.Follower = append(fs, survey.Follower{Service: s})
	}
	a.Resolver.C360.TimelineSources = append(a.Resolver.C360.TimelineSources, surveystore.Timeline{Store: st})
	if e, ok := a.Resolver.Eraser.(*gdpr.Eraser); ok {
		e.Also = append(e.Also, s.Forget)
	}
	return s, nil
}
