package testserver

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// MainFunc is cli.Main's signature.
type MainFunc func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int

// Serve is a "paddles serve" command running in the background, from StartMain.
type Serve struct {
	URL  string      // the base URL, without a trailing slash
	Logs *SyncBuffer // what it wrote to stderr

	done   chan int
	cancel context.CancelFunc
	once   sync.Once
	code   int
}

// StartMain runs main(ctx, ["serve", "--addr", <a free port>, args...], getenv, ...) in the
// background once start is closed (nil: at once), without waiting for it to answer (see
// WaitReady and WaitFor). It is stopped, as by Stop, when the test ends; its log is shown then
// if the test failed.
func StartMain(t testing.TB, main MainFunc, start <-chan struct{}, args []string, getenv func(string) string) *Serve {
	t.Helper()
	addr := FreeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	s := &Serve{URL: "http://" + addr, Logs: &SyncBuffer{}, done: make(chan int, 1), cancel: cancel}
	go func() {
		if start != nil {
			<-start
		}
		s.done <- main(ctx, append([]string{"serve", "--addr", addr}, args...), getenv, io.Discard, s.Logs)
	}()
	t.Cleanup(func() {
		s.Stop(t)
		if t.Failed() {
			t.Logf("serve log:\n%s", s.Logs)
		}
	})
	return s
}

// WaitReady waits until the server answers at all (any status on /).
func (s *Serve) WaitReady(t testing.TB) {
	t.Helper()
	AwaitAnswer(t, s.URL+"/", false, Exited("serve", s.done), s.Logs)
}

// WaitFor waits until path answers 200.
func (s *Serve) WaitFor(t testing.TB, path string) {
	t.Helper()
	AwaitAnswer(t, s.URL+path, true, Exited("serve", s.done), s.Logs)
}

// Exited returns a check of whether a server has ended, for AwaitAnswer: done receives its
// outcome (an exit code, an error), and has room for it to be put back.
func Exited[T any](what string, done chan T) func() (string, bool) {
	return func() (string, bool) {
		select {
		case v := <-done:
			done <- v
			return fmt.Sprintf("%s exited (%v)", what, v), true
		default:
			return "", false
		}
	}
}

// Stop ends the server and returns its exit code; later calls return it again.
func (s *Serve) Stop(t testing.TB) int {
	s.once.Do(func() {
		s.cancel()
		select {
		case s.code = <-s.done:
		case <-time.After(30 * time.Second):
			s.code = -1
			t.Errorf("serve did not stop:\n%s", s.Logs)
		}
	})
	return s.code
}

// AwaitAnswer polls url until it answers (with 200, when need200), and fails the test when
// exited reports the server gone first, or after a minute; logs are shown with the failure.
func AwaitAnswer(t testing.TB, url string, need200 bool, exited func() (string, bool), logs fmt.Stringer) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; {
		if res, err := http.Get(url); err == nil {
			res.Body.Close()
			if !need200 || res.StatusCode == http.StatusOK {
				return
			}
		}
		if how, gone := exited(); gone {
			t.Fatalf("%s before %s answered:\n%s", how, url, logs)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer within a minute:\n%s", url, logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// FreeAddr returns a local TCP address no one listens on.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// PostgresDir returns a fresh temporary directory that a PostgreSQL started by the test can use:
// as root, pgcluster runs it as the postgres user, which must reach the directory.
func PostgresDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// SyncBuffer collects a command's output while it runs.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
