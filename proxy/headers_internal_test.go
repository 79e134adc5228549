package proxy

import (
	"net/http"
	"slices"
	"testing"
)

// A page's request gets Vary: Origin from the CORS guard before the
// upstream's answer is copied; the upstream's own Vary must not replace it
// (a cache would then serve one origin's answer to another), and the
// upstream's header, whose value slices are shared, must not change.
func TestCopyResponseHeaderKeepsTheGuardsVary(t *testing.T) {
	dst := http.Header{}
	dst.Set("Access-Control-Allow-Origin", "http://localhost:5173")
	dst.Add("Vary", "Origin")
	src := http.Header{
		"Vary":         {"Accept-Encoding"},
		"Content-Type": {"application/json"},
		"Connection":   {"close"},
	}
	copyResponseHeader(dst, src)
	if got := dst.Values("Vary"); !slices.Equal(got, []string{"Origin", "Accept-Encoding"}) {
		t.Errorf("Vary %q; want Origin and Accept-Encoding", got)
	}
	if dst.Get("Content-Type") != "application/json" || dst.Get("Connection") != "" {
		t.Errorf("copied header %v", dst)
	}
	if got := src["Vary"]; !slices.Equal(got, []string{"Accept-Encoding"}) {
		t.Errorf("the upstream's Vary became %q", got)
	}
	// Without a Vary of ours, the upstream's is forwarded as it came.
	plain := http.Header{}
	copyResponseHeader(plain, src)
	if got := plain.Values("Vary"); !slices.Equal(got, []string{"Accept-Encoding"}) {
		t.Errorf("Vary %q; want the upstream's", got)
	}
}
