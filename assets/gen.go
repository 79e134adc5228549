//go:build ignore

// gen derives the per-state tray icons from tray-on.png and tray-off.png:
// it recolours the disc and snaps every pixel to fully opaque or fully
// transparent. fyne.io/systray converts to the StatusNotifierItem's ARGB
// without un-premultiplying, which garbles semi-transparent rims; with no
// partial alpha there is nothing to garble.
//
//	go run assets/gen.go
package main

import (
	"image"
	"image/color"
	"image/png"
	"log"
	"os"
)

func main() {
	on, off := load("assets/tray-on.png"), load("assets/tray-off.png")
	for _, out := range []struct {
		name string
		src  image.Image
		disc color.NRGBA // zero keeps the source colour
	}{
		{"tray-on.png", on, color.NRGBA{}},
		{"tray-off.png", off, color.NRGBA{}},
		{"tray-some-limited.png", on, color.NRGBA{0xd9, 0x8c, 0x00, 0xff}},
		{"tray-all-limited.png", off, color.NRGBA{0xd9, 0x5f, 0x00, 0xff}},
		{"tray-error.png", off, color.NRGBA{0xc6, 0x28, 0x28, 0xff}},
	} {
		save("assets/"+out.name, snap(out.src, out.disc))
	}
}

// snap un-premultiplies, thresholds alpha at one half and, when disc is
// set, paints every coloured (non-white) pixel with it.
func snap(src image.Image, disc color.NRGBA) *image.NRGBA {
	b := src.Bounds()
	dst := image.NewNRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(src.At(x, y)).(color.NRGBA)
			if c.A < 128 {
				dst.SetNRGBA(x, y, color.NRGBA{})
				continue
			}
			c.A = 0xff
			white := c.R > 200 && c.G > 200 && c.B > 200
			if disc.A != 0 && !white {
				c = disc
			}
			dst.SetNRGBA(x, y, c)
		}
	}
	return dst
}

func load(path string) image.Image {
	f, err := os.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		log.Fatal(err)
	}
	return img
}

func save(path string, img image.Image) {
	f, err := os.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}
