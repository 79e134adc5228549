package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/datadir"
	"github.com/sluice-proxy/sluice/proxy/journal"
	"github.com/sluice-proxy/sluice/proxy/usage"
	"github.com/sluice-proxy/sluice/vault"
)

// Local is an engine this process opened: its service and the database it owns.
type Local struct {
	Service *proxy.Service
	db      *journal.DB
}

// Open opens the data dir's database and the keyring and builds the
// service. Close releases them.
func Open(ctx context.Context, s Settings, log *slog.Logger) (*Local, error) {
	if err := datadir.Check(s.DataDir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(s.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	prices, err := usage.Load(filepath.Join(s.DataDir, PricesFile))
	if err != nil {
		return nil, err
	}
	store, err := vault.Open(s.vaultConfig())
	if err != nil {
		return nil, err
	}
	db, err := journal.Open(filepath.Join(s.DataDir, "sluice.db"))
	if err != nil {
		return nil, err
	}
	oauth := &vault.OAuth{Endpoints: s.OAuth}
	s.Proxy.Keyring = store.Backend() // shown in the window's Settings and by status
	svc, err := proxy.New(ctx, s.Proxy, proxy.Deps{
		Journal: db,
		Keyring: store,
		Tokens:  vault.NewRefresher(store, oauth, nil),
		OAuth:   oauth,
		Logger:  log,
		Prices:  prices,
	})
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	return &Local{Service: svc, db: db}, nil
}

// Close stops the service, flushes its logs and closes the database.
func (e *Local) Close(ctx context.Context) error {
	return errors.Join(e.Service.Close(ctx), e.db.Close())
}
