package control

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/api"
)

// Client calls a running owner's control API. Its methods mirror
// proxy.Service's, so code written against an interface of them works on
// either.
type Client struct {
	http *http.Client
	// PID and Kind name the owner, for messages.
	PID  int
	Kind Kind
}

// dialTimeout bounds connecting to the socket: it is local, and
// `sluice statusline` has 50 ms in all.
const dialTimeout = time.Second

// Dial connects to the owner of dataDir. It returns ErrNotRunning when
// nobody serves the socket (no owner, or one that does not serve it, such
// as a command running without an owner).
func Dial(dataDir string) (*Client, error) {
	path := SocketPath(dataDir)
	if err := checkSocketPath(path); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
	c, err := dial(ctx, dataDir, path)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("%w (%v)", ErrNotRunning, err)
	}
	_ = c.Close()
	o := readOwner(dataDir)
	redial := func(ctx context.Context, _, _ string) (net.Conn, error) { return dial(ctx, dataDir, path) }
	return &Client{
		http: &http.Client{Transport: &http.Transport{DialContext: redial, MaxIdleConns: 2}},
		PID:  o.PID, Kind: o.Kind,
	}, nil
}

// Close frees the client's idle connections.
// It cannot fail; the error result lets every method of the client say so.
func (c *Client) Close() error {
	c.http.CloseIdleConnections()
	return nil
}

