package database

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestDatabaseFaults (internal/httpapi) found that a connection broken by a PostgreSQL crash
// surfaced as "unexpected EOF" or "connection reset by peer", classified as neither unavailable nor
// anything else, and answered 500.
func TestIsUnavailable(t *testing.T) {
	reset := &net.OpError{Op: "read", Net: "unix", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{errors.New("cannot scan NULL into *string"), false},
		{&pgconn.PgError{Code: "23505"}, false},
		{&pgconn.PgError{Code: "22P02"}, false},
		{&pgconn.PgError{Code: "57P01"}, true}, // terminating connection due to administrator command
		{&pgconn.PgError{Code: "57P03"}, true}, // the database system is starting up
		{&pgconn.PgError{Code: "08006"}, true},
		{&pgconn.PgError{Code: "53300"}, true}, // too many connections
		{io.ErrUnexpectedEOF, true},
		{fmt.Errorf("query: %w", io.EOF), true},
		{reset, true},
		{fmt.Errorf("commit: %w", reset), true},
		{pgconn.ErrConnClosed, true},
	} {
		if got := IsUnavailable(tc.err); got != tc.want {
			t.Errorf("IsUnavailable(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
