package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Fyne moves the focus with Tab but does not scroll a container.Scroll to
// the widget that got it: with a few accounts, or in the Settings tab,
// Tab went on to buttons and fields below the fold and the user lost
// sight of the focus. The widgets inside the Accounts and Settings scroll
// containers are these small types, whose FocusGained asks their container
// to bring them into sight (scrollTo).

// scrollTo scrolls s, if needed, so that obj (inside its content) is in
// sight with a padding's margin for the focus ring: down when obj ends
// below the viewport, up when it starts above it. UI goroutine only.
func scrollTo(s *container.Scroll, obj fyne.CanvasObject) {
	if s == nil || s.Content == nil || !s.Visible() {
		return
	}
	// The content grows with the cards, but the container lays it out
	// again only on its next frame: with a stale (viewport-high) content,
	// ScrollToOffset would clamp the offset back to 0 and the positions
	// read here would be those of the old layout.
	if want := s.Content.MinSize().Max(s.Size()); s.Content.Size() != want {
		s.Content.Resize(want)
	}
	d := fyne.CurrentApp().Driver()
	pad := theme.Padding()
	top := d.AbsolutePositionForObject(obj).Y - d.AbsolutePositionForObject(s).Y
	bottom := top + obj.Size().Height
	off := s.Offset
	switch {
	case top < 0:
		off.Y += top - pad
	case bottom > s.Size().Height:
		off.Y += bottom - s.Size().Height + pad
	default:
		return
	}
	off.Y = min(max(off.Y, 0), max(s.Content.Size().Height-s.Size().Height, 0))
	s.ScrollToOffset(off)
}

// cardInSight is the focus hook of the account cards' widgets: it brings
// o into sight in the Accounts tab. The container is read when the focus
// comes, as it is made after the widgets in it.
func (v *view) cardInSight(o fyne.CanvasObject) { scrollTo(v.cardsBox, o) }

// settingsInSight is the focus hook of the Settings tab's widgets.
func (v *view) settingsInSight(o fyne.CanvasObject) {
	if v.settings != nil {
		scrollTo(v.settings.scroll, o)
	}
}

// focusButton is a widget.Button that comes into sight when it gets the
// focus.
type focusButton struct {
	widget.Button
	onFocus func(fyne.CanvasObject)
}

// newFocusButton is widget.NewButtonWithIcon (icon may be nil) for a
// button in a scroll container; onFocus is its container's hook
// (view.cardInSight, view.settingsInSight).
func newFocusButton(label string, icon fyne.Resource, tapped func(), onFocus func(fyne.CanvasObject)) *focusButton {
	b := &focusButton{onFocus: onFocus}
	b.Text, b.Icon, b.OnTapped = label, icon, tapped
	b.ExtendBaseWidget(b)
	return b
}

// FocusGained draws the focus and brings the button into sight.
func (b *focusButton) FocusGained() {
	b.Button.FocusGained()
	if b.onFocus != nil {
		b.onFocus(b)
	}
}

// focusCheck is a widget.Check that comes into sight when it gets the
// focus.
type focusCheck struct {
	widget.Check
	onFocus func(fyne.CanvasObject)
}

// newFocusCheck is widget.NewCheck for a box in a scroll container.
func newFocusCheck(label string, changed func(bool), onFocus func(fyne.CanvasObject)) *focusCheck {
	c := &focusCheck{onFocus: onFocus}
	c.Text, c.OnChanged = label, changed
	c.ExtendBaseWidget(c)
	return c
}

// FocusGained draws the focus and brings the box into sight.
func (c *focusCheck) FocusGained() {
	c.Check.FocusGained()
	if c.onFocus != nil {
		c.onFocus(c)
	}
}

// focusSelect is a widget.Select that comes into sight when it gets the
// focus.
type focusSelect struct {
	widget.Select
	onFocus func(fyne.CanvasObject)
}

// newFocusSelect is widget.NewSelect for a choice in a scroll container.
// Its choices always have one selected, so it has no placeholder.
func newFocusSelect(options []string, changed func(string), onFocus func(fyne.CanvasObject)) *focusSelect {
	s := &focusSelect{onFocus: onFocus}
	s.Options, s.OnChanged = options, changed
	s.ExtendBaseWidget(s)
	return s
}

// FocusGained draws the focus and brings the choice into sight.
func (s *focusSelect) FocusGained() {
	s.Select.FocusGained()
	if s.onFocus != nil {
		s.onFocus(s)
	}
}
