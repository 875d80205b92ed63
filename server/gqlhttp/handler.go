// Package gqlhttp serves the GraphQL schema over HTTP: it builds the executable schema
// from the resolvers with the @auth directive, the complexity costs and the error
// presenter, and adds the transports (POST JSON, graphql-transport-ws), the limits on
// what one operation may ask for, and the middleware in front of it (authentication by
// API key, the JSON-POST guard).
package gqlhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tessera-cdp/tessera/internal/reqmemo"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	coderws "github.com/coder/websocket"
	"github.com/tessera-cdp/tessera/graph"
	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/audit"
	"github.com/tessera-cdp/tessera/internal/auth"
	"github.com/tessera-cdp/tessera/resolvers"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Limits bound what one operation may ask for.
type Limits struct {
	Complexity  int // FixedComplexityLimit
	Tokens      int // parser token limit
	Aliases     int // aliased fields per operation
	Fields      int // selected fields per operation, fragments expanded
	Errors      int // errors returned per response
	DocumentLen int // bytes of the query document
}

// DefaultLimits fit the desktop app's largest query with room to spare.
func DefaultLimits() Limits {
	return Limits{Complexity: 5000, Tokens: 10000, Aliases: 30, Fields: 400, Errors: 5, DocumentLen: 64 << 10}
}

// Options configure the GraphQL handler.
type Options struct {
	Dev    bool // introspection on
	Limits Limits
	Log    *slog.Logger
	// Audit, if set, records every mutation field once its operation has run.
	Audit func(context.Context, ...audit.Call)
}

// NewHandler builds the GraphQL endpoint: POST JSON and graphql-transport-ws only (no
// GET or form posts, which browsers send cross-site without a preflight), with limits,
// role checks and the error presenter.
func NewHandler(r *resolvers.Resolver, o Options) *handler.Server {
	cfg := graph.Config{Resolvers: r, Directives: graph.DirectiveRoot{Auth: AuthDirective}}
	SetComplexity(&cfg.Complexity)
	srv := handler.New(graph.NewExecutableSchema(cfg))
	srv.AddTransport(transport.Websocket{
		KeepAlivePingInterval: 10 * time.Second,
		InitTimeout:           10 * time.Second,
		// API keys, not cookies, authenticate, so a cross-origin socket gains nothing.
		Implementation: closableWebsocket{transport.CoderWebsocketImplementation{AcceptOptions: coderws.AcceptOptions{OriginPatterns: []string{"*"}}}},
		InitFunc: func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
			secret := bearer(p.Authorization())
			if secret == "" {
				secret = p.GetString("apiKey")
			}
			if secret == "" {
				secret, _ = ctx.Value(urlTokenKey{}).(string)
			}
			k, err := r.Auth.Authenticate(ctx, secret)
			if err != nil {
				// graphql-transport-ws: a refused connection closes with 4403 Forbidden.
				msg := "authentication unavailable"
				if e, ok := apperr.As(err); ok {
					msg = e.Msg
				} else {
					o.Log.ErrorContext(ctx, "authenticate socket", "err", err)
				}
				ctx = transport.AppendCloseReason(transport.WithWebsocketCloseCode(ctx, closeForbidden), "Forbidden: "+msg)
				return ctx, nil, errors.New(msg)
			}
			// The socket lives until its key is revoked, on any instance: then it is
			// closed with 4403 and its subscriptions end.
			ctx, cancel := context.WithCancel(auth.WithKey(ctx, k))
			slot, _ := ctx.Value(wsSlotKey{}).(*wsSlot)
			revoked := r.Auth.WatchKey(ctx, k.ID)
			go func() {
				select {
				case <-revoked:
					if slot != nil && slot.conn != nil {
						slot.conn.forbid("Forbidden: API key revoked")
					}
					cancel()
				case <-ctx.Done():
				}
			}()
			return ctx, nil, nil
		},
	})
	srv.AddTransport(transport.POST{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.SetParserTokenLimit(o.Limits.Tokens)
	srv.SetDisableSuggestion(true)
	if o.Dev {
		srv.Use(extension.Introspection{})
	}
	srv.Use(extension.FixedComplexityLimit(o.Limits.Complexity))
	srv.Use(shapeLimit{o.Limits})
	// The fields of a query share their reads (reqmemo); a mutation reads fresh, since
	// it may read, write and read again.
	srv.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		if oc := graphql.GetOperationContext(ctx); oc != nil && oc.Operation != nil && oc.Operation.Operation == ast.Query {
			ctx = reqmemo.With(ctx)
		}
		return next(ctx)
	})
	srv.AroundOperations(auditMutations(o.Audit))
	srv.SetErrorPresenter(ErrorPresenter(o.Log))
	srv.SetRecoverFunc(Recover(o.Log))
	// Cap the error list: a document with a thousand bad directives must not make the
	// server write a thousand errors.
	maxErrs := o.Limits.Errors
	srv.AroundResponses(func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		resp := next(ctx)
		if resp != nil {
			noteUnauthenticated(ctx, resp.Errors)
		}
		if resp != nil && len(resp.Errors) > maxErrs {
			n := len(resp.Errors)
			resp.Errors = append(resp.Errors[:maxErrs-1:maxErrs-1], &gqlerror.Error{
				Message: fmt.Sprintf("%d more errors not shown", n-maxErrs+1), Extensions: map[string]any{"code": "GRAPHQL_VALIDATION_FAILED"}})
		}
		return resp
	})
	return srv
}

