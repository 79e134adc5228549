package proxy

import (
	"bytes"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
)

// scrubEcho keeps the credential a request carried out of the response:
// a hostile or broken upstream (or a debugging proxy) echoing the
// account's key or token, in a header or in the body, as it is, in
// another case, base64-encoded or cut to a long prefix, must not hand it
// to the client. A header that holds it is dropped; in a body it is
// masked as it streams, without buffering the body.
type scrubEcho struct {
	next  http.RoundTripper
	log   *slog.Logger
	forms *formCache // nil: computed per request
}

// minSecret is the shortest credential worth looking for, and the length
// of the prefix looked for: shorter values would match innocent text.
const minSecret = 16

// RoundTrip sends req and scrubs the response's header and body.
func (t scrubEcho) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil || resp == nil {
		return resp, err
	}
	var forms [][]byte
	if k := req.Header.Get("X-Api-Key"); len(k) >= minSecret {
		forms = t.forms.of(k)
	}
	if a := req.Header.Get("Authorization"); len(a) > 7 && len(a[7:]) >= minSecret && strings.EqualFold(a[:7], "bearer ") {
		forms = append(forms[:len(forms):len(forms)], t.forms.of(a[7:])...)
	}
	if len(forms) == 0 {
		return resp, nil
	}
	for name, vv := range resp.Header {
		for _, v := range vv {
			if echoes(v, forms) {
				delete(resp.Header, name)
				t.log.Warn("upstream echoed the account's credential in a response header; dropped it", "header", name)
				break
			}
		}
	}
	if resp.Body != nil && resp.Body != http.NoBody {
		resp.Body = &scrubBody{r: resp.Body, forms: forms, log: t.log}
	}
	return resp, nil
}

// formCache keeps each credential's forms, so a request does not encode
// them again. Bounded: it is emptied when it outgrows maxForms entries
// (credentials are few; a refreshed token adds one).
type formCache struct {
	mu sync.Mutex
	m  map[string][][]byte
}

const maxForms = 256

func (c *formCache) of(secret string) [][]byte {
	if c == nil {
		return secretForms(secret)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if f, ok := c.m[secret]; ok {
		return f
	}
	if c.m == nil || len(c.m) >= maxForms {
		c.m = map[string][][]byte{}
	}
	f := secretForms(secret)
	c.m[secret] = f
	return f
}

// secretForms are the shapes of a secret an echo may take: as it is,
// lower- and upper-cased, and base64-encoded (standard and URL alphabet).
// Each is matched by its first minSecret bytes, so a long prefix is
// caught too.
func secretForms(s string) [][]byte {
	b := []byte(s)
	return [][]byte{b, bytes.ToLower(b), bytes.ToUpper(b),
		[]byte(base64.StdEncoding.EncodeToString(b)), []byte(base64.RawURLEncoding.EncodeToString(b))}
}

// echoes reports whether a header value holds a form's prefix, in any
// case, without allocating.
func echoes(v string, forms [][]byte) bool {
	for _, f := range forms {
		n := string(f[:minSecret])
		for i := 0; i+len(n) <= len(v); i++ {
			if strings.EqualFold(v[i:i+len(n)], n) {
				return true
			}
		}
	}
	return false
}

// scrubBody masks a secret's forms in a body as it is read, in the
// reader's own buffer and byte for byte (the length, and so
// Content-Length, is unchanged). A read's tail that could begin a form is
// held back and scanned again with the next read, so a secret split
// across two reads (two SSE chunks) is still caught; every other byte
// leaves at once, so a stream's events are not delayed.
type scrubBody struct {
	r      io.ReadCloser
	forms  [][]byte
	log    *slog.Logger
	tail   []byte // undecided bytes of the last read
	err    error  // the upstream's read error, returned once tail is out
	small  []byte // a buffer for readers too small to scan in place
	out    []byte // scanned bytes of small not yet returned
	warned bool
}

func (s *scrubBody) Read(p []byte) (int, error) {
	if len(s.out) == 0 && len(p) < 4*minSecret+len(s.tail) {
		// Too small to scan in place: read through a buffer of our own.
		if s.small == nil {
			s.small = make([]byte, 4096)
		}
		n, err := s.read(s.small)
		s.out = s.small[:n]
		if n == 0 {
			return 0, err
		}
	}
	if len(s.out) > 0 {
		n := copy(p, s.out)
		s.out = s.out[n:]
		return n, nil
	}
	return s.read(p)
}

func (s *scrubBody) read(p []byte) (int, error) {
	for {
		if s.err != nil {
			n := copy(p, s.tail)
			s.tail = s.tail[n:]
			if n > 0 {
				return n, nil
			}
			return 0, s.err
		}
		k := copy(p, s.tail)
		n, err := s.r.Read(p[k:])
		s.err = err
		data := p[:k+n]
		hold := s.scrub(data, err != nil)
		s.tail = append(s.tail[:0], data[hold:]...)
		if hold > 0 {
			return hold, nil
		}
	}
}

// scrub masks every form's prefix in data (and as much of the form as
// follows it) and returns how many bytes may be released: all, unless
// data ends inside what could still be a form (never at the end).
func (s *scrubBody) scrub(data []byte, final bool) int {
	release := len(data)
	for _, f := range s.forms {
		needle := f[:minSecret]
		for i := 0; ; {
			j := bytes.Index(data[i:], needle)
			if j < 0 {
				break
			}
			start := i + j
			n := minSecret
			for n < len(f) && start+n < len(data) && data[start+n] == f[n] {
				n++
			}
			if !final && start+n == len(data) && n < len(f) {
				release = min(release, start) // the form may go on in the next read
				break
			}
			for k := start; k < start+n; k++ {
				data[k] = '*'
			}
			if !s.warned {
				s.warned = true
				s.log.Warn("upstream echoed the account's credential in a response body; masked it")
			}
			i = start + n
		}
		if final {
			continue
		}
		// A tail that is the start of the needle may become one.
		for k := max(len(data)-minSecret+1, 0); k < len(data); k++ {
			if data[k] == needle[0] && bytes.HasPrefix(needle, data[k:]) {
				release = min(release, k)
				break
			}
		}
	}
	return release
}

func (s *scrubBody) Close() error { return s.r.Close() }
