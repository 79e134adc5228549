package proxy

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// A pooled body stays intact while any reader the transport holds is
// open, even after the handler let go; the last close frees it.
func TestBodyBufReturnsOnlyAfterLastReader(t *testing.T) {
	want := strings.Repeat("x", 20<<10)
	bb, err := readBody(strings.NewReader(want), int64(len(want)), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if bb.class < 0 {
		t.Fatalf("a %d-byte body was not pooled", len(want))
	}
	r1, r2 := bb.reader(), bb.reader()
	if err := r1.Close(); err != nil {
		t.Fatal(err)
	}
	bb.drop() // the handler returns while r2 is still with the transport
	bb.drop() // twice: relay and the handler's defer both drop
	head := make([]byte, 1000)
	if n, err := io.ReadFull(r2, head); n != len(head) || err != nil || bb.b == nil {
		t.Fatalf("a reader part way through: %d bytes, %v, buffer kept %v", n, err, bb.b != nil)
	}
	rest, err := io.ReadAll(r2)
	if err != nil || string(head)+string(rest) != want {
		t.Fatalf("body read after the handler's release: %d bytes, %v", len(head)+len(rest), err)
	}
	// Read to the end, the reader lets go at once (the HTTP/2 transport
	// closes it only when the stream ends).
	if bb.b != nil {
		t.Fatal("buffer kept after its last reader read it to the end")
	}
	if n, err := r2.Read(make([]byte, 8)); n != 0 || err != io.EOF {
		t.Fatalf("read after the end = %d, %v; want io.EOF", n, err)
	}
	_ = r2.Close() // closing after the end must not release again
	_ = r2.Close()
	if bb.refs.Load() != 0 {
		t.Fatalf("refs = %d after every release", bb.refs.Load())
	}
}

// A reader closed before the end says so to a late read, and the last
// close of an unfinished reader frees the buffer.
func TestBodyReaderClosedEarly(t *testing.T) {
	want := strings.Repeat("y", 20<<10)
	bb, err := readBody(strings.NewReader(want), int64(len(want)), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	r := bb.reader()
	if _, err := io.ReadFull(r, make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	bb.drop()
	if bb.b == nil {
		t.Fatal("buffer freed while a reader was open")
	}
	_ = r.Close()
	if bb.b != nil {
		t.Fatal("buffer not returned after the last reader closed")
	}
	if n, err := r.Read(make([]byte, 8)); n != 0 || !errors.Is(err, errBodyClosed) {
		t.Fatalf("read after close = %d, %v; want errBodyClosed", n, err)
	}
	if bb.refs.Load() != 0 {
		t.Fatalf("refs = %d after every release", bb.refs.Load())
	}
}

// Bodies longer than declared, of unknown length or too large for a class
// are read whole and never pooled.
func TestReadBodyUnpooled(t *testing.T) {
	long := strings.Repeat("y", 40<<10)
	for _, tc := range []struct {
		name     string
		declared int64
		body     string
	}{
		{"longer than declared", 100, long},
		{"unknown length", -1, long},
		{"over the largest class", int64(2 << 20), strings.Repeat("z", 2<<20)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bb, err := readBody(strings.NewReader(tc.body), tc.declared, 4<<20)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(bb.b, []byte(tc.body)) {
				t.Fatalf("read %d bytes, want %d", len(bb.b), len(tc.body))
			}
			if bb.class >= 0 {
				t.Fatalf("pooled in class %d", bb.class)
			}
			bb.drop()
		})
	}
}

func TestBodyClass(t *testing.T) {
	for n, want := range map[int]int{1: 0, 16 << 10: 0, 16<<10 + 1: 1, 24 << 10: 1, 24<<10 + 1: 2, 1 << 20: len(bodyPools) - 1, 1<<20 + 1: -1, 0: -1} {
		if got := bodyClass(n); got != want {
			t.Errorf("bodyClass(%d) = %d, want %d", n, got, want)
		}
	}
	// Every size gets a buffer that holds it and wastes at most a third.
	for n := 1; n <= 1<<20; n += 997 {
		size := bodyClassSize(bodyClass(n))
		if size < n || (n > 16<<10 && 3*(size-n) > size) {
			t.Fatalf("a %d-byte body gets a %d-byte buffer", n, size)
		}
	}
}
