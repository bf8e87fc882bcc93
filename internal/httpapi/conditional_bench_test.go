package httpapi

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/ceph/paddles-go/internal/paddles"
)

// BenchmarkETag measures what a conditional read adds to a listing of 100 jobs (issue 19): the
// listing's encoding as the handlers do it (encode), and the entity tag of the bytes it produced
// (etag). The tag's cost is then that of etag over encode; go test -bench ETag -benchmem
// ./internal/httpapi (docs/performance.md has the figures).
func BenchmarkETag(b *testing.B) {
	body, err := os.ReadFile("testdata/teuthology-job.json")
	if err != nil {
		b.Fatal(err)
	}
	patch, err := paddles.ParseJobPatch(body)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 1, 15, 10, 20, 30, 0, time.UTC)
	jobs := make([]paddles.Job, 100)
	for i := range jobs {
		patch.Apply(&jobs[i], true, now)
		jobs[i].JobID = fmt.Sprint(7510000 + i)
	}
	h := &handlers{cfg: Config{PublicURL: "http://paddles.example.com"}, logTemplate: parseHrefTemplate(DefaultJobLogHrefTemplate)}
	const run = "teuthology-2026-01-15_10:20:30-rados-main-distro-default-smithi"
	listing := h.appendJobs(nil, run, jobs, nil)
	b.Logf("a listing of %d jobs: %d bytes", len(jobs), len(listing))

	b.Run("encode", func(b *testing.B) {
		b.SetBytes(int64(len(listing)))
		b.ReportAllocs()
		for b.Loop() {
			h.appendJobs(nil, run, jobs, nil)
		}
	})
	b.Run("etag", func(b *testing.B) {
		b.SetBytes(int64(len(listing)))
		b.ReportAllocs()
		page := jsonPage{body: listing, total: 8_500_000}
		for b.Loop() {
			_ = page.etag()
		}
	})
}
