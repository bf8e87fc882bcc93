package paddles

import (
	"os"
	"slices"
	"testing"

	"go.yaml.in/yaml/v3"
)

// specKey is a key of the contract's Job schema, read from api/openapi.yaml on its own (not through
// the table generated from it), with the kind its schema type gives a value in a request.
type specKey struct {
	name     string
	kind     keyKind
	settable bool // not readOnly
}

// specJobKeys are the Job schema's keys, in its order: the wire order.
var specJobKeys = func() []specKey {
	b, err := os.ReadFile("../../api/openapi.yaml")
	if err != nil {
		panic(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		panic(err)
	}
	at := func(n *yaml.Node, key string) *yaml.Node {
		for i := 0; n != nil && i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i+1]
			}
		}
		return nil
	}
	props := at(at(at(at(doc.Content[0], "components"), "schemas"), "Job"), "properties")
	var keys []specKey
	for i := 0; props != nil && i+1 < len(props.Content); i += 2 {
		schema := props.Content[i+1]
		value := func(key string) string {
			if v := at(schema, key); v != nil {
				return v.Value
			}
			return ""
		}
		k := specKey{name: props.Content[i].Value, settable: value("readOnly") != "true"}
		switch {
		case value("$ref") == "#/components/schemas/AnyJSON":
			k.kind = kindJSON
		case value("type") == "integer":
			k.kind = kindInt
		case value("type") == "boolean":
			k.kind = kindBool
		case value("$ref") == "#/components/schemas/NullableTimestamp":
			k.kind = kindTime
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		panic("no Job properties in api/openapi.yaml")
	}
	return keys
}()

// jobKeys are the names of specJobKeys.
func jobKeys() []string {
	names := make([]string, len(specJobKeys))
	for i, k := range specJobKeys {
		names[i] = k.name
	}
	return names
}

// wantWireKeys checks that a job's keys are the contract's, in its order, and that upstream's
// keys keep upstream's order among them.
func wantWireKeys(t *testing.T, got []string) {
	t.Helper()
	if want := jobKeys(); !slices.Equal(got, want) {
		t.Errorf("keys:\n got %v\nwant %v", got, want)
	}
	i := 0
	for _, k := range got {
		if i < len(upstreamJobKeys) && k == upstreamJobKeys[i] {
			i++
		}
	}
	if i != len(upstreamJobKeys) {
		t.Errorf("keys %v do not keep upstream's order %v", got, upstreamJobKeys)
	}
}
