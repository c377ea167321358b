package decision

import (
	"errors"
	"fmt"
)

// Error codes classify failures once, so the edge (an HTTP handler, an SQS handler)
// can map them to a status without inspecting error text.
const (
	EInvalid  = "invalid"   // The caller sent something wrong; retrying the same input fails again.
	ENotFound = "not_found" // The thing the caller referred to does not exist.
	EConflict = "conflict"  // The request contradicts recorded state.
	ETooLarge = "too_large" // The request body is over the documented size limit.
	// EUnavailable: a dependency is down or slow; the same request may succeed later.
	EUnavailable = "unavailable"
	EInternal    = "internal" // Anything else; its text is never shown to callers.
)

// Error is an application error whose Message is safe to show to a caller. Err, when
// set, is the cause, for the logs only.
type Error struct {
	Code    string
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Unavailable classifies a failure that is not the caller's (a store down, slow or
// throttled) as EUnavailable, with advice on retrying; application errors pass
// through unchanged.
func Unavailable(err error, advice string) error {
	if err == nil || ErrorCode(err) != EInternal {
		return err
	}
	return &Error{Code: EUnavailable, Message: "the service cannot complete this request right now; " + advice, Err: err}
}

// Errorf builds an application error with a caller-safe message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first application error in err's chain, or
// EInternal when there is none.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the caller-safe message of err, hiding internal details.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
