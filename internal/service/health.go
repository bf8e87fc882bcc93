package service

import (
	"context"
	"errors"
	"time"

	"github.com/ceph/paddles-go/internal/database"
	"github.com/ceph/paddles-go/internal/paddles"
)

// readyTimeout bounds a readiness check, so that a probe answers even while the database hangs.
const readyTimeout = 3 * time.Second

// Ready reports whether the service can serve requests: the database answers and its schema is
// current. Its errors are Unavailable, with a message for the client and the cause for the logs.
func (s *Service) Ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	err := database.CheckReady(ctx, s.pool)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, database.ErrNotCurrent):
		return &paddles.Error{Code: paddles.Unavailable, Message: "not ready: " + database.ErrNotCurrent.Error()}
	}
	return &paddles.Error{Code: paddles.Unavailable, Message: "not ready: the database does not answer", Err: err}
}
