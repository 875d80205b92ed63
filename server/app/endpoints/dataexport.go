package endpoints

import (
	"net/http"
	"strings"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/audit"
	"github.com/tessera-cdp/tessera/internal/auth"
	"github.com/tessera-cdp/tessera/internal/export"
	"github.com/tessera-cdp/tessera/internal/store/exportstore"
)

// mountExports serves GET /export/{kind}.{csv|parquet}: a full export of profiles, orders
// or interactions for an ADMIN key (Authorization: Bearer), streamed in chunks and
// recorded in the audit trail. It has no request time limit: an export takes as long as
// the data does.
func (d *Deps) mountExports(mux *http.ServeMux) {
	h := gqlAuth(d, http.HandlerFunc(d.exportData))
	mux.Handle("GET /export/{file}", CORS(d.CORSOrigins, h))
}

// gqlAuth authenticates the bearer key as /query does.
func gqlAuth(d *Deps, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k, err := d.Auth.Authenticate(r.Context(), strings.TrimSpace(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")))
		if err != nil {
			if _, ok := apperr.As(err); !ok {
				d.Log.Error("export: authenticate", "err", err)
				http.Error(w, "authentication unavailable\n", http.StatusInternalServerError)
				return
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="tessera"`)
			http.Error(w, "send an ADMIN API key as Authorization: Bearer <key>\n", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r.WithContext(auth.WithKey(r.Context(), k)))
	})
}

func (d *Deps) exportData(w http.ResponseWriter, r *http.Request) {
	kind, format, _ := strings.Cut(r.PathValue("file"), ".")
	if export.Check(kind, format) != nil {
		http.Error(w, "not found: export profiles, orders or interactions as .csv or .parquet\n", http.StatusNotFound)
		return
	}
	call := audit.Call{Action: "export", Args: map[string]any{"kind": kind, "format": format}}
	if _, err := auth.Require(r.Context(), auth.Admin); err != nil {
		call.Result = string(apperr.Forbidden)
		d.Audit.Record(r.Context(), call)
		http.Error(w, "only ADMIN keys may export\n", http.StatusForbidden)
		return
	}
	w.Header().Set("Content-Type", export.ContentType(format))
	w.Header().Set("Content-Disposition", `attachment; filename="`+export.FileName(kind, format, time.Now())+`"`)
	w.Header().Set("Cache-Control", "no-store")
	flush := func() {}
	if f, ok := w.(http.Flusher); ok {
		flush = f.Flush
	}
	rows, err := export.Write(r.Context(), exportstore.Store{DB: d.Store.DB}, kind, format, w, export.Options{Flush: flush})
	call.Args["rows"] = rows
	if err != nil {
		d.Log.Error("export", "kind", kind, "format", format, "rows", rows, "err", err)
		call.Result = "INCOMPLETE"
	}
	d.Audit.Record(r.Context(), call)
	if err != nil {
		// The status line is gone already: abort the connection without the chunked
		// body's end, so the client sees a broken transfer, not a short file.
		panic(http.ErrAbortHandler)
	}
}