// bearer extracts the token of an "Authorization: Bearer X" value.
func bearer(h string) string {
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

type urlTokenKey struct{}

// AuthMiddleware authenticates the bearer key of HTTP requests. A request without a key
// goes on unauthenticated (so the spec's `{ __typename }` works) and @auth refuses it
// field by field; if it was refused so, the answer is 401 like that of a wrong key,
// which is refused outright: both with extensions.code UNAUTHENTICATED.
//
// WebSocket upgrades authenticate in connection_init instead. Clients that cannot send
// connection params (graphql-ws with only a URL) may put the key in the upgrade URL as
// ?access_token=KEY: it is taken out of the URL here, before anything could log it, and
// handed to the init function through the context. Plain requests never accept it
// (keys in URLs end up in proxy logs and browser history).
func AuthMiddleware(a *auth.Service, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "" {
			if q := r.URL.Query(); q.Has("access_token") {
				tok := q.Get("access_token")
				q.Del("access_token")
				r.URL.RawQuery = q.Encode()
				r.RequestURI = r.URL.RequestURI()
				r = r.WithContext(context.WithValue(r.Context(), urlTokenKey{}, tok))
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), wsSlotKey{}, &wsSlot{})))
			return
		}
		h := r.Header.Get("Authorization")
		if h == "" {
			kl := &keyless{}
			next.ServeHTTP(&keylessWriter{ResponseWriter: w, k: kl}, r.WithContext(context.WithValue(r.Context(), keylessKey{}, kl)))
			return
		}
		k, err := a.Authenticate(r.Context(), bearer(h))
		if err != nil {
			msg, code := "authentication failed", string(apperr.Unauthenticated)
			if e, ok := apperr.As(err); ok {
				msg = e.Msg
			} else {
				slog.ErrorContext(r.Context(), "authenticate", "err", err)
				msg, code = "authentication unavailable", "INTERNAL"
			}
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("WWW-Authenticate", `Bearer realm="tessera"`)
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"errors":[{"message":%q,"extensions":{"code":%q}}]}`, msg, code)
			return
		}
		next.ServeHTTP(w, r.WithContext(auth.WithKey(r.Context(), k)))
	})
}

// closeForbidden is graphql-transport-ws's close code for a connection the server refuses.
const closeForbidden = 4403

// wsSlot carries a socket from the upgrade (closableWebsocket.Accept) to the init
// function of the same connection, through the request context.
type wsSlot struct{ conn *wsConn }

type wsSlotKey struct{}

// closableWebsocket wraps the websocket implementation so that a connection can be
// closed with a code of ours: gqlgen closes a socket whose context ends with 1000
// (normal closure), which would tell a client with a revoked key to reconnect.
type closableWebsocket struct {
	transport.WebsocketImplementation
}

func (c closableWebsocket) Accept(w http.ResponseWriter, r *http.Request, o transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	conn, err := c.WebsocketImplementation.Accept(w, r, o)
	if err != nil {
		return conn, err
	}
	wc := &wsConn{WebsocketConn: conn}
	if slot, ok := r.Context().Value(wsSlotKey{}).(*wsSlot); ok {
		slot.conn = wc
	}
	return wc, nil
}

type wsConn struct {
	transport.WebsocketConn
	mu     sync.Mutex
	code   int
	reason string
}

// forbid makes the coming close a 4403 Forbidden with the reason.
func (c *wsConn) forbid(reason string) {
	c.mu.Lock()
	c.code, c.reason = closeForbidden, reason
	c.mu.Unlock()
}

func (c *wsConn) WriteClose(code int, msg string) error {
	c.mu.Lock()
	if c.code != 0 {
		code, msg = c.code, c.reason
	}
	c.mu.Unlock()
	return c.WebsocketConn.WriteClose(code, msg)
}

func (c *wsConn) SetReadLimit(n int64) {
	if l, ok := c.WebsocketConn.(transport.WebsocketReadLimiter); ok {
		l.SetReadLimit(n)
	}
}

func (c *wsConn) SetReadDeadline(t time.Time) error {
	if d, ok := c.WebsocketConn.(transport.WebsocketReadDeadliner); ok {
		return d.SetReadDeadline(t)
	}
	return nil
}

// keyless marks a request sent without a key; noteUnauthenticated records that @auth
// refused one of its fields, and keylessWriter turns its 200 into a 401.
type keyless struct{ refused atomic.Bool }

type keylessKey struct{}

func noteUnauthenticated(ctx context.Context, errs gqlerror.List) {
	kl, ok := ctx.Value(keylessKey{}).(*keyless)
	if !ok {
		return
	}
	for _, e := range errs {
		if e != nil && e.Extensions["code"] == string(apperr.Unauthenticated) {
			kl.refused.Store(true)
			return
		}
	}
}

type keylessWriter struct {
	http.ResponseWriter
	k     *keyless
	wrote bool
}

func (w *keylessWriter) WriteHeader(code int) {
	if !w.wrote && code == http.StatusOK && w.k.refused.Load() {
		w.Header().Set("WWW-Authenticate", `Bearer realm="tessera"`)
		code = http.StatusUnauthorized
	}
	w.wrote = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *keylessWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

func (w *keylessWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// RequireJSONPost refuses what the GraphQL endpoint does not take, with an
// extensions.code and a message that says why: methods other than POST (GET is refused
// on purpose: browsers send it cross-site without asking, a CSRF surface), bodies that
// are not JSON (form and text/plain posts, for the same reason), bodies over the size
// limit (also chunked ones, which carry no Content-Length), and JSON that is not one
// GraphQL request object. WebSocket upgrades pass.
func RequireJSONPost(next http.Handler) http.Handler {
	const how = `POST a JSON object such as {"query": "{ __typename }"} with Content-Type: application/json`
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "" {
			next.ServeHTTP(w, r)
			return
		}
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", "POST")
			httpError(w, http.StatusMethodNotAllowed, r.Method+" requests are refused on purpose: browsers send them cross-site without asking (CSRF); "+how)
			return
		}
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			httpError(w, http.StatusUnsupportedMediaType, "only JSON is accepted (form and text/plain posts are refused on purpose: browsers send them cross-site without asking, CSRF); "+how)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			if tooBig := (*http.MaxBytesError)(nil); errors.As(err, &tooBig) {
				httpError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than the limit of %d bytes", tooBig.Limit))
				return
			}
			httpError(w, http.StatusBadRequest, "could not read the request body")
			return
		}
		if msg := requestShape(body); msg != "" {
			httpError(w, http.StatusBadRequest, msg+"; "+how)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

// requestShape says what is wrong with a body that is not one GraphQL request, or "".
func requestShape(body []byte) string {
	var p struct {
		Query         json.RawMessage `json:"query"`
		OperationName json.RawMessage `json:"operationName"`
		Variables     json.RawMessage `json:"variables"`
		Extensions    json.RawMessage `json:"extensions"`
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return "the request body is empty"
	}
	if err := json.Unmarshal(body, &p); err != nil {
		if te := (*json.UnmarshalTypeError)(nil); errors.As(err, &te) {
			return "the request body must be one JSON object (batches are not accepted)"
		}
		return "the request body is not valid JSON"
	}
	kind := func(v json.RawMessage) byte {
		if len(v) == 0 || string(v) == "null" {
			return 0
		}
		return v[0]
	}
	switch {
	case kind(p.Query) == 0:
		return `the request has no "query"`
	case kind(p.Query) != '"':
		return `"query" must be a string`
	case kind(p.OperationName) != 0 && kind(p.OperationName) != '"':
		return `"operationName" must be a string`
	case kind(p.Variables) != 0 && kind(p.Variables) != '{':
		return `"variables" must be an object`
	case kind(p.Extensions) != 0 && kind(p.Extensions) != '{':
		return `"extensions" must be an object`
	}
	return ""
}

// httpError answers with a GraphQL error body of code BAD_USER_INPUT.
func httpError(w http.ResponseWriter, status int, msg string) {
	b, _ := json.Marshal(map[string]any{"errors": []any{map[string]any{"message": msg, "extensions": map[string]any{"code": string(apperr.Invalid)}}}})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

// shapeLimit refuses documents that are cheap to send and expensive to answer: many
// aliases, the same field repeated, or a huge document.
type shapeLimit struct{ l Limits }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = shapeLimit{}

func (shapeLimit) ExtensionName() string                   { return "ShapeLimit" }
func (shapeLimit) Validate(graphql.ExecutableSchema) error { return nil }
func (s shapeLimit) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if len(oc.RawQuery) > s.l.DocumentLen {
		return limitErr("query document larger than %d bytes", s.l.DocumentLen)
	}
	if oc.Operation == nil {
		return nil
	}
	var aliases, fields int
	seen := map[*ast.FragmentDefinition]int{}
	var walk func(ast.SelectionSet, int)
	walk = func(set ast.SelectionSet, depth int) {
		if depth > 20 {
			fields += s.l.Fields // too deep counts as too big
			return
		}
		for _, sel := range set {
			switch x := sel.(type) {
			case *ast.Field:
				fields++
				if x.Alias != "" && x.Alias != x.Name {
					aliases++
				}
				walk(x.SelectionSet, depth+1)
			case *ast.InlineFragment:
				walk(x.SelectionSet, depth+1)
			case *ast.FragmentSpread:
				if x.Definition != nil && seen[x.Definition] < 50 {
					seen[x.Definition]++
					walk(x.Definition.SelectionSet, depth+1)
				}
			}
		}
	}
	walk(oc.Operation.SelectionSet, 0)
	if aliases > s.l.Aliases {
		return limitErr("operation uses %d aliases, more than the limit of %d", aliases, s.l.Aliases)
	}
	if fields > s.l.Fields {
		return limitErr("operation selects %d fields, more than the limit of %d", fields, s.l.Fields)
	}
	return nil
}

func limitErr(format string, a ...any) *gqlerror.Error {
	return &gqlerror.Error{Message: fmt.Sprintf(format, a...), Extensions: map[string]any{"code": string(apperr.Invalid)}}
}
