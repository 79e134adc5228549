package proxy

import (
	"bytes"
	"encoding/json"
)

// requestModel reads the "model" of a JSON request body, "" when there is
// none. Only that field is decoded (a json.RawMessage for the rest would
// still scan the whole body once, which is the cost of one pass).
func requestModel(body []byte) string {
	if len(body) == 0 || !bytes.Contains(body, []byte(`"model"`)) {
		return ""
	}
	var v struct {
		Model string `json:"model"`
	}
	if json.Unmarshal(body, &v) != nil {
		return ""
	}
	return v.Model
}
