package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// proxySettingKeys are the proxy settings `sluice settings set` changes;
// the engine applies them to the next request.
var proxySettingKeys = []struct {
	key, help string
	set       func(*api.ProxySettings, string) error
}{
	{api.SettingStrategy, "how accounts are picked: " + strings.Join(api.StrategyNames(), ", "), func(p *api.ProxySettings, v string) error {
		p.Strategy = v
		return nil
	}},
	{api.SettingSessionWindow, "how long a client session keeps its account, e.g. 5h or 30m", func(p *api.ProxySettings, v string) error {
		d, err := parseAge(v)
		if err != nil || d <= 0 {
			return errors.New("want a duration like 5h or 30m")
		}
		p.SessionWindow = d
		return nil
	}},
	{api.SettingRetries, fmt.Sprintf("retries of a 5xx or unsent request, 0 to %d", api.MaxRetryAttempts), func(p *api.ProxySettings, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("want a whole number from 0 to %d", api.MaxRetryAttempts)
		}
		p.RetryAttempts = n
		return nil
	}},
	{api.SettingRetryDelay, "the first retry's delay (then doubled), e.g. 1s or 500ms", func(p *api.ProxySettings, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return errors.New("want a duration like 1s or 500ms")
		}
		p.RetryDelay = d
		return nil
	}},
	{api.SettingAllowedOrigins, "browser origins allowed to call the proxy, comma-separated (http://localhost:3000,...), or none", func(p *api.ProxySettings, v string) error {
		p.AllowedOrigins = nil
		if strings.EqualFold(v, "none") {
			return nil
		}
		for _, o := range strings.Split(v, ",") {
			if o = strings.TrimSpace(o); o != "" {
				if _, err := api.ParseOrigin(o); err != nil {
					return err
				}
				p.AllowedOrigins = append(p.AllowedOrigins, o)
			}
		}
		return nil
	}},
	{api.SettingTrayWindow, "the window the tray's account lines show: closest (the one nearest its limit), 5h, 7d, or a window's kind such as 7d_opus", func(p *api.ProxySettings, v string) error {
		tw, err := api.ParseTrayWindow(v)
		p.TrayWindow = tw
		return err
	}},
	{api.SettingOpenAISubscriptions, "on: OpenAI-style requests may use subscription accounts (billed as extra usage); off: API-key accounts only", func(p *api.ProxySettings, v string) error {
		switch strings.ToLower(v) {
		case "on":
			p.OpenAISubscriptions = true
		case "off":
			p.OpenAISubscriptions = false
		default:
			return errors.New("want on or off")
		}
		return nil
	}},
}

// proxySettingKey returns the index of key in proxySettingKeys, or -1.
func proxySettingKey(key string) int {
	for i, k := range proxySettingKeys {
		if k.key == key {
			return i
		}
	}
	return -1
}

// allSettings is what `sluice settings --json` prints: the journal
// settings and the proxy settings side by side, in one object.
type allSettings struct {
	api.Settings
	api.ProxySettings
}

// setProxySetting changes one proxy setting and prints them all.
func setProxySetting(ctx context.Context, w io.Writer, eng Engine, i int, value string) error {
	ps, err := eng.ProxySettings(ctx)
	if err != nil {
		return err
	}
	k := proxySettingKeys[i]
	if by := ps.Fixed[k.key]; by != "" {
		return fmt.Errorf("%s is fixed by %s for this Sluice; change or unset it there", k.key, by)
	}
	if err := k.set(&ps, value); err != nil {
		return usagef("%s %q: %v", k.key, value, err)
	}
	if err := eng.UpdateProxySettings(ctx, ps); err != nil {
		return err
	}
	if ps, err = eng.ProxySettings(ctx); err != nil {
		return err
	}
	printProxySettings(w, ps)
	return nil
}

func printProxySettings(w io.Writer, ps api.ProxySettings) {
	origins := strings.Join(ps.AllowedOrigins, ",")
	if origins == "" {
		origins = "none"
	}
	for _, r := range [][2]string{
		{api.SettingStrategy, ps.Strategy},
		{api.SettingSessionWindow, api.ShortDuration(ps.SessionWindow)},
		{api.SettingRetries, strconv.Itoa(ps.RetryAttempts)},
		{api.SettingRetryDelay, ps.RetryDelay.String()},
		{api.SettingAllowedOrigins, origins},
		{api.SettingTrayWindow, ps.TrayWindow},
		{api.SettingOpenAISubscriptions, onOff(ps.OpenAISubscriptions)},
	} {
		line := fmt.Sprintf("%-19s %s", r[0], r[1])
		if by := ps.Fixed[r[0]]; by != "" {
			line += "  (fixed by " + by + ")"
		}
		fmt.Fprintln(w, line)
	}
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
