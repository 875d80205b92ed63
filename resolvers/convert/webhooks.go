package convert

import (
	"github.com/tessera-cdp/tessera/graph/model"
	"github.com/tessera-cdp/tessera/internal/webhooks"
)

// ToWebhook converts a subscription; its secret only when set (on creation).
func ToWebhook(s webhooks.Subscription) *model.Webhook {
	out := &model.Webhook{ID: s.ID, URL: s.URL, Secret: Opt(s.Secret), CreatedAt: s.CreatedAt, LastStatus: Opt(s.LastStatus), Failures: s.Failures,
		Events: make([]model.WebhookEvent, len(s.Events))}
	for i, e := range s.Events {
		out.Events[i] = model.WebhookEvent(e)
	}
	out.LastDeliveryAt = OptTime(s.LastDeliveryAt)
	return out
}

// FromWebhookEvents converts the event types of createWebhook.
func FromWebhookEvents(evs []model.WebhookEvent) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = string(e)
	}
	return out
}
