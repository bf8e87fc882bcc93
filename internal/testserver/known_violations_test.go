package testserver

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TEMPORARY, with known_violations.go: a listed violation passes, the same answer with a status
// not listed does not.
func TestKnownViolations(t *testing.T) {
	req := httptest.NewRequest("POST", "/runs/", nil)
	json := http.Header{"Content-Type": {"application/json"}}
	if err := ValidateResponse(req, 401, json, []byte(`{"message":"token required"}`)); err != nil {
		t.Errorf("a known violation: %v", err)
	}
	if err := ValidateResponse(req, 402, json, []byte(`{"message":"token required"}`)); err == nil {
		t.Error("an undeclared status not in the list passed")
	}
}
