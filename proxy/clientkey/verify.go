package clientkey

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// Failure says why a presented key was refused; each has its own message,
// telling the user what to set.
type Failure int

// The reasons Verify gives.
const (
	OK          Failure = iota
	Missing             // no key at all
	Anthropic           // an Anthropic credential where a Sluice key belongs
	Wrong               // not a key of this install
	Revoked             // a key of this install, revoked
	Unavailable         // the HMAC secret cannot be read from the keyring
)

// SetKeyHelp is how to give Claude Code (or any Anthropic SDK) a key; the
// OpenAI route swaps it for its own help.
const SetKeyHelp = "Set ANTHROPIC_AUTH_TOKEN=sk-sluice-... (or ANTHROPIC_API_KEY) to a Sluice client key: the one shown when Sluice first started, `sluice env`, or a new one from `sluice keys create NAME` or the Sluice window."

// Message is what the client is told.
func (f Failure) Message() string {
	switch f {
	case Missing:
		return "Sluice requires a client key and this request carried none. " + SetKeyHelp
	case Anthropic:
		return "This request carries an Anthropic credential (sk-ant-...), not a Sluice client key; Sluice uses its own accounts and does not forward yours. " + SetKeyHelp
	case Revoked:
		return "This Sluice client key was revoked. " + SetKeyHelp
	case Unavailable:
		return "Sluice cannot verify client keys: the keyring holding their secret could not be read. Unlock the keyring and retry."
	default:
		return "This Sluice client key is not valid. " + SetKeyHelp
	}
}

func (f Failure) String() string {
	return [...]string{"ok", "no key", "anthropic credential", "wrong key", "revoked key", "keyring unavailable"}[f]
}

// Token is the credential a client sent: x-api-key, or a Bearer token
// (Claude Code sends one or the other, from ANTHROPIC_API_KEY or
// ANTHROPIC_AUTH_TOKEN). A Sluice key wins if both are present.
func Token(r *http.Request) string {
	api := strings.TrimSpace(r.Header.Get("X-Api-Key"))
	var bearer string
	if a := r.Header.Get("Authorization"); len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
		bearer = strings.TrimSpace(a[7:])
	}
	if strings.HasPrefix(bearer, Marker) && !strings.HasPrefix(api, Marker) {
		return bearer
	}
	if api != "" {
		return api
	}
	return bearer
}

// Verify finds the key token is. The digest is computed whatever the
// token's prefix, and compared in constant time against every key sharing
// the prefix, so timing tells nothing about the secret part. err is set
// with Unavailable only.
func (s *Set) Verify(token string) (*Key, Failure, error) {
	switch {
	case token == "":
		return nil, Missing, nil
	case strings.HasPrefix(token, "sk-ant-"):
		return nil, Anthropic, nil
	case len(token) != Len || !strings.HasPrefix(token, Marker):
		return nil, Wrong, nil
	}
	secret, err := s.Secret()
	if err != nil {
		return nil, Unavailable, err
	}
	var sum [32]byte
	s.macs.digest(secret, token, &sum)
	s.mu.RLock()
	defer s.mu.RUnlock()
	var found *Key
	for _, k := range s.byPrefix[token[len(Marker):len(Marker)+LookupLen]] {
		if subtle.ConstantTimeCompare(k.rec.Hash, sum[:]) == 1 {
			found = k
		}
	}
	switch {
	case found == nil:
		return nil, Wrong, nil
	case !found.rec.RevokedAt.IsZero():
		return nil, Revoked, nil
	}
	return found, OK, nil
}
