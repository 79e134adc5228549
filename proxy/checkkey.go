package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// CheckAPIKey asks the upstream whether key is good with one cheap
// authenticated call, GET /v1/models. It returns nil when the key works,
// ErrKeyRefused (wrapped, with the API's reason) for a 401 or 403, and a
// *KeyUnverifiedError when no answer could be had. The key appears in no
// error.
func (s *Service) CheckAPIKey(ctx context.Context, key string) error {
	key = strings.TrimSpace(key)
	if err := checkAPIKey(key); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	u := strings.TrimSuffix(s.cfg.Upstream, "/") + "/v1/models?limit=1"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("check key: %w", err)
	}
	req.Header.Set("X-Api-Key", key)
	req.Header.Set("Anthropic-Version", "2023-06-01")
	resp, err := s.transport.RoundTrip(req)
	if err != nil {
		return &api.KeyUnverifiedError{Err: errors.New(strings.ReplaceAll(err.Error(), key, "[redacted]"))}
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		msg := upstreamMessage(resp)
		if msg == "" {
			msg = resp.Status
		}
		return fmt.Errorf("%w (%s)", api.ErrKeyRefused, strings.ReplaceAll(msg, key, "[redacted]"))
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	}
	return &api.KeyUnverifiedError{Err: fmt.Errorf("the API answered %s", resp.Status)}
}

// upstreamMessage reads the message of an Anthropic error body, or "".
func upstreamMessage(resp *http.Response) string {
	var body struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&body); err != nil {
		return ""
	}
	return body.Error.Message
}
