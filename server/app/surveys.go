package app

// Surveys (issue 18): NPS and CSAT surveys after solved tickets and delivered orders,
// sent through the SMTP relay of Options.Mail, answered at /s/{token}; the latest scores
// become attributes through records of the built-in surveys source.

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/ingest"
	"github.com/tessera-cdp/tessera/internal/mail"
	"github.com/tessera-cdp/tessera/internal/store/surveystore"
	"github.com/tessera-cdp/tessera/internal/survey"
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
	if e, ok := a.Resolver.Eraser.(*Eraser); ok {
		e.Also = append(e.Also, s.Forget)
	}
	return s, nil
}

var surveyPage = template.Must(template.New("survey").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{.Title}}</title><style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#222}
a.s{display:inline-block;padding:.5rem .7rem;margin:.15rem;border:1px solid #888;border-radius:4px;text-decoration:none;color:#222}
a.s.on{background:#222;color:#fff}textarea{width:100%;min-height:6rem}</style></head><body>
<h1>{{.Title}}</h1>{{if .Message}}<p>{{.Message}}</p>{{end}}
{{if .Question}}<p>{{.Question}}</p><p>{{range .Scores}}<a class="s{{if .On}} on{{end}}" href="{{.URL}}">{{.N}}</a>{{end}}</p>{{end}}
{{if .Form}}<form method="post"><input type="hidden" name="score" value="{{.Score}}">
<p><label for="c">Anything you would like to add? (optional)</label></p><textarea id="c" name="comment" maxlength="2000">{{.Comment}}</textarea>
<p><button type="submit">Send</button></p></form>{{end}}
</body></html>`))

type surveyScore struct {
	N   int
	URL string
	On  bool
}

type surveyView struct {
	Title, Message, Question, Comment string
	Scores                            []surveyScore
	Form                              bool
	Score                             int
}

// mountSurveys serves the answer links of survey e-mails (no API key: the token is
// signed): GET /s/{token}?score=N records the score and offers a comment form, POST
// /s/{token} records the comment; GET without a score shows the question.
func (a *App) mountSurveys(mux *http.ServeMux) {
	mux.HandleFunc("GET /s/{token}", a.surveyAnswer)
	mux.HandleFunc("POST /s/{token}", a.surveyAnswer)
}

func (a *App) surveyAnswer(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), a.opts.RequestTimeout)
	defer cancel()
	token := r.PathValue("token")
	var score *int
	var comment *string
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if err := r.ParseForm(); err != nil {
			a.surveyRender(w, http.StatusBadRequest, surveyView{Title: "Something went wrong", Message: "The form could not be read."})
			return
		}
		c := r.PostForm.Get("comment")
		comment = &c
	}
	if v := r.FormValue("score"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			a.surveyRender(w, http.StatusBadRequest, surveyView{Title: "Something went wrong", Message: "That is not a score."})
			return
		}
		score = &n
	}
	var snd survey.Send
	var err error
	if score == nil && comment == nil {
		snd, err = a.Surveys.Open(ctx, token)
	} else {
		snd, err = a.Surveys.Answer(ctx, token, score, comment)
	}
	if e, ok := apperr.As(err); ok {
		switch e.Kind {
		case apperr.NotFound:
			a.surveyRender(w, http.StatusNotFound, surveyView{Title: "Survey not found", Message: "This link is not valid."})
			return
		case apperr.Conflict:
			a.surveyRender(w, http.StatusConflict, surveyView{Title: "Thank you", Message: "You answered this survey already."})
			return
		case apperr.Invalid:
			a.surveyRender(w, http.StatusBadRequest, surveyView{Title: "Something went wrong", Message: e.Error()})
			return
		}
	}
	if err != nil {
		a.opts.Log.Error("survey answer", "err", err)
		a.surveyRender(w, http.StatusInternalServerError, surveyView{Title: "Something went wrong", Message: "Please try again later."})
		return
	}
	v := surveyView{Title: "Thank you!"}
	switch {
	case snd.Answer == nil: // the question, for a link without a score
		v.Title, v.Question = "Your opinion", survey.Question(snd.Kind, "us")
		lo, hi := snd.Kind.Range()
		for n := lo; n <= hi; n++ {
			v.Scores = append(v.Scores, surveyScore{N: n, URL: "?score=" + strconv.Itoa(n)})
		}
	case comment != nil:
		v.Message = "Your answer and comment have been recorded."
	default:
		v.Message = fmt.Sprintf("You gave %d. You can change it below within a day, and tell us more.", snd.Answer.Score)
		lo, hi := snd.Kind.Range()
		for n := lo; n <= hi; n++ {
			v.Scores = append(v.Scores, surveyScore{N: n, URL: "?score=" + strconv.Itoa(n), On: n == snd.Answer.Score})
		}
		v.Question, v.Form, v.Score, v.Comment = survey.Question(snd.Kind, "us"), true, snd.Answer.Score, snd.Answer.Comment
	}
	a.surveyRender(w, http.StatusOK, v)
}

func (a *App) surveyRender(w http.ResponseWriter, status int, v surveyView) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
	w.WriteHeader(status)
	if err := surveyPage.Execute(w, v); err != nil && !errors.Is(err, http.ErrHandlerTimeout) {
		a.opts.Log.Debug("survey page", "err", err)
	}
}
