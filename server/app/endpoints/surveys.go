package endpoints

// Survey answer links (issue 18): the page of a survey e-mail's links.

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/survey"
)

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
func (d *Deps) mountSurveys(mux *http.ServeMux) {
	mux.HandleFunc("GET /s/{token}", d.surveyAnswer)
	mux.HandleFunc("POST /s/{token}", d.surveyAnswer)
}

func (d *Deps) surveyAnswer(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), d.RequestTimeout)
	defer cancel()
	token := r.PathValue("token")
	var score *int
	var comment *string
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if err := r.ParseForm(); err != nil {
			d.surveyRender(w, http.StatusBadRequest, surveyView{Title: "Something went wrong", Message: "The form could not be read."})
			return
		}
		c := r.PostForm.Get("comment")
		comment = &c
	}
	if v := r.FormValue("score"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			d.surveyRender(w, http.StatusBadRequest, surveyView{Title: "Something went wrong", Message: "That is not a score."})
			return
		}
		score = &n
	}
	var snd survey.Send
	var err error
	if score == nil && comment == nil {
		snd, err = d.Surveys.Open(ctx, token)
	} else {
		snd, err = d.Surveys.Answer(ctx, token, score, comment)
	}
	if e, ok := apperr.As(err); ok {
		switch e.Kind {
		case apperr.NotFound:
			d.surveyRender(w, http.StatusNotFound, surveyView{Title: "Survey not found", Message: "This link is not valid."})
			return
		case apperr.Conflict:
			d.surveyRender(w, http.StatusConflict, surveyView{Title: "Thank you", Message: "You answered this survey already."})
			return
		case apperr.Invalid:
			d.surveyRender(w, http.StatusBadRequest, surveyView{Title: "Something went wrong", Message: e.Error()})
			return
		}
	}
	if err != nil {
		d.Log.Error("survey answer", "err", err)
		d.surveyRender(w, http.StatusInternalServerError, surveyView{Title: "Something went wrong", Message: "Please try again later."})
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
	d.surveyRender(w, http.StatusOK, v)
}

func (d *Deps) surveyRender(w http.ResponseWriter, status int, v surveyView) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
	w.WriteHeader(status)
	if err := surveyPage.Execute(w, v); err != nil && !errors.Is(err, http.ErrHandlerTimeout) {
		d.Log.Debug("survey page", "err", err)
	}
}
