package app

import (
	"image/color"
	"math"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// Secondary text (low importance, drawn in the disabled colour) is
// readable on the background of either variant: WCAG AA's 4.5:1, and
// dimmer than the foreground.
func TestSecondaryTextIsReadable(t *testing.T) {
	th := newTheme()
	for _, v := range []fyne.ThemeVariant{theme.VariantDark, theme.VariantLight} {
		bg := th.Color(theme.ColorNameBackground, v)
		low := contrast(th.Color(theme.ColorNameDisabled, v), bg)
		fg := contrast(th.Color(theme.ColorNameForeground, v), bg)
		if low < 4.5 || low >= fg {
			t.Errorf("variant %d: secondary text contrast %.2f:1, foreground %.2f:1", v, low, fg)
		}
	}
}

// contrast is the WCAG contrast ratio of two colours.
func contrast(a, b color.Color) float64 {
	la, lb := luminance(a), luminance(b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

func luminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	lin := func(v uint32) float64 {
		s := float64(v) / 0xffff
		if s <= 0.03928 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}

// The green "ok" of an account's state reads on either background.
func TestSuccessTextIsReadable(t *testing.T) {
	th := newTheme()
	for _, v := range []fyne.ThemeVariant{theme.VariantDark, theme.VariantLight} {
		bg := th.Color(theme.ColorNameBackground, v)
		if c := contrast(th.Color(theme.ColorNameSuccess, v), bg); c < 4.5 {
			t.Errorf("variant %d: success text contrast %.2f:1, want 4.5:1", v, c)
		}
	}
}
