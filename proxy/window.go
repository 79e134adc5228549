package proxy

// EventShowWindow asks the desktop app owning this engine to show and focus
// its window: a second `sluice` start sends it instead of opening another.
const EventShowWindow EventKind = "show-window"

// ShowWindow publishes EventShowWindow. Without a window (sluice serve)
// nobody acts on it.
func (s *Service) ShowWindow() {
	s.events.publish(Event{Kind: EventShowWindow, Time: s.now()})
}
