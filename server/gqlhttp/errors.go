package gqlhttp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/ticket"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Code values in extensions.code besides the domain kinds.
const (
	CodeInternal = "INTERNAL"
)

// ErrorPresenter maps domain errors to their code and hides everything else: driver
// errors and Go internals are logged with the path, never sent.
func ErrorPresenter(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		var gqlErr *gqlerror.Error
		if errors.As(err, &gqlErr) && gqlErr.Err == nil {
			// Parser and validation errors from gqlparser: safe, keep their code.
			return gqlErr
		}
		path := graphql.GetPath(ctx)
		if code, msg, ok := ticketError(err); ok {
			return &gqlerror.Error{Message: msg, Path: path, Extensions: map[string]any{"code": code}}
		}
		if e, ok := apperr.As(err); ok {
			return &gqlerror.Error{Message: e.Msg, Path: path, Extensions: map[string]any{"code": string(e.Kind)}}
		}
		if strings.HasSuffix(err.Error(), "introspection disabled") { // gqlgen's own, in production mode
			return &gqlerror.Error{Message: "introspection is disabled in production mode", Path: path, Extensions: map[string]any{"code": string(apperr.Forbidden)}}
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return &gqlerror.Error{Message: "request timed out", Path: path, Extensions: map[string]any{"code": "TIMEOUT"}}
		}
		log.ErrorContext(ctx, "resolver failed", "path", path.String(), "err", err)
		return &gqlerror.Error{Message: "internal error", Path: path, Extensions: map[string]any{"code": CodeInternal}}
	}
}

// ticketError maps the help-desk domain's sentinel errors. Their messages are built
// by the domain and the ticket store from ids and reasons only, never from driver
// errors, so they are safe to show.
func ticketError(err error) (code, msg string, ok bool) {
	switch {
	case errors.Is(err, ticket.ErrInvalidInput):
		return string(apperr.Invalid), strings.TrimPrefix(err.Error(), ticket.ErrInvalidInput.Error()+": "), true
	case errors.Is(err, ticket.ErrNotFound):
		return string(apperr.NotFound), err.Error(), true
	case errors.Is(err, ticket.ErrConflict):
		return string(apperr.Conflict), "the ticket was changed by someone else at the same time; reload it and try again", true
	case errors.Is(err, ticket.ErrNoAgentAvailable):
		return string(apperr.Conflict), "no agent of the group is available for round-robin assignment", true
	}
	return "", "", false
}

// Recover logs a panic with its stack and returns an error that says nothing of it.
func Recover(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "resolver panic", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		return &gqlerror.Error{Message: "internal error", Extensions: map[string]any{"code": CodeInternal}}
	}
}
