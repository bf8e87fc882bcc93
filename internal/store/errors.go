package store

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/ceph/paddles-go/internal/database"
	"github.com/ceph/paddles-go/internal/paddles"
)

var (
	// ErrNotFound: the row looked up, locked, updated or deleted does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrExists: an insert found the row already there and left it alone.
	ErrExists = errors.New("store: already exists")
)

// interpret turns database errors into store sentinels and coded errors (the package doc's
// table): the client learns what it can act on, and internal details stay in the logs.
func interpret(err error) error {
	var coded *paddles.Error
	switch {
	case err == nil:
		return nil
	case errors.Is(err, pgx.ErrNoRows):
		return ErrNotFound
	case errors.As(err, &coded), errors.Is(err, ErrNotFound), errors.Is(err, ErrExists):
		return err
	case database.IsUniqueViolation(err):
		// Writes resolve their conflicts with ON CONFLICT; this is the net under them.
		return paddles.Errorf(paddles.Conflict, "already exists: %s", database.ErrorDetail(err))
	case database.IsDataException(err):
		return paddles.Errorf(paddles.Invalid, "invalid value: %s", database.ErrorDetail(err))
	case database.IsUnavailable(err), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		// A lost connection has been reported to the availability (attempt), which logs the
		// outage once; a timeout or a cancelled query is logged with its request.
		return &paddles.Error{Code: paddles.Unavailable, Message: unavailableMessage, RetryAfter: retryAfter,
			Logged: database.IsConnectionLost(err), Err: err}
	}
	return err
}

// inserted interprets the error of an INSERT ... ON CONFLICT DO NOTHING RETURNING: no row means
// the row was there already.
func inserted(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrExists
	}
	return interpret(err)
}

// deleted interprets the outcome of a DELETE: no row deleted means none was there.
func deleted(n int64, err error) error {
	if err == nil && n == 0 {
		return ErrNotFound
	}
	return interpret(err)
}
