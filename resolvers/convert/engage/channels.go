package engage

import (
	"strings"

	"github.com/tessera-cdp/tessera/graph/model"
	"github.com/tessera-cdp/tessera/internal/channels"
	"github.com/tessera-cdp/tessera/resolvers/convert"
)

// ToChannel converts a connector (never its secret).
func ToChannel(c channels.Channel) *model.Channel {
	return &model.Channel{Name: c.Name, Kind: model.ChannelKind(strings.ToUpper(string(c.Kind))), OutboundURL: convert.Opt(c.OutboundURL),
		InboundPath: "/channels/" + c.Name + "/messages", Source: c.Source(), CreatedAt: c.CreatedAt}
}

// FromChannelKind converts the GraphQL kind.
func FromChannelKind(k model.ChannelKind) channels.Kind {
	return channels.Kind(strings.ToLower(string(k)))
}

// ToChannelDelivery converts an outbox entry.
func ToChannelDelivery(o channels.Outgoing) *model.ChannelDelivery {
	out := &model.ChannelDelivery{Channel: o.Channel, State: model.ChannelDeliveryState(strings.ToUpper(o.State)), Attempts: o.Attempts,
		LastError: convert.Opt(o.LastError), DeliveredAt: convert.OptTime(o.DeliveredAt)}
	if o.State == channels.Pending {
		out.NextAttemptAt = convert.OptTime(o.NextAt)
	}
	return out
}