// call sends one method call and decodes its result into Out.
func call[Out any](ctx context.Context, c *Client, method string, in any) (Out, error) {
	var out Out
	body, err := json.Marshal(in)
	if err != nil {
		return out, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://sluice/v1/"+method, bytes.NewReader(body))
	if err != nil {
		return out, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return out, fmt.Errorf("talk to the running Sluice: %w", unreachable{err})
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		var e errorBody
		if err := json.NewDecoder(resp.Body).Decode(&e); err != nil || e.Error == "" {
			return out, fmt.Errorf("the running Sluice answered %s", resp.Status)
		}
		return out, &Error{Code: e.Code, Message: e.Error}
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return out, fmt.Errorf("read the running Sluice's answer: %w", err)
	}
	return out, nil
}

// do is call for methods without a result.
func do(ctx context.Context, c *Client, method string, in any) error {
	_, err := call[none](ctx, c, method, in)
	return err
}

// Accounts lists every account with its live state, by priority.
func (c *Client) Accounts(ctx context.Context) ([]api.AccountView, error) {
	return call[[]api.AccountView](ctx, c, mAccounts, none{})
}

// AddAPIKey adds a Console API-key account; the key travels over the
// private socket to the owner, which puts it in the keyring.
func (c *Client) AddAPIKey(ctx context.Context, name, key string) (api.AccountView, error) {
	return call[api.AccountView](ctx, c, mAddKey, addKeyReq{Name: name, Key: key})
}

// RemoveAccount removes an account and its keyring item.
func (c *Client) RemoveAccount(ctx context.Context, name string) error {
	return do(ctx, c, mRemove, nameReq{name})
}

// PauseAccount stops an account from being chosen until resumed.
func (c *Client) PauseAccount(ctx context.Context, name string) error {
	return do(ctx, c, mPause, nameReq{name})
}

// ResumeAccount makes a paused account eligible again.
func (c *Client) ResumeAccount(ctx context.Context, name string) error {
	return do(ctx, c, mResume, nameReq{name})
}

// SetPriority sets an account's priority; lower numbers are preferred.
func (c *Client) SetPriority(ctx context.Context, name string, priority int) error {
	return do(ctx, c, mPriority, priorityReq{name, priority})
}

// RenameAccount renames an account.
func (c *Client) RenameAccount(ctx context.Context, oldName, newName string) error {
	return do(ctx, c, mRename, renameReq{oldName, newName})
}

// LoginStart starts a sign-in run by the owner and returns its URL.
func (c *Client) LoginStart(ctx context.Context, req api.LoginStartRequest) (api.LoginTicket, error) {
	return call[api.LoginTicket](ctx, c, mLoginStart, req)
}

// LoginFinish submits the pasted code, or waits for the browser callback.
func (c *Client) LoginFinish(ctx context.Context, id, code string) (api.AccountView, error) {
	return call[api.AccountView](ctx, c, mLoginFinish, finishReq{ID: id, Code: code})
}

// LoginCancel abandons a started sign-in.
func (c *Client) LoginCancel(ctx context.Context, id string) error {
	return do(ctx, c, mLoginCancel, finishReq{ID: id})
}

// StartProxy turns the owner's proxy on.
func (c *Client) StartProxy(ctx context.Context) error { return do(ctx, c, mProxyOn, none{}) }

// StopProxy turns the owner's proxy off, waiting for requests in flight.
func (c *Client) StopProxy(ctx context.Context) error { return do(ctx, c, mProxyOff, none{}) }

// ProxyRunning reports whether the owner's proxy listens.
func (c *Client) ProxyRunning(ctx context.Context) (bool, error) {
	return call[bool](ctx, c, mProxyRunning, none{})
}

// Addr is where the owner's proxy listens (or will).
func (c *Client) Addr(ctx context.Context) (string, error) {
	return call[string](ctx, c, mAddr, none{})
}

// Status reports the owner's state at a glance.
func (c *Client) Status(ctx context.Context) (api.Status, error) {
	return call[api.Status](ctx, c, mStatus, none{})
}

// Snapshot reads what the window and the tray draw, in one call.
func (c *Client) Snapshot(ctx context.Context) (api.Snapshot, error) {
	return call[api.Snapshot](ctx, c, mSnapshot, none{})
}

// Sessions lists the owner's live client sessions.
func (c *Client) Sessions(ctx context.Context) ([]api.SessionView, error) {
	return call[[]api.SessionView](ctx, c, mSessions, none{})
}

// Statusline is what `sluice statusline` shows for a client session.
func (c *Client) Statusline(ctx context.Context, session string) (api.StatuslineView, error) {
	return call[api.StatuslineView](ctx, c, mStatusline, session)
}

// ShowWindow asks the owner to show its window.
func (c *Client) ShowWindow(ctx context.Context) error { return do(ctx, c, mShowWindow, none{}) }

// CopySettingsInWindow asks the open window to copy the connection
// settings (`sluice window --copy-settings` while one is open).
func (c *Client) CopySettingsInWindow(ctx context.Context) error {
	return do(ctx, c, mCopyInWindow, none{})
}

// ShowOnce reports whether a one-time notice is still to be shown, and
// records that it now has been.
func (c *Client) ShowOnce(ctx context.Context, key string) (bool, error) {
	return call[bool](ctx, c, mShowOnce, keyReq{key})
}

// ImportCCFlare imports a better-ccflare database; path is read by the
// owner, which runs as the same user.
func (c *Client) ImportCCFlare(ctx context.Context, path string) (proxy.ImportReport, error) {
	return call[proxy.ImportReport](ctx, c, mImport, pathReq{path})
}

// Subscribe streams the owner's events. The channel closes when the
// returned function is called or the owner goes away. Events published
// after Subscribe returns are not missed. It fails when the owner cannot
// be reached.
func (c *Client) Subscribe() (<-chan api.Event, func(), error) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan api.Event, 64)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://sluice"+eventsPath, nil)
	resp, err := c.http.Do(req)
	if err == nil && resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		err = fmt.Errorf("the running Sluice answered %s", resp.Status)
	}
	if err != nil {
		cancel()
		return nil, nil, fmt.Errorf("subscribe to the running Sluice's events: %w", unreachable{err})
	}
	go func() {
		defer close(ch)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			var e api.Event
			if json.Unmarshal(sc.Bytes(), &e) != nil {
				continue
			}
			select {
			case ch <- e:
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch, cancel, nil
}

// Login runs a whole sign-in through the owner, the way proxy.Service's
// Login does in-process: the URL goes to req.Out and req.OpenBrowser, and
// with req.Paste the code is read from req.In.
func (c *Client) Login(ctx context.Context, req api.LoginRequest) (api.AccountView, error) {
	t, err := c.LoginStart(ctx, api.LoginStartRequest{Name: req.Name, Mode: req.Mode, Reauth: req.Reauth, Paste: req.Paste})
	if err != nil {
		return api.AccountView{}, err
	}
	out := req.Out
	if out == nil {
		out = io.Discard
	}
	fmt.Fprintf(out, "Open this URL in a browser to sign in:\n\n  %s\n\n", t.URL)
	if req.OpenBrowser != nil {
		go func() { _ = req.OpenBrowser(t.URL) }()
	}
	code := ""
	if req.Paste {
		if req.In == nil {
			return api.AccountView{}, errors.Join(errors.New("paste mode needs In to read the code from"), c.abandon(ctx, t.ID))
		}
		line, err := bufio.NewReader(req.In).ReadString('\n')
		if err != nil && line == "" {
			return api.AccountView{}, errors.Join(fmt.Errorf("read pasted code: %w", err), c.abandon(ctx, t.ID))
		}
		code = line
	}
	return c.LoginFinish(ctx, t.ID, code)
}

// abandon cancels a started sign-in after ctx may have ended, within
// dialTimeout: the owner would drop it only at its own timeout.
func (c *Client) abandon(ctx context.Context, id string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), dialTimeout)
	defer cancel()
	return c.LoginCancel(ctx, id)
}

// CheckAPIKey asks the owner to check key against the upstream. A key that
// could not be checked comes back as a *api.KeyUnverifiedError, as it
// would in process.
func (c *Client) CheckAPIKey(ctx context.Context, key string) error {
	err := do(ctx, c, mCheckKey, keyReq{key})
	var e *Error
	if errors.As(err, &e) && e.Code == codeUnverified {
		return &api.KeyUnverifiedError{Err: errors.New(strings.TrimPrefix(e.Message, "the key could not be checked: "))}
	}
	return err
}

// ReplaceAPIKey replaces an API-key account's key in the keyring.
func (c *Client) ReplaceAPIKey(ctx context.Context, name, key string) error {
	return do(ctx, c, mReplaceKey, replaceReq{name, key})
}

// SetPort moves the owner's proxy to another port and keeps it.
func (c *Client) SetPort(ctx context.Context, port int) error {
	return do(ctx, c, mSetPort, portReq{port})
}

// unreachable is a failure to reach the owner at all: its text is the
// cause's, and errors.Is(err, api.ErrUnreachable) holds.
type unreachable struct{ err error }

func (u unreachable) Error() string   { return u.err.Error() }
func (u unreachable) Unwrap() []error { return []error{u.err, api.ErrUnreachable} }
