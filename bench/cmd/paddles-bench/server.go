package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// server is the paddles server under test: the repository's binary, run as `paddles serve`.
type server struct {
	cmd     *exec.Cmd
	base    string
	pprof   string
	logFile *os.File
	done    chan struct{}
}

// startServer runs bin serve on a free loopback port with args, its log in logPath, and waits
// until it says where it serves.
func startServer(ctx context.Context, bin string, args []string, env []string, logPath string) (*server, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	args = append([]string{"serve", "--addr", "127.0.0.1:0", "--log-format", "json"}, args...)
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	// If the benchmark dies, so does the server (and with it its PostgreSQL).
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	cmd.Stdout = logFile
	cmd.Stderr = logFile // straight to the file: the access log costs the bench nothing
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	s := &server{cmd: cmd, logFile: logFile, done: make(chan struct{})}
	go func() {
		cmd.Wait()
		close(s.done)
	}()
	// A reused data set may have migrations to apply first, which at the lab's size take minutes.
	timeout := time.After(30 * time.Minute)
	for {
		if base := servingURL(logPath); base != "" {
			s.base = base
			return s, nil
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("the server exited before serving; see %s", logPath)
		case <-timeout:
			s.stop()
			return nil, fmt.Errorf("the server did not start within 2 minutes; see %s", logPath)
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// servingURL finds the server's "serving" line in its JSON log.
func servingURL(logPath string) string {
	f, err := os.Open(logPath)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var rec struct {
			Msg string `json:"msg"`
			URL string `json:"url"`
		}
		if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "serving the paddles API" {
			return strings.TrimRight(rec.URL, "/")
		}
	}
	return ""
}

func (s *server) pid() int { return s.cmd.Process.Pid }

// stop sends SIGTERM (the server then stops its PostgreSQL) and waits.
func (s *server) stop() error {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(60 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
	return s.logFile.Close()
}

// localDatabaseURL reads where the server's own PostgreSQL listens from its postmaster.pid:
// the fifth line is the socket directory.
func localDatabaseURL(dataDir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, "pgdata", "postmaster.pid"))
	if err != nil {
		return "", fmt.Errorf("finding the server's PostgreSQL: %w", err)
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 5 || lines[4] == "" {
		return "", errors.New("postmaster.pid names no socket directory")
	}
	port := strings.TrimSpace(lines[3])
	return fmt.Sprintf("postgres://postgres@/paddles?host=%s&port=%s&sslmode=disable", url.QueryEscape(strings.TrimSpace(lines[4])), port), nil
}

// memory reads a process's resident set (VmRSS) and its peak (VmHWM), in KiB.
func memory(pid int) (rss, hwm int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			rss = n
		case "VmHWM":
			hwm = n
		}
	}
	return rss, hwm, nil
}

// rssSampler records the largest VmRSS seen between resets.
type rssSampler struct {
	mu   sync.Mutex
	peak int64
	stop chan struct{}
}

func sampleRSS(pid int, every time.Duration) *rssSampler {
	s := &rssSampler{stop: make(chan struct{})}
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if rss, _, err := memory(pid); err == nil {
				s.mu.Lock()
				s.peak = max(s.peak, rss)
				s.mu.Unlock()
			}
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// take returns the peak since the last call and starts over.
func (s *rssSampler) take() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.peak
	s.peak = 0
	return p
}

// profile fetches a CPU profile of the server for d into path (needs --pprof-addr).
func profile(ctx context.Context, pprofAddr string, d time.Duration, path string) error {
	u := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", pprofAddr, max(1, int(d.Round(time.Second).Seconds())))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, res.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, res.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// cpuTicks reads a process's user and system CPU time, in clock ticks (USER_HZ, 100 a second).
func cpuTicks(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return u + st
}

// childrenTicks sums cpuTicks over the children of parent (the postmaster's backends and
// workers) and parent itself.
func childrenTicks(parent int) int64 {
	total := cpuTicks(parent)
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		i := strings.LastIndexByte(string(b), ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(parent) {
			total += cpuTicks(pid)
		}
	}
	return total
}

// postmasterPID reads the PostgreSQL server's pid from its data directory.
func postmasterPID(dataDir string) int {
	b, err := os.ReadFile(filepath.Join(dataDir, "pgdata", "postmaster.pid"))
	if err != nil {
		return 0
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, _ := strconv.Atoi(strings.TrimSpace(first))
	return pid
}
