package openai

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// content reads a message's content: a string, null, or an array of parts.
func content(raw json.RawMessage, param string, images bool) ([]block, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if s == "" {
			return nil, nil
		}
		return []block{{Type: "text", Text: s}}, nil
	}
	var parts []contentPart
	if err := json.Unmarshal(raw, &parts); err != nil {
		return nil, badRequest(param+".content", "content must be a string or an array of content parts.")
	}
	var out []block
	for j, p := range parts {
		pp := fmt.Sprintf("%s.content[%d]", param, j)
		switch {
		case p.Type == "text" && p.Text != "":
			out = append(out, block{Type: "text", Text: p.Text})
		case p.Type == "text":
		case p.Type == "refusal" && p.Refusal != "":
			out = append(out, block{Type: "text", Text: p.Refusal})
		case p.Type == "image_url" && images && p.ImageURL != nil:
			src, err := image(p.ImageURL.URL, pp)
			if err != nil {
				return nil, err
			}
			out = append(out, block{Type: "image", Source: src})
		default:
			return nil, badRequest(pp+".type", "Content part type %q cannot be translated for Claude here.", p.Type)
		}
	}
	return out, nil
}

// plainText reads a tool message's content as one string.
func plainText(raw json.RawMessage, param string) (string, error) {
	blocks, err := content(raw, param, false)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, bl := range blocks {
		b.WriteString(bl.Text)
	}
	return b.String(), nil
}

// image maps an image_url to a Claude image source: data: URLs carry the
// image inline (base64), anything else is fetched by the API itself.
func image(url, param string) (*imageSource, error) {
	rest, ok := strings.CutPrefix(url, "data:")
	if !ok {
		if !strings.HasPrefix(url, "https://") && !strings.HasPrefix(url, "http://") {
			return nil, badRequest(param+".image_url.url", "An image URL must be a data: URL or an http(s) URL.")
		}
		return &imageSource{Type: "url", URL: url}, nil
	}
	meta, data, ok := strings.Cut(rest, ",")
	mediaType, enc, _ := strings.Cut(meta, ";")
	if !ok || enc != "base64" || mediaType == "" {
		return nil, badRequest(param+".image_url.url", "A data: image URL must be base64 with a media type (data:image/png;base64,...).")
	}
	return &imageSource{Type: "base64", MediaType: mediaType, Data: data}, nil
}
