package ticket

import (
	"errors"
	"fmt"
)

// ErrInvalidInput is the root of every error caused by what the caller asked
// for (bad value, illegal transition, closed ticket). The server maps anything
// for which errors.Is(err, ErrInvalidInput) holds to BAD_USER_INPUT.
var ErrInvalidInput = errors.New("invalid input")

var (
	// ErrNotFound is returned by Store implementations for unknown ids.
	ErrNotFound = errors.New("not found")
	// ErrConflict is returned by Store implementations when an optimistic
	// version check fails; the caller should reload and retry.
	ErrConflict = errors.New("version conflict")
	// ErrNoAgentAvailable means round-robin found nobody to assign. It is not
	// user input: the request was fine, the team is just away.
	ErrNoAgentAvailable = errors.New("no agent available")
	// ErrClosed rejects any change to a closed ticket; Zendesk-style, a
	// customer writing again gets a follow-up ticket instead.
	ErrClosed = fmt.Errorf("%w: ticket is closed", ErrInvalidInput)
)

// ValidationError names the offending field so the API can point at it.
type ValidationError struct {
	Field  string
	Reason string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Reason }

// Unwrap makes errors.Is(err, ErrInvalidInput) true for every ValidationError.
func (e *ValidationError) Unwrap() error { return ErrInvalidInput }

func invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// invalidf is an ErrInvalidInput whose message (after "invalid input: ") is the
// formatted text.
func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidInput}, args...)...)
}
