package proxy

// EventShowWindow asks the desktop app owning this engine to show and focus
// its window: a second `sluice` start sends it instead of opening another.
const EventShowWindow EventKind = "show-window"

// ShowWindow publishes EventShowWindow. Without a window (sluice serve)
// nobody acts on it.
func (s *Service) ShowWindow() {
	s.events.publish(Event{Kind: EventShowWindow, Time: s.now()})
}

// EventCopySettings asks a running window process to put the connection
// settings on the clipboard: the tray's "Copy connection settings" where
// no clipboard program can hold them while the window is already open (a
// new window process would be a second one).
const EventCopySettings EventKind = "copy-settings"

// CopySettingsInWindow publishes EventCopySettings. Without a window
// nobody acts on it.
func (s *Service) CopySettingsInWindow() {
	s.events.publish(Event{Kind: EventCopySettings, Time: s.now()})
}
