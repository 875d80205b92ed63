package resolvers

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	coderws "github.com/coder/websocket"
	"github.com/tessera-cdp/tessera/graph"
	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/auth"
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
}

// NewHandler builds the GraphQL endpoint: POST JSON and graphql-transport-ws only (no
// GET or form posts, which browsers send cross-site without a preflight), with limits,
// role checks and the error presenter.
func NewHandler(r *Resolver, o Options) *handler.Server {
	cfg := graph.Config{Resolvers: r, Directives: graph.DirectiveRoot{Auth: AuthDirective}}
	SetComplexity(&cfg.Complexity)
	srv := handler.New(graph.NewExecutableSchema(cfg))
	srv.AddTransport(transport.Websocket{
		KeepAlivePingInterval: 10 * time.Second,
		InitTimeout:           10 * time.Second,
		// API keys, not cookies, authenticate, so a cross-origin socket gains nothing.
		Implementation: transport.CoderWebsocketImplementation{AcceptOptions: coderws.AcceptOptions{OriginPatterns: []string{"*"}}},
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
				return ctx, nil, err
			}
			return auth.WithKey(ctx, k), nil, nil
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
	srv.SetErrorPresenter(ErrorPresenter(o.Log))
	srv.SetRecoverFunc(Recover(o.Log))
	// Cap the error list: a document with a thousand bad directives must not make the
	// server write a thousand errors.
	maxErrs := o.Limits.Errors
	srv.AroundResponses(func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		resp := next(ctx)
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
// field by field; a wrong key is refused outright with 401.
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
			next.ServeHTTP(w, r)
			return
		}
		h := r.Header.Get("Authorization")
		if h == "" {
			next.ServeHTTP(w, r)
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
