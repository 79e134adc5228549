package proxy

import "github.com/sluice-proxy/sluice/proxy/api"

// ShowWindow publishes EventShowWindow. Without a window (sluice serve)
// nobody acts on it.
func (s *Service) ShowWindow() {
	s.events.publish(api.Event{Kind: api.EventShowWindow, Time: s.now()})
}

// CopySettingsInWindow publishes EventCopySettings. Without a window
// nobody acts on it.
func (s *Service) CopySettingsInWindow() {
	s.events.publish(api.Event{Kind: api.EventCopySettings, Time: s.now()})
}
