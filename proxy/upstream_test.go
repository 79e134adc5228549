package proxy_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sluice-proxy/sluice/proxy"
)

// A hostile upstream answers with a gzip bomb and echoes the credential it
// was sent in its response headers. The client gets the body compressed,
// as it came (not inflated by Sluice), and none of the echoes.
func TestHostileUpstreamBombAndEcho(t *testing.T) {
	var bomb bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&bomb, gzip.BestCompression)
	zeros := make([]byte, 1<<20)
	for i := 0; i < 16; i++ { // 16 MiB inflated
		zw.Write(zeros)
	}
	zw.Close()
	var gotEncoding string
	hostile := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotEncoding = r.Header.Get("Accept-Encoding")
		h := w.Header()
		h.Set("X-Echo", "you sent "+r.Header.Get("X-Api-Key"))
		h.Set("Set-Cookie", "session="+r.Header.Get("X-Api-Key"))
		h.Set("Content-Type", "application/json")
		h.Set("Content-Encoding", "gzip")
		h.Set("X-Harmless", "kept")
		w.Write(bomb.Bytes())
	}))
	defer hostile.Close()
	e := newEnv(t, withConfig(func(c *proxy.Config) { c.Upstream = hostile.URL }))
	e.addKey("work", accountKey)

	req, _ := http.NewRequest("POST", e.srv.URL+"/v1/messages", strings.NewReader(`{}`))
	e.authorize(req)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := (&http.Client{Transport: &http.Transport{DisableCompression: true}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		t.Fatal(err)
	}
	if gotEncoding != "identity" {
		t.Errorf("upstream was asked for %q, want identity", gotEncoding)
	}
	if resp.Header.Get("Content-Encoding") != "gzip" || !bytes.Equal(body, bomb.Bytes()) {
		t.Errorf("body relayed as %d bytes (encoding %q), want the %d compressed bytes as sent",
			len(body), resp.Header.Get("Content-Encoding"), bomb.Len())
	}
	for name, vv := range resp.Header {
		for _, v := range vv {
			if strings.Contains(v, "ACCOUNTSECRET") {
				t.Errorf("credential echoed to the client in %s", name)
			}
		}
	}
	if resp.Header.Get("X-Harmless") != "kept" {
		t.Error("innocent upstream headers were dropped")
	}
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Error("no nosniff on an upstream response")
	}
}
