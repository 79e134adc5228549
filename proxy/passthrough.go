package proxy

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/pool"
)

// passthrough is the state of passthrough mode (Config.Passthrough): the
// credentials seen, as "observed" accounts in a pool of their own that is
// never picked from. Its zero value is ready. Nothing of it is persisted:
// it holds no token, only a short hash naming each credential.
type passthrough struct {
	mu   sync.Mutex
	pool *pool.Pool
	ids  []string
}

// observedKind is the Kind of accounts seen in passthrough mode.
const observedKind = "observed"

// clientCredential returns the Anthropic credential the client sent itself
// (an sk-ant- API key in x-api-key, or an sk-ant- OAuth token as a Bearer),
// "" when it sent none. It reads the headers as the key guard does
// (clientToken): a request the guard let in for its Anthropic credential is
// passed through, never served by the pool, and one carrying a Sluice key
// is a Sluice request whose key must not reach the upstream.
func clientCredential(r *http.Request) string {
	if t := clientToken(r); strings.HasPrefix(t, "sk-ant-") {
		return t
	}
	return ""
}

// observedID names a credential by a short hash, so its limits can be shown
// without the credential being kept anywhere.
func observedID(cred string) string {
	sum := sha256.Sum256([]byte(cred))
	return "observed-" + hex.EncodeToString(sum[:4])
}

// observed returns the pool of observed credentials, adding id to it.
func (s *Service) observed(id string) *pool.Pool {
	p := &s.passthru
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pool == nil {
		// Only "session" and the clock matter: this pool is never picked from.
		p.pool, _ = pool.New(pool.Options{Now: s.now})
	}
	if !slices.Contains(p.ids, id) {
		p.ids = append(p.ids, id)
		accts := make([]pool.Account, len(p.ids))
		for i, x := range p.ids {
			accts[i] = pool.Account{ID: x, Name: x, Kind: observedKind}
		}
		p.pool.SetAccounts(accts)
	}
	return p.pool
}

// passThrough forwards a request that carries the client's own Anthropic
// credential, when passthrough mode is on: with that credential and the
// client's headers unchanged (hop-by-hop fields aside), nothing added, no
// failover. Sluice only observes: the journal record and the credential's
// limit windows. It reports whether it handled the request, and the
// failure to answer if it failed: the same as the pooled path's for the
// same fault (a timeout after the request was sent is 504 on both).
func (s *Service) passThrough(w http.ResponseWriter, req *request) (bool, error) {
	if !s.cfg.Passthrough {
		return false, nil
	}
	cred := clientCredential(req.r)
	if cred == "" {
		return false, nil
	}
	id := observedID(cred)
	req.rec.AccountID, req.rec.Attempts = id, 1
	up, err := http.NewRequestWithContext(req.r.Context(), req.r.Method, s.upstreamURL(req), http.NoBody)
	if err != nil {
		return true, errNotForwardable
	}
	up.Header = req.r.Header.Clone()
	removeHop(up.Header)
	// The client's own credential goes as it came; Sluice's project tag
	// stays here, and bodies come uncompressed as on the pooled path, so
	// the usage meter and the OpenAI translation read plain text.
	up.Header.Del(projectHeader)
	up.Header.Set("Accept-Encoding", "identity")
	req.setBody(up)
	resp, err := s.roundTrip(up)
	if err != nil {
		if req.r.Context().Err() != nil {
			return true, errClientGone
		}
		return true, err // a *RoundTripError, answered as the pooled path's
	}
	// A credential the upstream refused is not kept: any local program may
	// send made-up sk-ant- strings, which must not grow the observed pool.
	if resp.StatusCode != http.StatusUnauthorized {
		s.observed(id).Observe(id, resp.StatusCode, resp.Header)
	}
	req.rec.Lane = laneOf(resp.Header)
	s.relay(w, req, pool.Account{ID: id, Name: id, Kind: observedKind}, resp)
	return true, nil
}

// ObservedAccounts lists the credentials seen in passthrough mode, by
// short hash, with the limit windows their answers showed. It holds no
// secret.
func (s *Service) ObservedAccounts() []api.AccountView {
	s.passthru.mu.Lock()
	p := s.passthru.pool
	s.passthru.mu.Unlock()
	if p == nil {
		return nil
	}
	var out []api.AccountView
	for _, st := range p.Snapshot() {
		v := api.AccountView{ID: st.ID, Name: st.Name, Kind: observedKind, State: api.State(st.State),
			LimitedUntil: st.LimitedUntil, Reason: st.Reason}
		for _, w := range st.Limits.Windows {
			v.Windows = append(v.Windows, window(w))
		}
		v.FiveHour, v.SevenDay = window(st.Limits.FiveHour), window(st.Limits.SevenDay)
		v.SevenDayOpus, v.SevenDaySonnet = window(st.Limits.SevenDayOpus), window(st.Limits.SevenDaySonnet)
		out = append(out, v)
	}
	return out
}
