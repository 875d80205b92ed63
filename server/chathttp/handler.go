// Package chathttp serves the live chat to shop pages: GET /chat/widget.js (the widget a
// page embeds with one script tag), POST /chat/session (a site key in, a signed visitor
// token out) and GET /chat/ws (the visitor's WebSocket, JSON events both ways). Shop
// pages call from their own origins, so every origin is allowed: the site key only
// opens chats of its site, and the visitor token (never a cookie) only reaches its own
// conversation.
package chathttp

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/chat"
	"github.com/tessera-cdp/tessera/internal/ticket"
)

//go:embed widget.js
var widget []byte

// Options configure the handlers.
type Options struct {
	Timeout time.Duration // of a session request and of each visitor action; default 30 s
	Log     *slog.Logger
}

// StatusUnauthenticated closes a socket whose token is not valid: the widget then asks
// for a new session.
const StatusUnauthenticated websocket.StatusCode = 4401

// Mount adds the chat routes to mux.
func Mount(mux *http.ServeMux, svc *chat.Service, o Options) {
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	h := &handler{svc: svc, o: o}
	mux.HandleFunc("GET /chat/widget.js", serveWidget)
	mux.HandleFunc("/chat/session", h.session)
	mux.HandleFunc("GET /chat/ws", h.ws)
}

func serveWidget(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(widget)
}

type handler struct {
	svc *chat.Service
	o   Options
}

type sessionRequest struct {
	Key         string `json:"key"`
	Token       string `json:"token"`
	AnonymousID string `json:"anonymousId"`
}

type sessionResponse struct {
	Token     string `json:"token"`
	VisitorID string `json:"visitorId"`
	Online    bool   `json:"online"`
}

func (h *handler) session(w http.ResponseWriter, r *http.Request) {
	if o := r.Header.Get("Origin"); o != "" {
		w.Header().Set("Access-Control-Allow-Origin", o)
		w.Header().Add("Vary", "Origin")
		w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
		w.Header().Set("Access-Control-Allow-Methods", "POST, OPTIONS")
		w.Header().Set("Access-Control-Max-Age", "600")
	}
	switch r.Method {
	case http.MethodOptions:
		w.WriteHeader(http.StatusNoContent)
		return
	case http.MethodPost:
	default:
		w.Header().Set("Allow", "POST, OPTIONS")
		writeError(w, http.StatusMethodNotAllowed, "BAD_USER_INPUT", "POST a JSON body {key, token}")
		return
	}
	var in sessionRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 8<<10)).Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "BAD_USER_INPUT", "the body must be JSON {key, token, anonymousId}")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.o.Timeout)
	defer cancel()
	s, err := h.svc.OpenSession(ctx, in.Key, in.Token, in.AnonymousID)
	if err != nil {
		h.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(sessionResponse{Token: s.Token, VisitorID: s.VisitorID, Online: s.Online})
}

func (h *handler) fail(w http.ResponseWriter, err error) {
	if e, ok := apperr.As(err); ok {
		switch e.Kind {
		case apperr.Unauthenticated:
			writeError(w, http.StatusUnauthorized, "UNAUTHENTICATED", e.Msg)
			return
		case apperr.Invalid:
			writeError(w, http.StatusBadRequest, "BAD_USER_INPUT", e.Msg)
			return
		}
	}
	h.o.Log.Error("chat session", "err", err)
	writeError(w, http.StatusInternalServerError, "INTERNAL", "internal error")
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"code": code, "error": msg})
}

// inbound is what the widget sends: message {body, clientId}, typing {typing},
// read {upTo}, email {email}.
type inbound struct {
	Type     string `json:"type"`
	Body     string `json:"body"`
	ClientID string `json:"clientId"`
	Typing   bool   `json:"typing"`
	UpTo     string `json:"upTo"`
	Email    string `json:"email"`
}

func (h *handler) ws(w http.ResponseWriter, r *http.Request) {
	// Any origin: the token in the URL is the credential, so a page cannot ride on a
	// visitor's cookies (there are none).
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return
	}
	defer c.CloseNow()
	c.SetReadLimit(16 << 10)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cctx, ccancel := context.WithTimeout(ctx, h.o.Timeout)
	conn, err := h.svc.Connect(cctx, r.URL.Query().Get("token"))
	ccancel()
	if err != nil {
		if e, ok := apperr.As(err); ok && e.Kind == apperr.Unauthenticated {
			c.Close(StatusUnauthenticated, "invalid visitor token")
			return
		}
		h.o.Log.Error("chat connect", "err", err)
		c.Close(websocket.StatusInternalError, "internal error")
		return
	}
	defer conn.Close()
	go func() { // events out; keep-alive pings for proxies that drop idle sockets
		defer cancel()
		ping := time.NewTicker(30 * time.Second)
		defer ping.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case e, ok := <-conn.Out():
				if !ok {
					c.Close(websocket.StatusTryAgainLater, "reconnect")
					return
				}
				if err := h.write(ctx, c, e); err != nil {
					return
				}
			case <-ping.C:
				pctx, pcancel := context.WithTimeout(ctx, 20*time.Second)
				err := c.Ping(pctx)
				pcancel()
				if err != nil {
					return
				}
			}
		}
	}()
	for {
		var in inbound
		if err := wsjson.Read(ctx, c, &in); err != nil {
			var ce websocket.CloseError
			if !errors.As(err, &ce) && ctx.Err() == nil {
				h.o.Log.Debug("chat socket", "err", err)
			}
			return
		}
		actx, acancel := context.WithTimeout(ctx, h.o.Timeout)
		var err error
		switch in.Type {
		case "message":
			err = conn.Post(actx, in.ClientID, in.Body)
		case "email":
			err = conn.SetEmail(actx, in.Email)
		case "typing":
			conn.Typing(in.Typing)
		case "read":
			conn.Read(in.UpTo)
		default:
			err = apperr.Invalidf("unknown event type %q", in.Type)
		}
		acancel()
		if err != nil {
			msg := "something went wrong; please try again"
			if e, ok := apperr.As(err); ok {
				msg = e.Msg
			} else if errors.Is(err, ticket.ErrInvalidInput) {
				msg = err.Error()
			} else {
				h.o.Log.Error("chat event", "type", in.Type, "err", err)
			}
			if h.write(ctx, c, chat.Event{Type: "error", Error: msg, ClientID: in.ClientID}) != nil {
				return
			}
		}
	}
}

func (h *handler) write(ctx context.Context, c *websocket.Conn, e chat.Event) error {
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return wsjson.Write(wctx, c, e)
}
