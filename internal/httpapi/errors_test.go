package httpapi

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/ceph/paddles-go/internal/paddles"
)

// DECISIONS 5: internal errors, panics included, answer JSON too, and hide their details.
func TestInternalErrorsAreJSON(t *testing.T) {
	// A handler without a service panics on its first database call.
	h := New(Config{PublicURL: "http://x", MaxBodyBytes: 1024}, nil, slog.New(slog.DiscardHandler))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/runs/", nil))
	if rec.Code != 500 || rec.Header().Get("Content-Type") != "application/json" || rec.Body.String() != `{"message":"internal server error"}` {
		t.Errorf("panic answered %d %q %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
}

func TestErrorStatuses(t *testing.T) {
	cases := []struct {
		err    error
		status int
		body   string
	}{
		{errors.New("secret detail"), 500, `{"message":"internal server error"}`},
		{&paddles.Error{Code: paddles.Unavailable, Message: "the database is unavailable; please retry", Err: errors.New("dial tcp")}, 503, `{"message":"the database is unavailable; please retry"}`},
		{paddles.Errorf(paddles.Conflict, "job with job_id 1 already exists"), 400, `{"message":"job with job_id 1 already exists"}`},
		{paddles.Errorf(paddles.NotFound, "gone"), 404, `{"message":"gone"}`},
		{paddles.Errorf(paddles.TooLarge, "big"), 413, `{"message":"big"}`},
		{echo.NewHTTPError(http.StatusBadRequest, "Invalid format for parameter count"), 400, `{"message":"Invalid format for parameter count"}`},
	}
	for _, tc := range cases {
		e := echo.New()
		rec := httptest.NewRecorder()
		c := e.NewContext(httptest.NewRequest("GET", "/x/", nil), rec)
		errorHandler(slog.New(slog.NewTextHandler(io.Discard, nil)))(tc.err, c)
		if rec.Code != tc.status || rec.Body.String() != tc.body {
			t.Errorf("%v: %d %s, want %d %s", tc.err, rec.Code, rec.Body, tc.status, tc.body)
		}
	}
}
