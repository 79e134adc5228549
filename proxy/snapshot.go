package proxy

import (
	"context"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// Snapshot returns what the window and the tray draw, in one call.
func (s *Service) Snapshot(ctx context.Context) (api.Snapshot, error) {
	accts, err := s.Accounts(ctx)
	if err != nil {
		return api.Snapshot{}, err
	}
	tw, _ := api.ParseTrayWindow(s.proxySettings().TrayWindow) // checked when saved
	snap := api.Snapshot{ProxyRunning: s.ProxyRunning(), Addr: s.Addr(), StartError: s.StartError(),
		TrayWindow: tw, Keyring: s.cfg.Keyring, Accounts: accts, Runway: s.runway(accts)}
	snap.UpstreamError, snap.UpstreamErrorSince = s.UpstreamError()
	return snap, nil
}
