package endpoints

import (
	"encoding/csv"
	"net/http"
	"strings"
	"time"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/profile"
)

// exportSegment streams a segment's members as CSV: GET /export/segments/{id}.csv?token=
// with a token from the exportSegment mutation (the link is the credential, so browsers
// and the desktop app can download it directly; it expires after 15 minutes, or when the
// key that made it is revoked).
func (d *Deps) exportSegment(w http.ResponseWriter, r *http.Request) {
	id, ok := strings.CutSuffix(r.PathValue("file"), ".csv")
	token := r.URL.Query().Get("token")
	if !ok || token == "" {
		http.Error(w, "not found\n", http.StatusNotFound)
		return
	}
	seg, err := d.Segments.ExportToken(r.Context(), token, time.Now().UTC())
	if err != nil || seg != id {
		if err != nil && !apperr.IsNotFound(err) {
			d.Log.Error("segment export", "err", err)
			http.Error(w, "export failed\n", http.StatusInternalServerError)
			return
		}
		http.Error(w, "export link not found or expired\n", http.StatusNotFound)
		return
	}
	// The link is worth what the key that made it is worth (tokens are "keyID.random").
	keyID, _, _ := strings.Cut(token, ".")
	if _, err := d.Auth.Active(r.Context(), keyID); err != nil {
		if _, ok := apperr.As(err); !ok {
			d.Log.Error("segment export", "err", err)
			http.Error(w, "export failed\n", http.StatusInternalServerError)
			return
		}
		http.Error(w, "export link no longer valid: the API key that made it was revoked\n", http.StatusForbidden)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="segment-`+id+`.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"customer_id", "first_name", "last_name", "email", "phone", "entered_at"})
	after := ""
	for {
		ms, err := d.Segments.MembersPage(r.Context(), id, after, 500)
		if err != nil {
			d.Log.Error("segment export", "segment", id, "err", err)
			return // the client sees a truncated file; the status line is gone already
		}
		if len(ms) == 0 {
			break
		}
		ids := make([]string, len(ms))
		for i, m := range ms {
			ids[i] = m.ProfileID
		}
		ps, err := d.Store.GetProfiles(r.Context(), ids)
		if err != nil {
			d.Log.Error("segment export", "segment", id, "err", err)
			return
		}
		byID := map[string]profile.Profile{}
		for _, p := range ps {
			byID[p.ID] = p
		}
		for _, m := range ms {
			p := byID[m.ProfileID]
			_ = cw.Write([]string{m.ProfileID, csvSafe(p.Traits.FirstName), csvSafe(p.Traits.LastName), first(p.Traits.Emails), first(p.Traits.Phones),
				m.EnteredAt.UTC().Format(time.RFC3339)})
		}
		cw.Flush()
		after = ms[len(ms)-1].ProfileID
	}
	cw.Flush()
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return csvSafe(s[0])
}

// csvSafe defuses values a spreadsheet would run as a formula (CSV injection).
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
