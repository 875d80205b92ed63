package convert

import (
	"encoding/json"
	"time"

	"github.com/tessera-cdp/tessera/graph/model"
	"github.com/tessera-cdp/tessera/internal/audit"
)

// ToAuditPage converts a page of the audit trail.
func ToAuditPage(p audit.Page) *model.AuditLogPage {
	out := &model.AuditLogPage{Entries: All(p.Entries, ToAuditEntry), PageInfo: &model.PageInfo{HasNextPage: p.HasNext}}
	if n := len(p.Entries); n > 0 {
		out.PageInfo.EndCursor = &p.Entries[n-1].ID
	}
	return out
}

// ToAuditEntry converts an entry; its change is the stored JSON, parsed.
func ToAuditEntry(e audit.Entry) *model.AuditEntry {
	var change any
	if e.Change != "" {
		_ = json.Unmarshal([]byte(e.Change), &change)
	}
	return &model.AuditEntry{ID: e.ID, At: e.At, Actor: &model.AuditActor{APIKeyID: e.Actor.KeyID, Name: e.Actor.Name, Role: e.Actor.Role},
		Action: e.Action, Targets: NonNil(e.Targets), Change: change, Result: e.Result}
}

// FromAuditFilter builds the filter of the auditLog query.
func FromAuditFilter(actor, action, target *string, from, to *time.Time) audit.Filter {
	f := audit.Filter{Actor: Val(actor), Action: Val(action), Target: Val(target)}
	if from != nil {
		f.From = *from
	}
	if to != nil {
		f.To = *to
	}
	return f
}
