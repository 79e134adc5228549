package assets

import (
	"bytes"
	"image/png"
	"testing"

	"fyne.io/fyne/v2"
)

func TestIconsDecode(t *testing.T) {
	for _, tc := range []struct {
		res  fyne.Resource
		size int
	}{
		{AppIcon, 512},
		{TrayOn, 64},
		{TrayOff, 64},
		{TraySomeLimited, 64},
		{TrayAllLimited, 64},
		{TrayError, 64},
	} {
		img, err := png.Decode(bytes.NewReader(tc.res.Content()))
		if err != nil {
			t.Fatalf("%s: %v", tc.res.Name(), err)
		}
		if b := img.Bounds(); b.Dx() != tc.size || b.Dy() != tc.size {
			t.Errorf("%s: %dx%d, want %dx%d", tc.res.Name(), b.Dx(), b.Dy(), tc.size, tc.size)
		}
	}
	tray := []fyne.Resource{TrayOn, TrayOff, TraySomeLimited, TrayAllLimited, TrayError}
	for i, a := range tray {
		for _, b := range tray[i+1:] {
			if bytes.Equal(a.Content(), b.Content()) {
				t.Errorf("tray icons %s and %s are identical", a.Name(), b.Name())
			}
		}
	}
}

// TestTrayIconsHaveNoPartialAlpha guards against anti-aliased rims:
// fyne.io/systray hands premultiplied-looking ARGB to the tray host, which
// turns semi-transparent pixels into wrong colours.
func TestTrayIconsHaveNoPartialAlpha(t *testing.T) {
	for _, res := range []fyne.Resource{TrayOn, TrayOff, TraySomeLimited, TrayAllLimited, TrayError} {
		img, err := png.Decode(bytes.NewReader(res.Content()))
		if err != nil {
			t.Fatalf("%s: %v", res.Name(), err)
		}
		b := img.Bounds()
		partial := 0
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				if _, _, _, a := img.At(x, y).RGBA(); a != 0 && a != 0xffff {
					partial++
				}
			}
		}
		if partial > 0 {
			t.Errorf("%s: %d semi-transparent pixels", res.Name(), partial)
		}
	}
}
