package paddles

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// Timestamps go on the wire as upstream paddles wrote Python's str(datetime): naive UTC, with
// microseconds only when there are any.
const (
	wireTime      = "2006-01-02 15:04:05"
	wireTimeMicro = "2006-01-02 15:04:05.000000"
)

// FormatTime renders t as a wire timestamp.
func FormatTime(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()/1000 == 0 {
		return t.Format(wireTime)
	}
	return t.Format(wireTimeMicro)
}

// parseTime reads the timestamps teuthology sends: "2006-01-02_15:04:05" (job timestamp) or
// "2006-01-02 15:04:05[.ffffff]" (str(datetime)), also with a "T" and a trailing "Z". They are
// taken as UTC, as upstream paddles does on servers running in UTC.
func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSuffix(strings.TrimSpace(s), "Z")
	if len(s) > 10 && (s[10] == '_' || s[10] == 'T') {
		s = s[:10] + " " + s[11:]
	}
	t, err := time.ParseInLocation("2006-01-02 15:04:05.999999999", s, time.UTC)
	if err != nil {
		return time.Time{}, false
	}
	return t.Truncate(time.Microsecond), true
}

// JSON value decoders. Each returns a message (without the key) when the value does not fit.

func decodeText(raw json.RawMessage) (*string, string) {
	switch raw[0] {
	case 'n':
		return nil, ""
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, "must be a string"
		}
		if strings.IndexByte(s, 0) >= 0 {
			return nil, "must not contain NUL (\\u0000) characters"
		}
		return &s, ""
	case '{', '[':
		return nil, "must be a string"
	default:
		// Numbers and booleans keep their JSON spelling, as upstream stored them
		// (YAML turns an unquoted os_version 8.6 into a number).
		s := string(raw)
		return &s, ""
	}
}

func decodeBool(raw json.RawMessage) (*bool, string) {
	switch string(raw) {
	case "null":
		return nil, ""
	case "true", "false":
		b := raw[0] == 't'
		return &b, ""
	}
	return nil, "must be true, false or null"
}

// decodeInt accepts integers, floats (rounded half to even, as PostgreSQL casts them) and
// strings holding a number.
func decodeInt(raw json.RawMessage) (*int64, string) {
	s := string(raw)
	switch raw[0] {
	case 'n':
		return nil, ""
	case '"':
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, "must be a number"
		}
		s = strings.TrimSpace(s)
	}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return &i, ""
	}
	if strings.ContainsAny(s, "xX_") {
		// ParseFloat also reads Go's hex floats and digit separators, which JSON, PostgreSQL
		// and Python do not.
		return nil, "must be a number"
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, "must be a number"
	}
	f = math.RoundToEven(f)
	if f < math.MinInt64 || f >= math.MaxInt64 {
		return nil, "is out of range"
	}
	i := int64(f)
	return &i, ""
}

// decodeID accepts a non-empty string or an integer, as teuthology sends job ids and pids.
func decodeID(raw json.RawMessage) (*string, string) {
	switch raw[0] {
	case 'n':
		return nil, ""
	case '"':
		s, msg := decodeText(raw)
		return s, msg
	}
	if _, err := strconv.ParseInt(string(raw), 10, 64); err != nil {
		return nil, "must be a string or an integer"
	}
	s := string(raw)
	return &s, ""
}

// decodeJSON keeps any JSON value as sent, minus insignificant whitespace: key order, number
// spelling and escapes survive.
func decodeJSON(raw json.RawMessage) (json.RawMessage, string) {
	if string(raw) == "null" {
		return nil, ""
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, "must be valid JSON"
	}
	return buf.Bytes(), ""
}

func decodeTime(raw json.RawMessage) (*time.Time, string) {
	if raw[0] == 'n' {
		return nil, ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, "must be a string like 2026-01-15_10:20:30"
	}
	t, ok := parseTime(s)
	if !ok {
		return nil, "must be a time like 2026-01-15_10:20:30 or 2026-01-15 10:20:30.123456"
	}
	return &t, ""
}

// JSON value encoders, append-style so a listing is written into one buffer.

// appendString writes s as a JSON string. Text reaching here is valid UTF-8 (request bodies are
// checked and PostgreSQL stores UTF-8), so only quotes, backslashes and control characters need
// escaping.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case '\t':
			b = append(b, `\t`...)
		default:
			b = append(b, `\u00`...)
			b = append(b, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func appendText(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return appendString(b, *s)
}

func appendBool(b []byte, v *bool) []byte {
	if v == nil {
		return append(b, "null"...)
	}
	return strconv.AppendBool(b, *v)
}

func appendInt(b []byte, v *int64) []byte {
	if v == nil {
		return append(b, "null"...)
	}
	return strconv.AppendInt(b, *v, 10)
}

func appendJSON(b []byte, v json.RawMessage) []byte {
	if len(v) == 0 {
		return append(b, "null"...)
	}
	return append(b, v...)
}

// appendTime writes FormatTime's text, quoted, straight into b: it holds nothing to escape.
func appendTime(b []byte, t *time.Time) []byte {
	if t == nil {
		return append(b, "null"...)
	}
	u := t.UTC()
	b = append(b, '"')
	if u.Nanosecond()/1000 == 0 {
		b = u.AppendFormat(b, wireTime)
	} else {
		b = u.AppendFormat(b, wireTimeMicro)
	}
	return append(b, '"')
}
