package app

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// readableTheme is Fyne's theme with secondary text people can read.
// Sluice draws its secondary lines (an account's kind, "resets in", the
// hints under a tab) in Fyne's low importance, which is the disabled
// colour: #39393a on the dark background, a contrast of 1.5:1. Here it is
// a mid grey that passes WCAG AA (4.5:1) on either background and still
// reads as dimmer than the foreground on a disabled button.
type readableTheme struct{ fyne.Theme }

// Secondary text colours per variant.
var (
	secondaryDark  = color.NRGBA{0x9a, 0x9a, 0x9e, 0xff}
	secondaryLight = color.NRGBA{0x6b, 0x6b, 0x70, 0xff}
	// successLight is the green of "ok" on the light background: Fyne's
	// (#43a047) gives 3.3:1 there; this one passes 4.5:1.
	successLight = color.NRGBA{0x2e, 0x7d, 0x32, 0xff}
)

// newTheme is the window's theme: the default one, made readable.
func newTheme() fyne.Theme { return readableTheme{theme.DefaultTheme()} }

// Color is the default theme's colour except for the disabled one and, in
// the light variant, the success green.
func (t readableTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	if n == theme.ColorNameSuccess && v == theme.VariantLight {
		return successLight
	}
	if n == theme.ColorNameDisabled {
		if v == theme.VariantLight {
			return secondaryLight
		}
		return secondaryDark
	}
	return t.Theme.Color(n, v)
}
