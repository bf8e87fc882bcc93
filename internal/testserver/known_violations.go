package testserver

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// TEMPORARY: knownViolations are the answers that break the spec, found when the check became
// strict (closeSchemas) and the importer and cli tests started checking theirs, and let through
// until the spec describes them. Delete this file, and the call of withoutKnownViolations in
// ValidateResponse, once it does.
//
// An entry is the operation (its operationId, or what validateResponse names an answer outside
// the operations), the status, where in the body (a JSON pointer, array indices as *) and the
// undeclared key; At and Key empty: the status itself is not declared for the operation.
var knownViolations = map[knownViolation]bool{
	// POST /runs/ on a server with write tokens: the spec lists neither TokenRequired nor
	// TokenInvalid for createRun (cli's TestServeOperability).
	{Operation: "createRun", Status: 401}: true,
	{Operation: "createRun", Status: 403}: true,
}

type knownViolation struct {
	Operation string
	Status    int
	At, Key   string
}

// withoutKnownViolations returns nil when every mismatch in err is a known violation, else err.
func withoutKnownViolations(op string, status int, err error) error {
	for _, e := range leaves(err) {
		at, key, ok := undeclaredKey(e)
		var re *openapi3filter.ResponseError
		if errors.As(e, &re) && re.Err == nil && re.Reason == "status is not supported" {
			ok = true
		}
		if !ok || !knownViolations[knownViolation{op, status, at, key}] {
			return err
		}
	}
	return nil
}

// undeclaredKey returns where a validation error finds a key the spec does not declare (the JSON
// pointer of its object, array indices as "*"), and the key; ok is false for any other error.
func undeclaredKey(err error) (at, key string, ok bool) {
	var se *openapi3.SchemaError
	if !errors.As(err, &se) || se.SchemaField != "properties" || se.Origin != nil {
		return "", "", false
	}
	if _, e := fmt.Sscanf(se.Reason, "property %q is unsupported", &key); e != nil {
		return "", "", false
	}
	for _, p := range se.JSONPointer() {
		if _, e := strconv.Atoi(p); e == nil {
			p = "*"
		}
		at += "/" + p
	}
	return at, key, true
}

// leaves flattens a validation error into its single mismatches.
func leaves(err error) []error {
	switch e := err.(type) {
	case *openapi3filter.ResponseError:
		if e.Err != nil {
			return leaves(e.Err)
		}
	case openapi3.MultiError:
		var out []error
		for _, x := range e {
			out = append(out, leaves(x)...)
		}
		return out
	}
	return []error{err}
}
