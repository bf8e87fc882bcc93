// Package service is the paddles application: it carries out each API operation, in
// transactions of package store, using the rules of package paddles. It takes and returns domain
// values only, and knows nothing of HTTP nor of SQL.
package service

import (
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ceph/paddles-go/internal/paddles"
	"github.com/ceph/paddles-go/internal/store"
)

// Options tune the service.
type Options struct {
	// RunsPageSize is the default number of runs per page.
	RunsPageSize int
	// AssignJobIDs makes the server give an id to a job posted without one, instead of answering
	// 400 (for labs that queue jobs through paddles).
	AssignJobIDs bool
	// Now returns the current time; tests may pin it.
	Now func() time.Time
	// StatusChanged, if set, is told of every job status change once it is committed ("" as from
	// for a new job): upstream paddles fed the same signal to statsd.
	StatusChanged func(from, to string)
}

// Service carries out the API's operations.
type Service struct {
	st   *store.Store
	opts Options
	log  *slog.Logger
}

// New returns a Service on the store st.
func New(st *store.Store, opts Options, log *slog.Logger) *Service {
	if opts.RunsPageSize <= 0 {
		opts.RunsPageSize = 100
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.StatusChanged == nil {
		opts.StatusChanged = func(string, string) {}
	}
	return &Service{st: st, opts: opts, log: log}
}

// now is the time of a write, at the microsecond precision PostgreSQL stores.
func (s *Service) now() time.Time { return s.opts.Now().UTC().Truncate(time.Microsecond) }

// storable reports whether PostgreSQL can hold every one of names as text: valid UTF-8 without
// NUL. A name it cannot hold names nothing, so reads and deletes by such a name answer not found,
// as the contract says, instead of PostgreSQL's "invalid byte sequence" (a 400 those operations do
// not have).
func storable(names ...string) bool {
	for _, n := range names {
		if !utf8.ValidString(n) || strings.IndexByte(n, 0) >= 0 {
			return false
		}
	}
	return true
}

func runNotFound(name string) error {
	return paddles.Errorf(paddles.NotFound, "run with name %s not found", name)
}

// Page selects one page of a listing.
type Page struct {
	Count *int // nil: the default page size
	Page  *int // 1-based; nil: the first page
}

// limits turns a page into LIMIT and OFFSET. Without a count, a paged listing has the default
// page size and an unpaged one no limit (nil).
func (s *Service) limits(p Page, paged bool) (limit *int64, offset int64, err error) {
	switch {
	case p.Count != nil:
		if *p.Count < 0 {
			return nil, 0, paddles.Errorf(paddles.Invalid, "count must be a non-negative integer")
		}
		n := int64(*p.Count)
		limit = &n
	case paged:
		n := int64(s.opts.RunsPageSize)
		limit = &n
	}
	if p.Page != nil {
		if *p.Page < 1 {
			return nil, 0, paddles.Errorf(paddles.Invalid, "page must be a positive integer")
		}
		if limit != nil {
			offset = *limit * int64(*p.Page-1)
		}
	}
	return limit, offset, nil
}
