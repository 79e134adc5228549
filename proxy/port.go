package proxy

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// settingPort is the port chosen in the window, kept for the next start.
const settingPort = api.StorePort

// loadPort picks the port to listen on: the configured one, or the one
// saved by SetPort unless the command line fixed it.
func (s *Service) loadPort(ctx context.Context) error {
	s.port = s.cfg.Port
	if s.cfg.Fixed[api.SettingPort] != "" {
		return nil
	}
	v, ok, err := s.db.Setting(ctx, settingPort)
	if err != nil {
		return fmt.Errorf("proxy: read the saved port: %w", err)
	}
	if !ok {
		return nil
	}
	p, err := strconv.Atoi(v)
	if err != nil || p < 1 || p > 65535 {
		s.log.Warn("ignoring a saved port that is not a port", "value", v)
		return nil
	}
	s.port = p
	return nil
}

// SetPort moves the proxy to port and keeps it for the next start. A port
// fixed by SLUICE_PORT or --port is not changed (ErrSettingFixed, naming
// which). A running proxy restarts
// on the new port at once: requests in flight finish first, as when it is
// turned off. If the new port cannot be taken, the proxy goes back to the
// old one and the error says why (ErrPortInUse when another program has
// it); nothing is saved.
func (s *Service) SetPort(ctx context.Context, port int) error {
	if port < 1 || port > 65535 {
		return errors.New("the port must be a number from 1 to 65535")
	}
	if err := s.refuseFixed(api.SettingPort); err != nil {
		return err
	}
	s.switching.Lock()
	defer s.switching.Unlock()
	on := s.ProxyRunning()
	s.mu.Lock()
	old, bound := s.port, s.srv != nil
	s.port = port
	s.mu.Unlock()
	if bound && port != old {
		if err := s.unbind(ctx); err != nil {
			s.log.Warn("stopping the proxy to change its port", "err", err)
		}
		if err := s.rebind(on); err != nil {
			s.mu.Lock()
			s.port = old
			s.mu.Unlock()
			if err2 := s.rebind(on); err2 != nil {
				return errors.Join(fmt.Errorf("change port: %w", err), fmt.Errorf("and the old port could not be taken back: %w", err2))
			}
			return fmt.Errorf("change port: %w", err)
		}
	}
	if err := s.db.SetSetting(ctx, settingPort, strconv.Itoa(port)); err != nil {
		return fmt.Errorf("save the port: %w", err)
	}
	s.audit(ctx, AuditSettingsChanged, "port", strconv.Itoa(port))
	s.publishSettings()
	return nil
}
