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
	} {
		img, err := png.Decode(bytes.NewReader(tc.res.Content()))
		if err != nil {
			t.Fatalf("%s: %v", tc.res.Name(), err)
		}
		if b := img.Bounds(); b.Dx() != tc.size || b.Dy() != tc.size {
			t.Errorf("%s: %dx%d, want %dx%d", tc.res.Name(), b.Dx(), b.Dy(), tc.size, tc.size)
		}
	}
	if bytes.Equal(TrayOn.Content(), TrayOff.Content()) {
		t.Error("tray on and off icons are identical")
	}
}
