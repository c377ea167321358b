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
	EInternal = "internal"  // Anything else; its text is never shown to callers.
)

// Error is an application error whose Message is safe to show to a caller.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

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
