// Package paddles holds what the server means, independent of HTTP and SQL: the job and run
// objects, how teuthology's job bodies are read (key normalisation, coercions, status rules), how
// objects are written on the wire, and the error codes every layer shares.
package paddles

import (
	"errors"
	"fmt"
	"time"
)

// Code classifies an error; the HTTP layer maps each code to one status.
type Code string

const (
	// Invalid: the request is malformed or breaks a rule (400).
	Invalid Code = "invalid"
	// Conflict: the object exists already. paddles answers 400 with a message ending in
	// "already exists", which teuthology keys on.
	Conflict Code = "conflict"
	// Forbidden: the request breaks a lock or pause rule (403).
	Forbidden Code = "forbidden"
	// NotFound: the run or job does not exist (404).
	NotFound Code = "not_found"
	// TooLarge: the request body exceeds the configured limit (413).
	TooLarge Code = "too_large"
	// Unavailable: the database cannot be reached right now, not enough nodes are free, or a
	// queue is paused; retrying later may help (503).
	Unavailable Code = "unavailable"
	// Internal: a bug or an unexpected failure (500).
	Internal Code = "internal"
)

// Error is an error with a code and a message meant for the client.
type Error struct {
	Code    Code
	Message string
	// Err is the underlying cause, if any: logged, never sent.
	Err error
	// RetryAfter, when set, is how soon the client may try again (an Unavailable answer while
	// the database is away); the HTTP layer sends it as Retry-After.
	RetryAfter time.Duration
	// Logged: the cause has been logged once for every request it fails (the database went
	// away, which the server logs when it happens and when it ends), so the request's failure is
	// not logged again.
	Logged bool
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err, Internal when it carries none.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// ErrorMessage returns the client-facing message of err. Errors without a code are internal, and
// their text stays in the logs.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal server error"
}
