package proxy

import (
	"context"
	"fmt"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// Values returns every setting the engine keeps, with Fixed naming those
// the command line fixed (api.Values; StartAtLogin is not the engine's and
// stays false).
func (s *Service) Values() api.Values {
	s.mu.Lock()
	port := s.port
	s.mu.Unlock()
	return api.Values{
		Settings:      s.Settings(),
		ProxySettings: s.ProxySettings(),
		Port:          port,
		RequireKey:    s.RequireKey(),
	}
}

// SetSetting changes one setting of the registry, given as a user types
// it (`sluice settings set KEY VALUE`): parsed and checked by the
// registry, refused if the command line fixed it, then saved, applied and
// audited by its store. It returns the settings now in force. A setting
// this computer keeps (start-at-login) is the face's to write, not the
// engine's: it is refused with ErrBadSetting.
func (s *Service) SetSetting(ctx context.Context, key, value string) (api.Values, error) {
	v := s.Values()
	def, err := api.SetSetting(&v, key, value)
	if err != nil {
		return s.Values(), err
	}
	switch def.Store {
	case api.StoreJournal:
		_, err = s.UpdateSettings(ctx, v.Settings)
	case api.StoreProxy:
		err = s.UpdateProxySettings(ctx, v.ProxySettings)
	case api.StorePort:
		err = s.SetPort(ctx, v.Port)
	case api.StoreRequireKey:
		err = s.SetRequireKey(ctx, v.RequireKey)
	default:
		err = fmt.Errorf("%s is kept by this computer, not by the engine: %w", key, api.ErrBadSetting)
	}
	return s.Values(), err
}

// refuseFixed refuses a change to a setting the command line fixed,
// naming the variable or flag.
func (s *Service) refuseFixed(key string) error {
	if by := s.cfg.Fixed[key]; by != "" {
		return fmt.Errorf("%s is fixed by %s for this Sluice; change or unset it there: %w", key, by, api.ErrSettingFixed)
	}
	return nil
}
