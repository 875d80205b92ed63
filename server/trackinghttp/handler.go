// Package trackinghttp serves the tracking API at /v1/*, as the Segment HTTP tracking API
// does: POST /v1/track, identify, page, screen, group, alias and batch (and the short
// forms /v1/t, /v1/i, ... /v1/b that analytics.js posts to), the write key as the HTTP
// Basic user name or as writeKey in the body, 200 {"success":true}. Browsers post
// cross-origin (analytics.js from shop pages, text/plain to avoid a preflight), so every
// origin is allowed: a write key only lets its holder send events of one source.
package trackinghttp

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/tracking"
)

// Options configure the handler.
type Options struct {
	Timeout time.Duration // of one request; default one minute
	Log     *slog.Logger
}

// calls maps the last path element to the call, short forms included.
var calls = map[string]string{
	"track": tracking.Track, "t": tracking.Track,
	"identify": tracking.Identify, "i": tracking.Identify,
	"page": tracking.Page, "p": tracking.Page,
	"screen": tracking.Screen, "s": tracking.Screen,
	"group": tracking.Group, "g": tracking.Group,
	"alias": tracking.Alias, "a": tracking.Alias,
	"batch": "batch", "b": "batch", "import": "batch",
}

// Handler serves /v1/*.
func Handler(svc *tracking.Service, o Options) http.Handler {
	if o.Timeout <= 0 {
		o.Timeout = time.Minute
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return &handler{svc: svc, o: o}
}

type handler struct {
	svc *tracking.Service
	o   Options
}

// response is Segment's answer, with what Tessera adds: why messages were rejected.
type response struct {
	Success    bool              `json:"success"`
	Error      string            `json:"error,omitempty"`
	Code       string            `json:"code,omitempty"`
	Accepted   *int              `json:"accepted,omitempty"`
	Duplicates int               `json:"duplicates,omitempty"`
	Rejected   []tracking.Reject `json:"rejected,omitempty"`
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	if o := r.Header.Get("Origin"); o != "" {
		hd.Set("Access-Control-Allow-Origin", o)
		hd.Add("Vary", "Origin")
		hd.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Content-Encoding")
		hd.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
		hd.Set("Access-Control-Max-Age", "86400")
	}
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	call, ok := calls[strings.TrimPrefix(r.URL.Path, "/v1/")]
	if !ok {
		h.fail(w, http.StatusNotFound, "NOT_FOUND", "no such call: use /v1/track, identify, page, screen, group, alias or batch")
		return
	}
	if r.Method != http.MethodPost {
		hd.Set("Allow", "POST, OPTIONS")
		h.fail(w, http.StatusMethodNotAllowed, "BAD_USER_INPUT", "tracking calls are POST requests")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.o.Timeout)
	defer cancel()
	// A key in the Authorization header is checked before the body is read.
	secret, _, hasBasic := r.BasicAuth()
	var key tracking.WriteKey
	if hasBasic {
		var err error
		if key, err = h.svc.Authenticate(ctx, secret); err != nil {
			h.authFailed(w, r, err)
			return
		}
	}
	limit := tracking.MaxMessageBytes
	if call == "batch" {
		limit = tracking.MaxBatchBytes
	}
	body, err := readBody(w, r, limit)
	if err != nil {
		h.fail(w, http.StatusBadRequest, "BAD_USER_INPUT", err.Error())
		return
	}
	if !hasBasic {
		if key, err = h.svc.Authenticate(ctx, tracking.WriteKeyOf(body)); err != nil {
			h.authFailed(w, r, err)
			return
		}
	}
	receivedAt := time.Now().UTC()
	b, err := tracking.Parse(call, body, receivedAt)
	if err != nil {
		h.fail(w, http.StatusBadRequest, "BAD_USER_INPUT", err.Error())
		return
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		b.DefaultIP(host)
	}
	res, err := h.svc.Accept(ctx, key, b)
	if e, ok := apperr.As(err); ok && (e.Kind == apperr.Invalid || e.Kind == apperr.NotFound) {
		h.fail(w, http.StatusBadRequest, "BAD_USER_INPUT", e.Msg) // a retry would fail the same way
		return
	}
	if err != nil {
		// 5xx: the SDK retries, and the retry has the effect of one delivery.
		h.o.Log.ErrorContext(ctx, "tracking", "source", key.Source, "call", call, "err", err)
		h.fail(w, http.StatusInternalServerError, "INTERNAL", "the events could not be stored; send them again")
		return
	}
	out := response{Success: true, Accepted: &res.Accepted, Duplicates: res.Duplicates, Rejected: res.Rejects}
	status := http.StatusOK
	if res.Accepted+res.Duplicates == 0 && len(res.Rejects) > 0 {
		status, out.Success, out.Code = http.StatusBadRequest, false, "BAD_USER_INPUT"
		out.Error = res.Rejects[0].Reason
		if len(res.Rejects) > 1 {
			out.Error = fmt.Sprintf("none of the %d messages was accepted (see rejected)", len(res.Rejects))
		}
	}
	h.write(w, status, out)
}

// readBody reads at most limit bytes of the body, gunzipped if it is compressed.
func readBody(w http.ResponseWriter, r *http.Request, limit int) ([]byte, error) {
	var rd io.Reader = http.MaxBytesReader(w, r.Body, int64(limit)+1)
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		z, err := gzip.NewReader(rd)
		if err != nil {
			return nil, errors.New("the body is not valid gzip")
		}
		defer z.Close()
		rd = z
	}
	body, err := io.ReadAll(io.LimitReader(rd, int64(limit)+1))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig) || len(body) > limit:
		if limit == tracking.MaxBatchBytes {
			return nil, fmt.Errorf("batch larger than %d bytes (500 KB): send fewer messages per batch", limit)
		}
		return nil, fmt.Errorf("message larger than %d bytes (32 KB)", limit)
	case err != nil:
		return nil, errors.New("the body could not be read")
	}
	return body, nil
}

func (h *handler) authFailed(w http.ResponseWriter, r *http.Request, err error) {
	if e, ok := apperr.As(err); ok && e.Kind == apperr.Unauthenticated {
		w.Header().Set("WWW-Authenticate", `Basic realm="tessera tracking"`)
		h.fail(w, http.StatusUnauthorized, "UNAUTHENTICATED", e.Msg)
		return
	}
	h.o.Log.ErrorContext(r.Context(), "tracking: write key", "err", err)
	h.fail(w, http.StatusInternalServerError, "INTERNAL", "authentication unavailable")
}

func (h *handler) fail(w http.ResponseWriter, status int, code, msg string) {
	h.write(w, status, response{Error: msg, Code: code})
}

func (h *handler) write(w http.ResponseWriter, status int, v response) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
