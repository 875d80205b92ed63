package campaign

import "strings"

// MessageID is the Message-ID of a campaign's message to a customer (without angle
// brackets): the same for every try, so the relay's log and a mail client can tell one
// message from another.
func MessageID(campaignID, profileID, domain string) string {
	return campaignID + "." + profileID + "@" + domain
}

// ParseMessageID returns the campaign and customer of a MessageID (brackets allowed).
func ParseMessageID(id string) (campaignID, profileID string, ok bool) {
	id = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(id), "<"), ">")
	local, _, ok := strings.Cut(id, "@")
	if !ok {
		return "", "", false
	}
	campaignID, profileID, ok = strings.Cut(local, ".")
	return campaignID, profileID, ok && campaignID != "" && profileID != ""
}
