package paddles

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// DECISIONS 4: naive UTC, microseconds only when non-zero.
func TestFormatTime(t *testing.T) {
	tests := []struct {
		in   time.Time
		want string
	}{
		{time.Date(2026, 1, 15, 10, 20, 30, 0, time.UTC), "2026-01-15 10:20:30"},
		{time.Date(2026, 1, 15, 10, 20, 30, 153258000, time.UTC), "2026-01-15 10:20:30.153258"},
		{time.Date(2026, 1, 15, 10, 20, 30, 1000, time.UTC), "2026-01-15 10:20:30.000001"},
		{time.Date(2026, 1, 15, 10, 20, 30, 500000000, time.UTC), "2026-01-15 10:20:30.500000"},
		{time.Date(2026, 1, 15, 10, 20, 30, 120000000, time.UTC), "2026-01-15 10:20:30.120000"},
		// Below a microsecond: nothing to show.
		{time.Date(2026, 1, 15, 10, 20, 30, 999, time.UTC), "2026-01-15 10:20:30"},
		// Nanoseconds are cut, not rounded.
		{time.Date(2026, 1, 15, 10, 20, 30, 123456789, time.UTC), "2026-01-15 10:20:30.123456"},
		{time.Date(2026, 1, 15, 10, 20, 30, 999999999, time.UTC), "2026-01-15 10:20:30.999999"},
		// Always UTC.
		{time.Date(2026, 1, 15, 12, 20, 30, 0, time.FixedZone("EET", 2*3600)), "2026-01-15 10:20:30"},
		{time.Date(2026, 1, 15, 1, 0, 0, 5000, time.FixedZone("CET", 3600)), "2026-01-15 00:00:00.000005"},
		{time.Date(2026, 1, 14, 22, 0, 0, 0, time.FixedZone("X", -3*3600)), "2026-01-15 01:00:00"},
		{time.Date(2026, 1, 15, 10, 20, 30, 0, time.Local), time.Date(2026, 1, 15, 10, 20, 30, 0, time.Local).UTC().Format("2006-01-02 15:04:05")},
		{time.Date(2024, 2, 29, 23, 59, 59, 0, time.UTC), "2024-02-29 23:59:59"},
	}
	for _, tt := range tests {
		if got := FormatTime(tt.in); got != tt.want {
			t.Errorf("FormatTime(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseTime(t *testing.T) {
	utc := func(y int, mo time.Month, d, h, mi, s, us int) time.Time {
		return time.Date(y, mo, d, h, mi, s, us*1000, time.UTC)
	}
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2026-01-15_10:20:30", utc(2026, 1, 15, 10, 20, 30, 0)},
		{"2026-01-15 10:20:30", utc(2026, 1, 15, 10, 20, 30, 0)},
		{"2026-01-15 10:20:30.123456", utc(2026, 1, 15, 10, 20, 30, 123456)},
		{"2026-01-15 10:20:30.1", utc(2026, 1, 15, 10, 20, 30, 100000)},
		{"2026-01-15 10:20:30.000001", utc(2026, 1, 15, 10, 20, 30, 1)},
		{"2026-01-15T10:20:30", utc(2026, 1, 15, 10, 20, 30, 0)},
		{"2026-01-15T10:20:30Z", utc(2026, 1, 15, 10, 20, 30, 0)},
		{"2026-01-15T10:20:30.123456Z", utc(2026, 1, 15, 10, 20, 30, 123456)},
		{"2026-01-15 10:20:30Z", utc(2026, 1, 15, 10, 20, 30, 0)},
		{"2026-01-15_10:20:30.5", utc(2026, 1, 15, 10, 20, 30, 500000)},
		{" 2026-01-15 10:20:30 ", utc(2026, 1, 15, 10, 20, 30, 0)},
		// Below a microsecond is cut.
		{"2026-01-15 10:20:30.123456789", utc(2026, 1, 15, 10, 20, 30, 123456)},
		{"2024-02-29 00:00:00", utc(2024, 2, 29, 0, 0, 0, 0)},
	}
	for _, tt := range tests {
		got, ok := parseTime(tt.in)
		if !ok || !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("parseTime(%q) = %v, %v; want %v", tt.in, got, ok, tt.want)
		}
		// What is parsed is written back in the wire format.
		if ok && FormatTime(got) != FormatTime(tt.want) {
			t.Errorf("FormatTime(parseTime(%q)) = %q", tt.in, FormatTime(got))
		}
	}
	for _, in := range []string{
		"", "Z", "2026-01-15", "2026-01-15_", "10:20:30", "2026-01-15 10:20", "2026/01/15 10:20:30",
		"15-01-2026 10:20:30", "2026-13-01 00:00:00", "2026-02-30 00:00:00", "2023-02-29 00:00:00",
		"2026-01-15 24:00:00", "2026-01-15 10:60:00", "2026-01-15 10:20:61", "2026-01-15X10:20:30",
		"2026-01-15 10:20:30+02:00", "2026-01-15 10:20:30 UTC", "2026-01-15 10:20:30.", "2026-01-15 10:20:30.abc",
		"yesterday", "1768472430",
	} {
		if got, ok := parseTime(in); ok {
			t.Errorf("parseTime(%q) = %v, true; want invalid", in, got)
		}
	}
}

// Round trip of the timestamps teuthology reads back (str(datetime) form).
func TestFormatParseTimeRoundTrip(t *testing.T) {
	for _, us := range []int{0, 1, 10, 153258, 500000, 999999} {
		in := time.Date(2026, 1, 15, 10, 20, 30, us*1000, time.UTC)
		got, ok := parseTime(FormatTime(in))
		if !ok || !got.Equal(in) {
			t.Errorf("parseTime(FormatTime(%v)) = %v, %v", in, got, ok)
		}
	}
}

var trickyStrings = []string{
	"",
	"plain",
	`"`,
	`\`,
	`a"b\c`,
	`\"`,
	`\u0000`,
	"\x00",
	"a\x00b",
	"\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f",
	"\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f",
	"\n\r\t\b\f",
	"line1\nline2\r\n",
	" \x7f ",
	"<script>&amp;</script>",
	"/slash/",
	"é ü ñ 中文 日本語",
	"😀 🏳️‍🌈",
	"\u2028\u2029",
	"a\u2028b\u2029c",
	"\ufeff BOM",
	"\uffff\U0010ffff",
	"\u0080\u009f",
	strings.Repeat(`"\`, 100),
}

func TestAppendString(t *testing.T) {
	for _, s := range trickyStrings {
		b := appendString(nil, s)
		if !json.Valid(b) {
			t.Errorf("appendString(%q) = %s: invalid JSON", s, b)
			continue
		}
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Errorf("appendString(%q) = %s: %v", s, b, err)
			continue
		}
		if got != s {
			t.Errorf("appendString(%q) = %s, decodes to %q", s, b, got)
		}
		// Inside an object too.
		obj := append(appendString([]byte(`{`), "k"), ':')
		obj = append(appendString(obj, s), '}')
		var m map[string]string
		if err := json.Unmarshal(obj, &m); err != nil || m["k"] != s {
			t.Errorf("object %s: %v, %q", obj, err, m["k"])
		}
	}
}

func TestAppendStringExact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `""`},
		{"abc", `"abc"`},
		{`a"b`, `"a\"b"`},
		{`a\b`, `"a\\b"`},
		{"\n\r\t", `"\n\r\t"`},
		{"\x00", `"\u0000"`},
		{"\x1f", `"\u001f"`},
		{"\x08\x0c", `"\u0008\u000c"`},
		{"\x7f", "\"\x7f\""},
		{"é", `"é"`},
		{"\u2028", "\"\u2028\""},
		{"<>&", `"<>&"`},
	}
	for _, tt := range tests {
		if got := string(appendString(nil, tt.in)); got != tt.want {
			t.Errorf("appendString(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
	// It appends to what the buffer holds.
	if got := string(appendString([]byte(`["x",`), `y"`)); got != `["x","y\""` {
		t.Errorf("appendString appended %s", got)
	}
}

func TestAppendScalars(t *testing.T) {
	ts := time.Date(2026, 1, 15, 10, 20, 30, 0, time.UTC)
	tests := []struct {
		got, want string
	}{
		{string(appendText(nil, nil)), `null`},
		{string(appendText(nil, ptr(`a"b`))), `"a\"b"`},
		{string(appendBool(nil, nil)), `null`},
		{string(appendBool(nil, ptr(true))), `true`},
		{string(appendBool(nil, ptr(false))), `false`},
		{string(appendInt(nil, nil)), `null`},
		{string(appendInt(nil, ptr[int64](-42))), `-42`},
		{string(appendJSON(nil, nil)), `null`},
		{string(appendJSON(nil, json.RawMessage{})), `null`},
		{string(appendJSON(nil, json.RawMessage(`{"b":1,"a":2}`))), `{"b":1,"a":2}`},
		{string(appendTime(nil, nil)), `null`},
		{string(appendTime(nil, &ts)), `"2026-01-15 10:20:30"`},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %s, want %s", tt.got, tt.want)
		}
	}
}

// For valid UTF-8, encoding/json decodes appendString's output back to its input.
func FuzzAppendString(f *testing.F) {
	for _, s := range trickyStrings {
		f.Add(s)
	}
	f.Add("\xff")    // invalid UTF-8: skipped
	f.Add("a\xc3(b") // invalid UTF-8: skipped
	f.Fuzz(func(t *testing.T, s string) {
		b := appendString([]byte("x"), s)
		if b[0] != 'x' {
			t.Fatalf("prefix lost: %q", b)
		}
		b = b[1:]
		if !utf8.ValidString(s) {
			return
		}
		if !json.Valid(b) {
			t.Fatalf("appendString(%q) = %q: invalid JSON", s, b)
		}
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("appendString(%q) = %q: %v", s, b, err)
		}
		if got != s {
			t.Fatalf("appendString(%q) = %q, decodes to %q", s, b, got)
		}
	})
}
