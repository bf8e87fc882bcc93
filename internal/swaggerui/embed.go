// Package swaggerui holds the API documentation page served at /docs/: Swagger UI's static build,
// vendored from the npm package swagger-ui-dist pinned in package.json (dist/, copied by
// `make swagger-ui` and compared with the pin by `make check`), and the page that runs it on this
// server's own spec (index.html, paddles-docs.js). The page loads nothing from elsewhere.
package swaggerui

import (
	"embed"
	"io/fs"
	"path"
	"sort"
)

//go:embed index.html paddles-docs.js dist
var files embed.FS

// Files returns the page's files by their name under /docs/: index.html, paddles-docs.js and
// every file of dist/.
func Files() map[string][]byte {
	out := map[string][]byte{}
	for _, name := range []string{"index.html", "paddles-docs.js"} {
		out[name] = mustRead(name)
	}
	entries, err := fs.ReadDir(files, "dist")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		out[e.Name()] = mustRead(path.Join("dist", e.Name()))
	}
	return out
}

// Names lists the names Files returns, sorted.
func Names() []string {
	var names []string
	for name := range Files() {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

func mustRead(name string) []byte {
	b, err := files.ReadFile(name)
	if err != nil {
		panic(err) // embedded at build time: cannot happen
	}
	return b
}
