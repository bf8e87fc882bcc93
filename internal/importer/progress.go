package importer

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// IsTerminal reports whether w is a terminal (a character device), where progress is one line
// rewritten in place; elsewhere (a log file, a pipe) it is plain periodic lines.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// progress reports an import's, or a count's, progress in upstream rows (runs and job rows) on w.
type progress struct {
	label    string // "import", "counting"
	w        io.Writer
	terminal bool
	total    int64
	start    time.Time

	mu          sync.Mutex
	runs, jobs  int64
	stop, ended chan struct{}
}

func startProgress(label string, w io.Writer, terminal bool, every time.Duration, total int64) *progress {
	if every <= 0 {
		every = 10 * time.Second
	}
	p := &progress{label: label, w: w, terminal: terminal, total: total, start: time.Now(),
		stop: make(chan struct{}), ended: make(chan struct{})}
	if w == nil {
		close(p.ended)
		return p
	}
	if terminal {
		every = 500 * time.Millisecond
	}
	go func() {
		defer close(p.ended)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.print(false)
			}
		}
	}()
	return p
}

// add counts the rows of a committed batch, or of a counted range.
func (p *progress) add(runs, jobs int64) {
	p.mu.Lock()
	p.runs += runs
	p.jobs += jobs
	p.mu.Unlock()
}

// finish stops the reports and prints the final state.
func (p *progress) finish() {
	close(p.stop)
	<-p.ended
	if p.w != nil {
		p.print(true)
	}
}

func (p *progress) print(final bool) {
	p.mu.Lock()
	runs, jobs := p.runs, p.jobs
	p.mu.Unlock()
	done := runs + jobs
	elapsed := time.Since(p.start)
	rate := float64(done) / elapsed.Seconds()
	pct := 100.0
	if p.total > 0 {
		pct = 100 * float64(done) / float64(p.total)
	}
	line := fmt.Sprintf("%s: %d runs, %d job rows: %d/%d rows (%.1f%%), %.0f rows/s, elapsed %s",
		p.label, runs, jobs, done, p.total, pct, rate, elapsed.Round(time.Second))
	if !final && rate > 0 && done < p.total {
		eta := time.Duration(float64(p.total-done) / rate * float64(time.Second))
		line += ", ETA " + eta.Round(time.Second).String()
	}
	switch {
	case p.terminal && final:
		fmt.Fprintf(p.w, "\r%s\x1b[K\n", line)
	case p.terminal:
		fmt.Fprintf(p.w, "\r%s\x1b[K", line)
	default:
		fmt.Fprintln(p.w, line)
	}
}
