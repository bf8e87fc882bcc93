// Package bodies fails when a generated Go client takes an untyped request body. .ci/check-clients
// copies this module next to the clients it generates (ogen/, oapi/) and runs cmd/*bodies.
package bodies

import (
	"fmt"
	"os"
	"reflect"
	"strings"
)

// Op is one operation whose body must be typed: the client method (a method expression, so a
// renamed operation fails to compile) and the index of its body among the function's parameters.
type Op struct {
	ID     string
	Method any
	Arg    func(reflect.Type) int
}

// Check prints each operation's body type and exits 1 when one of them is untyped.
func Check(generator string, ops []Op) {
	bad := 0
	for _, op := range ops {
		fn := reflect.TypeOf(op.Method)
		i := op.Arg(fn)
		if i >= fn.NumIn() || strings.HasSuffix(fn.In(i).Name(), "Params") || fn.In(i).Kind() == reflect.Func {
			fmt.Printf("FAIL %s %s: no body parameter (%s)\n", generator, op.ID, fn)
			bad++
			continue
		}
		t := fn.In(i)
		if why := untyped(t); why != "" {
			fmt.Printf("FAIL %s %s: body %s is untyped: %s\n", generator, op.ID, t, why)
			bad++
		} else {
			fmt.Printf("ok   %s %s: body %s\n", generator, op.ID, t)
		}
	}
	if bad > 0 {
		fmt.Printf("%s: %d of %d request bodies untyped\n", generator, bad, len(ops))
		os.Exit(1)
	}
}

// untyped says why t does not describe the body's keys, or "" when it does: a struct of the
// schema's properties, with no catch-all map of raw values for keys outside them.
func untyped(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case raw(t):
		return "raw JSON (" + t.String() + ")"
	case t.Kind() == reflect.Interface:
		return "any value (" + t.String() + ")"
	case t.Kind() == reflect.Map:
		return "a map of any keys (" + t.String() + ")"
	case t.Kind() != reflect.Struct:
		return "not an object (" + t.Kind().String() + ")"
	case t.NumField() == 0:
		return "an empty struct"
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Type.Kind() == reflect.Map && strings.HasPrefix(f.Name, "Additional") && (raw(f.Type.Elem()) || f.Type.Elem().Kind() == reflect.Interface) {
			return fmt.Sprintf("field %s %s takes any other key (additionalProperties)", f.Name, f.Type)
		}
	}
	return ""
}

// raw: json.RawMessage, jx.Raw and other byte slices, which hold JSON as it came.
func raw(t reflect.Type) bool {
	return t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8
}

// Ogen: the body is the parameter after the receiver and the context.
func Ogen(reflect.Type) int { return 2 }

// OapiCodegen: the body is the last parameter before the request editors.
func OapiCodegen(fn reflect.Type) int { return fn.NumIn() - 2 }
