// Package apperr defines the error kinds the domain returns. The GraphQL layer maps each
// kind to an extensions.code; anything else is reported as INTERNAL without its text.
package apperr

import (
	"errors"
	"fmt"
)

// Kind classifies an error for the API edge.
type Kind string

const (
	Invalid         Kind = "BAD_USER_INPUT"
	NotFound        Kind = "NOT_FOUND"
	Conflict        Kind = "CONFLICT"
	Forbidden       Kind = "FORBIDDEN"
	Unauthenticated Kind = "UNAUTHENTICATED"
)

// Error is a domain error whose message is safe to show to API callers.
type Error struct {
	Kind Kind
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

// Is lets errors.Is(err, apperr.ErrNotFound) match any error of the same kind.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Msg == "" && t.Kind == e.Kind
}

// Sentinels for errors.Is; they carry no message.
var (
	ErrInvalid         = &Error{Kind: Invalid}
	ErrNotFound        = &Error{Kind: NotFound}
	ErrConflict        = &Error{Kind: Conflict}
	ErrForbidden       = &Error{Kind: Forbidden}
	ErrUnauthenticated = &Error{Kind: Unauthenticated}
)

func newf(k Kind, format string, a ...any) *Error {
	return &Error{Kind: k, Msg: fmt.Sprintf(format, a...)}
}

// Invalidf reports bad caller input.
func Invalidf(format string, a ...any) error { return newf(Invalid, format, a...) }

// NotFoundf reports a missing object.
func NotFoundf(format string, a ...any) error { return newf(NotFound, format, a...) }

// Conflictf reports a request that contradicts the current state.
func Conflictf(format string, a ...any) error { return newf(Conflict, format, a...) }

// Forbiddenf reports a caller without the needed role.
func Forbiddenf(format string, a ...any) error { return newf(Forbidden, format, a...) }

// Unauthenticatedf reports a missing or bad credential.
func Unauthenticatedf(format string, a ...any) error { return newf(Unauthenticated, format, a...) }

// As returns the domain error inside err, if any.
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// IsNotFound reports a NotFound error.
func IsNotFound(err error) bool {
	e, ok := As(err)
	return ok && e.Kind == NotFound
}
