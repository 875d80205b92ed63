package tracking

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/tessera-cdp/tessera/internal/commerce"
	"github.com/tessera-cdp/tessera/internal/ingest"
)

// Payload fields of the records tracking writes. A source that takes tracking calls maps
// them as identifier fields (RequiredFields), so identity resolution links them.
const (
	UserIDField      = "userId"
	AnonymousIDField = "anonymousId"
)

// Record is the source record a message contributes: for identify its ids and traits,
// for alias the two ids, for the other calls just the ids (so that an unknown visitor
// gets a profile, which a later identify merges). Its external id is derived from its
// content, so a message processed again, or the same identify sent again, writes the
// same record.
func (m *Message) Record() ingest.Input {
	payload := map[string]any{}
	kind := "ids"
	switch m.Type {
	case Identify:
		kind = "identify"
		for k, v := range traitPayload(m.Traits) {
			payload[k] = v
		}
		if _, has := payload["locale"]; !has {
			if l, ok := m.Context["locale"].(string); ok && l != "" {
				payload["locale"] = l
			}
		}
	case Alias:
		kind = "alias"
	}
	setID := func(field, v string) {
		if v != "" {
			payload[field] = v
		} else {
			delete(payload, field)
		}
	}
	setID(UserIDField, m.UserID)
	if m.Type == Alias {
		// previousId is the visitor's earlier id: in practice an anonymousId.
		setID(AnonymousIDField, m.PreviousID)
	} else {
		setID(AnonymousIDField, m.AnonymousID)
	}
	ext := kind + ":" + ingest.ContentHash(payload)
	if kind == "ids" && len(payload) == 1 {
		// The usual case, named readably: one record per visitor or user.
		if m.UserID != "" {
			ext = "user:" + m.UserID
		} else {
			ext = "anon:" + m.AnonymousID
		}
	}
	return ingest.Input{ExternalID: ext, Payload: payload, ObservedAt: m.At}
}

// traitPayload flattens Segment's reserved traits into the field names ingestion maps by
// default: the address object's street, city, postalCode, state and country become
// fields of their own, birthday is birthDate; the rest is kept as sent (name, email,
// phone, firstName... map to traits, other fields become attributes).
func traitPayload(traits map[string]any) map[string]any {
	out := make(map[string]any, len(traits))
	for k, v := range traits {
		switch k {
		case "birthday":
			out["birthDate"] = v
		case "address":
			if _, isObj := v.(map[string]any); !isObj {
				out[k] = v
			}
		default:
			out[k] = v
		}
	}
	if addr, ok := traits["address"].(map[string]any); ok {
		for k, v := range addr {
			out[k] = v
		}
	}
	return out
}

// Interaction is the interaction of a track, page, screen or group call (identify and
// alias are not events and have none); ok is false for those. Its id is the source and
// messageId, so processing a message again writes nothing new. The type is the event's
// name for track, else the call's type; the attributes keep the message's name,
// properties (as JSON), ids and context (IP, user agent, locale, campaign, page).
func (m *Message) Interaction(source, recordID, profileID string) (commerce.Interaction, bool) {
	if m.Type == Identify || m.Type == Alias {
		return commerce.Interaction{}, false
	}
	at := map[string]string{"call": m.Type, "messageId": m.MessageID, "receivedAt": m.ReceivedAt.Format(time.RFC3339Nano)}
	set := func(k, v string) {
		if v != "" {
			at[k] = v
		}
	}
	set("userId", m.UserID)
	set("anonymousId", m.AnonymousID)
	set("event", m.Event)
	set("name", m.Name)
	set("category", m.Category)
	set("groupId", m.GroupID)
	set("properties", compact(m.Properties))
	if m.Type == Group {
		set("traits", compact(m.Traits))
	}
	if m.ClientTimestamp != nil && !m.ClientTimestamp.Equal(m.At) {
		set("clientTimestamp", m.ClientTimestamp.Format(time.RFC3339Nano))
	}
	for k, v := range contextAttributes(m.Context) {
		set(k, v)
	}
	typ := m.Type
	if m.Type == Track {
		typ = m.Event
	}
	return commerce.Interaction{ID: source + ":" + m.MessageID, ProfileID: profileID, RecordID: recordID,
		Channel: "web", Type: typ, At: m.At, Attributes: at}, true
}

// contextAttributes picks what the timeline shows of a message's context: the IP and
// user agent, locale, the campaign as utm_* (Segment's campaign.name is utm_campaign),
// the page and the library.
func contextAttributes(c map[string]any) map[string]string {
	out := map[string]string{}
	str := func(m map[string]any, k string) string {
		if s, ok := m[k].(string); ok {
			return s
		}
		return ""
	}
	sub := func(k string) map[string]any {
		m, _ := c[k].(map[string]any)
		return m
	}
	out["ip"] = str(c, "ip")
	out["userAgent"] = str(c, "userAgent")
	out["locale"] = str(c, "locale")
	out["timezone"] = str(c, "timezone")
	if camp := sub("campaign"); camp != nil {
		for utm, k := range map[string]string{"utm_campaign": "name", "utm_source": "source", "utm_medium": "medium", "utm_term": "term", "utm_content": "content"} {
			out[utm] = str(camp, k)
		}
	}
	if page := sub("page"); page != nil {
		out["pageUrl"] = str(page, "url")
		out["pagePath"] = str(page, "path")
		out["referrer"] = str(page, "referrer")
	}
	if lib := sub("library"); lib != nil && str(lib, "name") != "" {
		out["library"] = strings.TrimSpace(str(lib, "name") + " " + str(lib, "version"))
	}
	return out
}

func compact(m map[string]any) string {
	if len(m) == 0 {
		return ""
	}
	b, err := json.Marshal(m)
	if err != nil {
		return ""
	}
	return string(b)
}
