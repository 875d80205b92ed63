// Package web serves the links in campaign messages: the unsubscribe page
// (/u/{token}: GET shows a confirmation, POST unsubscribes, which is also the RFC 8058
// one-click POST of List-Unsubscribe-Post), the open pixel (/o/{token}.gif) and the
// tracked links (/c/{token}, a redirect to one of the campaign's own links). Tokens are
// signed (campaign.Token); nothing here needs an API key.
package web

import (
	"context"
	"encoding/base64"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/campaign"
)

// Service is what the handlers call.
type Service interface {
	Resolve(ctx context.Context, kind byte, tok string) (campaign.Link, error)
	Open(ctx context.Context, tok string) error
	Click(ctx context.Context, tok string) (string, error)
	Unsubscribe(ctx context.Context, tok string) (campaign.Link, error)
}

// Mount adds the handlers to mux.
func Mount(mux *http.ServeMux, s Service, log *slog.Logger, timeout time.Duration) {
	h := &handler{s: s, log: log, timeout: timeout}
	mux.HandleFunc("GET /u/{token}", h.unsubscribePage)
	mux.HandleFunc("POST /u/{token}", h.unsubscribe)
	mux.HandleFunc("GET /o/{file}", h.open)
	mux.HandleFunc("GET /c/{token}", h.click)
}

type handler struct {
	s       Service
	log     *slog.Logger
	timeout time.Duration
}

func (h *handler) ctx(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), h.timeout)
}

// pixel is a transparent 1x1 GIF.
var pixel, _ = base64.StdEncoding.DecodeString("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")

var page = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{{.Title}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}button{font-size:1rem;padding:.6rem 1.2rem}</style>
</head><body><h1>{{.Title}}</h1><p>{{.Text}}</p>
{{if .Form}}<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>{{end}}
</body></html>`))

type pageData struct {
	Title, Text string
	Form        bool
}

func (h *handler) render(w http.ResponseWriter, status int, d pageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	_ = page.Execute(w, d)
}

var invalid = pageData{Title: "Link not valid", Text: "This link is not valid. If you copied it from a message, check that it is complete."}

// failed answers a link that could not be served: invalid links 404, the rest 503.
func (h *handler) failed(w http.ResponseWriter, what string, err error) {
	if e, ok := apperr.As(err); ok && e.Kind == apperr.Invalid {
		h.render(w, http.StatusNotFound, invalid)
		return
	}
	h.log.Error("campaign link", "what", what, "err", err)
	h.render(w, http.StatusServiceUnavailable, pageData{Title: "Please try again", Text: "We could not handle this just now. Please try again in a few minutes."})
}

// unsubscribePage shows what the link would do; GET never unsubscribes (mail scanners
// follow links).
func (h *handler) unsubscribePage(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := h.ctx(r)
	defer cancel()
	l, err := h.s.Resolve(ctx, campaign.KindUnsubscribe, r.PathValue("token"))
	if err != nil {
		h.failed(w, "unsubscribe page", err)
		return
	}
	d := pageData{Title: "Unsubscribe", Text: "Stop receiving marketing e-mail like “" + l.Campaign.Name + "” from us?", Form: true}
	if l.Token.Test {
		d.Text = "This is the unsubscribe link of a test message: it unsubscribes nobody."
		d.Form = false
	}
	h.render(w, http.StatusOK, d)
}

// unsubscribe is the one-click POST (RFC 8058: body List-Unsubscribe=One-Click, no
// cookies or credentials) and the confirmation page's button.
func (h *handler) unsubscribe(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	_ = r.ParseForm() // the body is not needed: the token says who
	ctx, cancel := h.ctx(r)
	defer cancel()
	l, err := h.s.Unsubscribe(ctx, r.PathValue("token"))
	if err != nil && !apperr.IsNotFound(err) {
		h.failed(w, "unsubscribe", err)
		return
	}
	h.render(w, http.StatusOK, pageData{Title: "You are unsubscribed", Text: "You will not receive marketing e-mail like “" + l.Campaign.Name + "” from us any more."})
}

func (h *handler) open(w http.ResponseWriter, r *http.Request) {
	tok, ok := strings.CutSuffix(r.PathValue("file"), ".gif")
	if !ok {
		http.NotFound(w, r)
		return
	}
	ctx, cancel := h.ctx(r)
	defer cancel()
	if err := h.s.Open(ctx, tok); err != nil {
		var e *apperr.Error
		if errors.As(err, &e) && e.Kind == apperr.Invalid {
			http.NotFound(w, r)
			return
		}
		if !apperr.IsNotFound(err) {
			h.log.Warn("campaign open", "err", err) // the image is served anyway
		}
	}
	w.Header().Set("Content-Type", "image/gif")
	w.Header().Set("Cache-Control", "no-store, max-age=0")
	_, _ = w.Write(pixel)
}

func (h *handler) click(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := h.ctx(r)
	defer cancel()
	url, err := h.s.Click(ctx, r.PathValue("token"))
	if url == "" {
		h.failed(w, "click", err)
		return
	}
	if err != nil && !apperr.IsNotFound(err) {
		h.log.Warn("campaign click", "err", err) // the reader goes on to the link anyway
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, url, http.StatusFound)
}
