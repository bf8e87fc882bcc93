package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ceph/paddles-go/gen/api"
)

// A real browser renders /docs/ offline: headless Chromium loads the page from a test server,
// every operation of the spec is listed, and "Try it out" on GET /runs/ gets a 200 from the same
// server. Screenshots go to the test's artifact directory (kept with go test -artifacts).
//
// Chromium is found at $PADDLES_CHROMIUM, /usr/bin/chromium or on PATH; without it the test is
// skipped, except under CI (CI=true), where .ci/run installs it and a missing browser fails.
func TestDocsInBrowser(t *testing.T) {
	chromium := findChromium()
	if chromium == "" {
		msg := "!!! Chromium not found: TestDocsInBrowser did not run. Install it (apt-get install -y chromium) or set PADDLES_CHROMIUM."
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	start := time.Now()
	c := newServer(t)
	job, err := os.ReadFile("testdata/teuthology-job.json")
	if err != nil {
		t.Fatal(err)
	}
	c.post("/runs/"+runName+"/jobs/", job).must(t, 200)

	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	b := startBrowser(t, ctx, chromium)
	page := b.newPage()
	page.call("Page.enable", nil, nil)
	page.call("Page.navigate", map[string]any{"url": c.base + "/docs/"}, nil)

	// Every operation of the spec is listed, under its operationId.
	spec, err := api.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	want := operationIDs(spec)
	page.waitFor(fmt.Sprintf(`document.querySelectorAll(".opblock-summary-operation-id").length >= %d`, len(want)))
	var listed []string
	page.eval(`[...document.querySelectorAll(".opblock-summary-operation-id")].map(e => e.textContent.trim())`, &listed)
	sort.Strings(listed)
	if !reflect.DeepEqual(listed, want) {
		t.Errorf("the page lists\n%v\nthe spec has\n%v", listed, want)
	}
	page.screenshot(t, "docs.png")

	// Try it out: GET /runs/ from the page, answered by this server.
	op := "#operations-runs-listRuns"
	page.click(op + " .opblock-summary-control")
	page.click(op + " .try-out__btn")
	page.click(op + " .execute")
	live := op + " .live-responses-table tbody .response"
	page.waitFor(fmt.Sprintf(`document.querySelector(%q) !== null`, live))
	var status, body, url string
	page.eval(fmt.Sprintf(`document.querySelector(%q).textContent.trim()`, live+" .response-col_status"), &status)
	page.eval(fmt.Sprintf(`document.querySelector(%q).textContent`, live+" .response-col_description"), &body)
	page.eval(fmt.Sprintf(`document.querySelector(%q).textContent.trim()`, op+" .request-url pre"), &url)
	if status != "200" || !strings.Contains(body, runName) {
		t.Errorf("Try it out on GET /runs/ answered %q: %.300s", status, body)
	}
	if !strings.HasPrefix(url, c.base+"/runs/") {
		t.Errorf("Try it out requested %q, not this server", url)
	}
	page.screenshot(t, "try-it-out.png")

	// Nothing was loaded from anywhere but this server (the browser can resolve no other host).
	var resources []string
	page.eval(`performance.getEntriesByType("resource").map(e => e.name)`, &resources)
	for _, r := range resources {
		if !strings.HasPrefix(r, c.base+"/") {
			t.Errorf("the page loaded %s", r)
		}
	}
	t.Logf("Chromium listed %d operations and ran Try it out in %v", len(listed), time.Since(start).Round(time.Millisecond))
}

func findChromium() string {
	for _, p := range []string{os.Getenv("PADDLES_CHROMIUM"), "/usr/bin/chromium"} {
		if p != "" {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browser drives headless Chromium over the DevTools protocol on a pipe
// (--remote-debugging-pipe: JSON messages ending in NUL on file descriptors 3 and 4), which
// needs no websocket client and no port.
type browser struct {
	t       testing.TB
	ctx     context.Context
	mu      sync.Mutex
	w       io.Writer
	id      int
	pending map[int]chan cdpMessage
	done    chan struct{}
}

type cdpMessage struct {
	ID        int             `json:"id,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
	Method    string          `json:"method,omitempty"`
	Params    any             `json:"params,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

func startBrowser(t testing.TB, ctx context.Context, chromium string) *browser {
	t.Helper()
	toChrome, commands, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	replies, fromChrome, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(chromium,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--disable-extensions", "--mute-audio", "--hide-scrollbars",
		"--window-size=1280,1600",
		// Offline for real: no host but the test server's resolves.
		"--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
		"--user-data-dir="+t.TempDir(),
		"--remote-debugging-pipe", "about:blank")
	cmd.ExtraFiles = []*os.File{toChrome, fromChrome} // fds 3 and 4
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	toChrome.Close()
	fromChrome.Close()
	b := &browser{t: t, ctx: ctx, w: commands, pending: map[int]chan cdpMessage{}, done: make(chan struct{})}
	go b.read(replies)
	t.Cleanup(func() {
		closed := make(chan struct{})
		go func() { b.send("", "Browser.close", nil); cmd.Wait(); close(closed) }()
		select {
		case <-closed:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-closed
		}
		commands.Close()
		replies.Close()
		if t.Failed() {
			t.Logf("chromium's stderr:\n%s", stderr.String())
		}
	})
	return b
}

func (b *browser) read(r io.Reader) {
	defer close(b.done)
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadBytes(0)
		if err != nil {
			return
		}
		var m cdpMessage
		if json.Unmarshal(line[:len(line)-1], &m) != nil || m.ID == 0 {
			continue // events are not used
		}
		b.mu.Lock()
		ch := b.pending[m.ID]
		delete(b.pending, m.ID)
		b.mu.Unlock()
		if ch != nil {
			ch <- m
		}
	}
}

// send sends a command and returns the channel its reply arrives on.
func (b *browser) send(session, method string, params any) chan cdpMessage {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.id++
	ch := make(chan cdpMessage, 1)
	b.pending[b.id] = ch
	msg, _ := json.Marshal(cdpMessage{ID: b.id, SessionID: session, Method: method, Params: params})
	b.w.Write(append(msg, 0))
	return ch
}

func (b *browser) call(session, method string, params, result any) error {
	select {
	case m := <-b.send(session, method, params):
		if m.Error != nil {
			return fmt.Errorf("%s: %s", method, m.Error.Message)
		}
		if result != nil {
			return json.Unmarshal(m.Result, result)
		}
		return nil
	case <-b.done:
		return fmt.Errorf("%s: chromium exited", method)
	case <-b.ctx.Done():
		return fmt.Errorf("%s: %w", method, b.ctx.Err())
	}
}

// page is one tab.
type page struct {
	*browser
	session string
}

func (b *browser) newPage() *page {
	b.t.Helper()
	var target struct {
		TargetID string `json:"targetId"`
	}
	if err := b.call("", "Target.createTarget", map[string]any{"url": "about:blank"}, &target); err != nil {
		b.t.Fatal(err)
	}
	var attached struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.call("", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &attached); err != nil {
		b.t.Fatal(err)
	}
	return &page{b, attached.SessionID}
}

func (p *page) call(method string, params, result any) {
	p.t.Helper()
	if err := p.browser.call(p.session, method, params, result); err != nil {
		p.t.Fatal(err)
	}
}

// evaluate runs a JavaScript expression in the page and decodes its value into result.
func (p *page) evaluate(expr string, result any) error {
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	if err := p.browser.call(p.session, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}, &r); err != nil {
		return err
	}
	if e := r.ExceptionDetails; e != nil {
		return fmt.Errorf("%s: %s %s", expr, e.Text, e.Exception.Description)
	}
	if result == nil {
		return nil
	}
	return json.Unmarshal(r.Result.Value, result)
}

func (p *page) eval(expr string, result any) {
	p.t.Helper()
	if err := p.evaluate(expr, result); err != nil {
		p.t.Fatal(err)
	}
}

// waitFor polls until a JavaScript condition holds.
func (p *page) waitFor(cond string) {
	p.t.Helper()
	for {
		var ok bool
		err := p.evaluate("Boolean("+cond+")", &ok)
		if err == nil && ok {
			return
		}
		select {
		case <-p.ctx.Done():
			p.screenshot(p.t, "timeout.png")
			var text string
			p.evaluate(`document.body ? document.body.innerText.slice(0, 500) : ""`, &text)
			p.t.Fatalf("waiting for %s: %v (last error %v); the page shows: %s", cond, p.ctx.Err(), err, text)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// click waits for the element and clicks it.
func (p *page) click(selector string) {
	p.t.Helper()
	p.waitFor(fmt.Sprintf(`document.querySelector(%q) !== null`, selector))
	p.eval(fmt.Sprintf(`document.querySelector(%q).click()`, selector), nil)
}

// screenshot writes the whole page as a PNG into the test's artifact directory.
func (p *page) screenshot(t testing.TB, name string) {
	var metrics struct {
		ContentSize struct{ Width, Height float64 } `json:"cssContentSize"`
	}
	if err := p.browser.call(p.session, "Page.getLayoutMetrics", nil, &metrics); err != nil {
		t.Log(err)
		return
	}
	var shot struct {
		Data string `json:"data"`
	}
	clip := map[string]any{"x": 0, "y": 0, "width": metrics.ContentSize.Width, "height": min(metrics.ContentSize.Height, 12000), "scale": 1}
	if err := p.browser.call(p.session, "Page.captureScreenshot", map[string]any{"format": "png", "clip": clip, "captureBeyondViewport": true}, &shot); err != nil {
		t.Log(err)
		return
	}
	png, err := base64.StdEncoding.DecodeString(shot.Data)
	if err != nil {
		t.Log(err)
		return
	}
	dir := artifactDir(t)
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Log(err)
		return
	}
	t.Logf("screenshot: %s (%d bytes)", path, len(png))
}

func artifactDir(t testing.TB) string {
	if a, ok := t.(interface{ ArtifactDir() string }); ok {
		return a.ArtifactDir()
	}
	return t.TempDir()
}
