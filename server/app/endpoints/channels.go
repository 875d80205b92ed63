package endpoints

// Other channels (issue 18): connectors POST messages to /channels/{name}/messages
// (signed), which become SOCIAL tickets.

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/channels"
)

// maxChannelBody bounds a connector's request.
const maxChannelBody = 1 << 20

// mountChannels serves the connectors' inbound endpoint: no API key, the channel's
// signature instead.
func (d *Deps) mountChannels(mux *http.ServeMux) {
	mux.HandleFunc("POST /channels/{name}/messages", d.channelMessage)
}

func (d *Deps) channelMessage(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), d.RequestTimeout)
	defer cancel()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxChannelBody))
	if err != nil {
		channelError(w, http.StatusRequestEntityTooLarge, "BAD_USER_INPUT", "request body over 1 MiB or unreadable")
		return
	}
	res, err := d.Channels.Receive(ctx, r.PathValue("name"), r.Header.Get("X-Tessera-Timestamp"), r.Header.Get("X-Tessera-Signature"), body)
	if errors.Is(err, channels.ErrUnauthorized) {
		channelError(w, http.StatusUnauthorized, "UNAUTHENTICATED", err.Error())
		return
	}
	if e, ok := apperr.As(err); ok {
		switch e.Kind {
		case apperr.NotFound:
			channelError(w, http.StatusNotFound, "NOT_FOUND", e.Error())
			return
		case apperr.Invalid:
			channelError(w, http.StatusBadRequest, "BAD_USER_INPUT", e.Error())
			return
		}
	}
	if err != nil {
		d.Log.Error("channel message", "channel", r.PathValue("name"), "err", err)
		channelError(w, http.StatusInternalServerError, "INTERNAL", "temporary failure: send the message again")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(struct {
		Success bool `json:"success"`
		channels.Result
	}{true, res})
}

func channelError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"success": false, "code": code, "error": msg})
}
