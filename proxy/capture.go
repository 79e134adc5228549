package proxy

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/sluice-proxy/sluice/proxy/journal"
	"github.com/sluice-proxy/sluice/proxy/redact"
	"github.com/sluice-proxy/sluice/vault"
)

// payloadKeyID is the keyring item holding the payload key. It cannot be
// an account id (those are 24 hex digits), and it keeps the key off the
// database file: a copied journal alone reveals no prompt.
const payloadKeyID = "sluice.payload-key"

// capture is one request's captured bodies, each held to the cap as they
// pass, so a long stream never costs more than the cap in memory.
type capture struct {
	req, resp capBuf
}

// capBuf keeps the first max bytes written to it and notes whether more
// came.
type capBuf struct {
	b         []byte
	max       int
	truncated bool
}

func (c *capBuf) write(p []byte) {
	if room := c.max - len(c.b); len(p) > room {
		c.truncated = true
		p = p[:max(room, 0)]
	}
	if len(p) == 0 {
		return
	}
	if need := len(c.b) + len(p); need > cap(c.b) {
		// Grow by doubling, but never past the cap.
		nb := make([]byte, len(c.b), min(max(2*cap(c.b), need, 4096), c.max))
		copy(nb, c.b)
		c.b = nb
	}
	c.b = append(c.b, p...)
}

// startCapture begins capturing a request when the setting is on; nil when
// it is off.
func (s *Service) startCapture(body []byte) *capture {
	st := s.Settings()
	if !st.Capture {
		return nil
	}
	c := &capture{req: capBuf{max: st.CaptureMaxBytes}, resp: capBuf{max: st.CaptureMaxBytes}}
	c.req.write(body)
	return c
}

// finishCapture redacts and seals the captured bodies into rec. The record
// id is the seal's additional data, so a payload cannot be passed off as
// another record's. A keyring failure costs the payload, not the record.
func (s *Service) finishCapture(rec *journal.Record, c *capture) {
	if rec.ID == "" {
		rec.ID = journal.NewID(rec.Time)
	}
	aead, err := s.captureAEAD()
	if err != nil {
		if !errors.Is(err, errKeyBackoff) {
			s.log.Warn("payload not captured: no payload key; retrying in 30s", "err", err)
		}
		return
	}
	rec.Payload = &journal.Payload{
		Request:           seal(aead, rec.ID, redact.Bytes(c.req.b)),
		Response:          seal(aead, rec.ID, redact.Bytes(c.resp.b)),
		RequestTruncated:  c.req.truncated,
		ResponseTruncated: c.resp.truncated,
	}
}

// keyBackoff is how long capture waits after failing to read the payload
// key before it asks the keyring again: a locked keyring would otherwise be
// asked (and warned about) on every request. Requests in between are
// journaled without their payload, never with it unencrypted.
const keyBackoff = 30 * time.Second

// errKeyBackoff is captureAEAD's answer within the back-off.
var errKeyBackoff = errors.New("proxy: payload key unavailable; waiting to ask the keyring again")

// captureAEAD is payloadAEAD for capture, with the back-off: after a
// failure, one request asks the keyring again once keyBackoff has passed
// (and warns if it fails again); the others get errKeyBackoff at once.
func (s *Service) captureAEAD() (cipher.AEAD, error) {
	now := s.now()
	s.jr.keyMu.Lock()
	if s.jr.key == nil {
		if now.Before(s.jr.keyRetry) {
			s.jr.keyMu.Unlock()
			return nil, errKeyBackoff
		}
		// Claim this attempt: concurrent requests wait out a back-off
		// rather than all asking a keyring that may be hung.
		s.jr.keyRetry = now.Add(keyBackoff)
	}
	s.jr.keyMu.Unlock()
	return s.payloadAEAD(true)
}

// payloadAEAD returns the payload cipher, reading the key from the keyring
// on first use and, when create is set, making one if there is none.
func (s *Service) payloadAEAD(create bool) (cipher.AEAD, error) {
	s.jr.keyMu.Lock()
	defer s.jr.keyMu.Unlock()
	if s.jr.key == nil {
		c, err := s.keyring.Get(payloadKeyID)
		switch {
		case err == nil:
			k, derr := base64.StdEncoding.DecodeString(c.APIKey)
			if derr != nil || len(k) != 32 {
				return nil, errors.New("proxy: the payload key in the keyring is damaged")
			}
			s.jr.key = k
		case errors.Is(err, vault.ErrNotFound) && create:
			k := make([]byte, 32)
			if _, err := rand.Read(k); err != nil {
				return nil, fmt.Errorf("proxy: make payload key: %w", err)
			}
			// The keyring stores credentials; an api-key one carries any
			// opaque string.
			if err := s.keyring.Put(payloadKeyID, vault.Credential{Kind: vault.KindAPIKey,
				APIKey: base64.StdEncoding.EncodeToString(k)}); err != nil {
				return nil, fmt.Errorf("proxy: store payload key: %w", err)
			}
			s.jr.key = k
		default:
			return nil, fmt.Errorf("proxy: read payload key: %w", err)
		}
	}
	block, err := aes.NewCipher(s.jr.key)
	if err != nil {
		return nil, fmt.Errorf("proxy: payload cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("proxy: payload cipher: %w", err)
	}
	return aead, nil
}

// seal encrypts plain with a random nonce, which it prepends.
func seal(aead cipher.AEAD, id string, plain []byte) []byte {
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	_, _ = rand.Read(nonce) // crypto/rand.Read never fails
	return aead.Seal(nonce, nonce, plain, []byte(id))
}

// unseal reverses seal.
func unseal(aead cipher.AEAD, id string, sealed []byte) ([]byte, error) {
	n := aead.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("proxy: sealed payload too short")
	}
	plain, err := aead.Open(nil, sealed[:n], sealed[n:], []byte(id))
	if err != nil {
		return nil, fmt.Errorf("proxy: open payload: %w", err)
	}
	return plain, nil
}

// projectHeader tags a request with a project for the journal; Claude Code
// sends it through ANTHROPIC_CUSTOM_HEADERS. It is never forwarded.
const projectHeader = "X-Sluice-Project"

// maxRecordField bounds the client-chosen strings kept per record, so a
// client cannot bloat the journal through its headers.
const maxRecordField = 200

// newRecord starts a request's record with what the client sent.
func newRecord(r *http.Request, now time.Time) *journal.Record {
	return &journal.Record{
		Time:      now,
		Method:    r.Method,
		Path:      r.URL.Path,
		Session:   truncate(r.Header.Get("X-Claude-Code-Session-Id"), maxRecordField),
		UserAgent: truncate(redact.String(r.UserAgent()), maxRecordField),
		Project:   truncate(r.Header.Get(projectHeader), maxRecordField),
	}
}

// truncate cuts s to at most n bytes, on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
