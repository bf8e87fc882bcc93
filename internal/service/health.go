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
	err := s.st.Ready(ctx)
	if err == nil {
		return nil
	}
	reason := database.ErrUnreachable
	for _, r := range []error{database.ErrNotCurrent, database.ErrSchemaUnknown} {
		if errors.Is(err, r) {
			reason = r
		}
	}
	// An outage the store knows of is logged once, not with every probe.
	return &paddles.Error{Code: paddles.Unavailable, Message: "not ready: " + reason.Error(), Err: err,
		Logged: errors.Is(err, database.ErrDown)}
}
