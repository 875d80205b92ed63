// Package endpoints serves the plain-HTTP endpoints of the app besides /query: segment
// and full exports, connectors' inbound messages, survey answer links, and the CORS and
// request-log middleware.
package endpoints

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/tessera-cdp/tessera/internal/audit"
	"github.com/tessera-cdp/tessera/internal/auth"
	"github.com/tessera-cdp/tessera/internal/channels"
	"github.com/tessera-cdp/tessera/internal/store/identitystore"
	"github.com/tessera-cdp/tessera/internal/store/segmentstore"
	"github.com/tessera-cdp/tessera/internal/survey"
)

// Deps are what the endpoints read; the app fills them once everything is wired.
type Deps struct {
	Auth     *auth.Service
	Audit    *audit.Service
	Segments *segmentstore.Store
	Store    *identitystore.Store // profiles of segment exports; its DB for full exports
	Channels *channels.Service
	Surveys  *survey.Service
	// CORSOrigins are the origins allowed to download exports.
	CORSOrigins    []string
	RequestTimeout time.Duration
	Log            *slog.Logger
}

// Mount serves the exports (GET /export/segments/{id}.csv, GET
// /export/{kind}.{csv|parquet}), other channels' inbound messages (signed) and survey
// answer links (/s/).
func Mount(mux *http.ServeMux, d *Deps) {
	mux.Handle("GET /export/segments/{file}", CORS(d.CORSOrigins, http.HandlerFunc(d.exportSegment)))
	d.mountExports(mux)
	d.mountChannels(mux)
	d.mountSurveys(mux)
}

// CORS lets the desktop webview and browser tools call the API. Keys travel in the
// Authorization header, never in cookies, so allowing other origins exposes nothing a
// caller without the key could use.
func CORS(origins []string, next http.Handler) http.Handler {
	allowed := func(o string) bool {
		for _, a := range origins {
			if a == "*" || a == o {
				return true
			}
		}
		return false
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o := r.Header.Get("Origin"); o != "" && allowed(o) {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", o)
			h.Add("Vary", "Origin")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
			h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
			h.Set("Access-Control-Max-Age", "600")
			if r.Method == http.MethodOptions {
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(s int)           { w.status = s; w.ResponseWriter.WriteHeader(s) }
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// LogRequests logs each plain request at debug level.
func LogRequests(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "" {
			next.ServeHTTP(w, r) // keep the raw writer: the socket hijacks it
			return
		}
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: 200}
		next.ServeHTTP(sw, r)
		log.Debug("request", "method", r.Method, "path", r.URL.Path, "status", sw.status, "duration", time.Since(start))
	})
}
