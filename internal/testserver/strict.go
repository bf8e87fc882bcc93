package testserver

import (
	"slices"

	"github.com/getkin/kin-openapi/openapi3"
)

// closeSchemas makes the spec strict for checking responses: every object schema that lists
// properties and does not set additionalProperties gets additionalProperties: false, so that a
// key the spec does not declare fails. Schemas that say additionalProperties: true (AnyJSON's
// object, OpenAPIDocument, the inputs) stay open.
//
// allOf needs care, since kin-openapi checks a value against each part on its own: closing
// Run in RunDetail = allOf[Run, {jobs}] would refuse jobs. So an allOf whose parts are all object
// schemas is first merged into one schema (properties and required keys united) that replaces the
// composition, and only then closed; the parts themselves (Run, Job, Node: used on their own too)
// are closed as any schema is, without affecting the merged one.
func closeSchemas(spec *openapi3.T) {
	// Merge every allOf first: a part closed before its composition is merged would no longer be
	// a plain object schema to merge.
	eachSchema(spec, mergeAllOf)
	eachSchema(spec, func(s *openapi3.Schema) {
		if len(s.Properties) > 0 && s.AdditionalProperties.Has == nil && s.AdditionalProperties.Schema == nil {
			s.AdditionalProperties.Has = openapi3.Ptr(false)
		}
	})
}

// eachSchema calls f once for every schema of the spec's components and responses, those nested
// in them included.
func eachSchema(spec *openapi3.T, f func(*openapi3.Schema)) {
	seen := map[*openapi3.Schema]bool{}
	var walk func(ref *openapi3.SchemaRef)
	walk = func(ref *openapi3.SchemaRef) {
		if ref == nil || ref.Value == nil || seen[ref.Value] {
			return
		}
		s := ref.Value
		seen[s] = true
		f(s)
		for _, p := range s.Properties {
			walk(p)
		}
		walk(s.Items)
		walk(s.AdditionalProperties.Schema)
		walk(s.Not)
		for _, list := range []openapi3.SchemaRefs{s.AllOf, s.AnyOf, s.OneOf} {
			for _, p := range list {
				walk(p)
			}
		}
	}
	for _, ref := range spec.Components.Schemas {
		walk(ref)
	}
	content := func(c openapi3.Content) {
		for _, mt := range c {
			walk(mt.Schema)
		}
	}
	for _, r := range spec.Components.Responses {
		content(r.Value.Content)
	}
	for _, item := range spec.Paths.Map() {
		for _, op := range item.Operations() {
			for _, r := range op.Responses.Map() {
				content(r.Value.Content)
			}
		}
	}
}

// mergeAllOf replaces s's allOf by the union of its parts' properties and required keys, when
// every part is an object schema (a part may itself be such an allOf). Other compositions are
// left alone.
func mergeAllOf(s *openapi3.Schema) {
	if len(s.AllOf) == 0 {
		return
	}
	props := openapi3.Schemas{}
	for k, v := range s.Properties {
		props[k] = v
	}
	required := slices.Clone(s.Required)
	for _, part := range s.AllOf {
		p := part.Value
		mergeAllOf(p)
		if len(p.AllOf) > 0 || (len(p.Properties) == 0 && !p.Type.Is(openapi3.TypeObject)) ||
			len(p.AnyOf) > 0 || len(p.OneOf) > 0 || p.AdditionalProperties.Has != nil || p.AdditionalProperties.Schema != nil {
			return // not a plain object schema: keep the composition
		}
		for k, v := range p.Properties {
			props[k] = v
		}
		for _, k := range p.Required {
			if !slices.Contains(required, k) {
				required = append(required, k)
			}
		}
	}
	s.AllOf = nil
	s.Type = &openapi3.Types{openapi3.TypeObject}
	s.Properties = props
	s.Required = required
}
