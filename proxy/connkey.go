package proxy

import (
	"context"
	"errors"
	"fmt"

	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/clientkey"
	"github.com/sluice-proxy/sluice/vault"
)

// connectionItem is the keyring item holding the connection key's secret:
// the key "Copy connection settings", "Set up Claude Code" and `sluice env`
// hand out. The journal keeps only digests, so without this item those
// actions would have no key to give after a restart. Like the HMAC secret,
// it never touches SQLite.
const connectionItem = "sluice-connection-key"

// connectionName is the name a minted connection key gets (with a number
// after it when a live key already has the name).
const connectionName = "connection"

// ConnectionKey returns the key that connection settings carry, with its
// secret: the one kept in the keyring while it is still live, else a fresh
// one, minted and kept in its place (minted is then true, so the caller
// can say that the key changed). It never returns a revoked or unknown
// key.
func (s *Service) ConnectionKey(ctx context.Context) (view api.KeyView, secret string, minted bool, err error) {
	s.keys.connMu.Lock()
	defer s.keys.connMu.Unlock()
	c, err := s.keyring.Get(connectionItem)
	switch {
	case err == nil:
		k, fail, err := s.keys.set.Verify(c.APIKey)
		if err != nil {
			return api.KeyView{}, "", false, fmt.Errorf("connection key: %w", err)
		}
		if fail == clientkey.OK {
			return s.keyView(s.keys.set.Record(k)), c.APIKey, false, nil
		}
		// Revoked, or from another install's journal: replace it.
	case !errors.Is(err, vault.ErrNotFound):
		return api.KeyView{}, "", false, fmt.Errorf("connection key: read the keyring: %w", err)
	}
	for i := 1; ; i++ {
		name := connectionName
		if i > 1 {
			name = fmt.Sprintf("%s %d", connectionName, i)
		}
		if s.keys.set.Named(name) != nil {
			continue
		}
		view, secret, err = s.CreateKey(ctx, api.KeyOptions{Name: name})
		if err != nil {
			return api.KeyView{}, "", false, fmt.Errorf("connection key: %w", err)
		}
		break
	}
	if err := s.keepConnectionKey(secret); err != nil {
		return api.KeyView{}, "", false, err
	}
	return view, secret, true, nil
}

// keepConnectionKey stores secret as the connection key's.
func (s *Service) keepConnectionKey(secret string) error {
	if err := s.keyring.Put(connectionItem, vault.Credential{Kind: vault.KindAPIKey, APIKey: secret}); err != nil {
		return fmt.Errorf("connection key: store it in the keyring: %w", err)
	}
	return nil
}
