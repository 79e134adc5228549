package app

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/internal/testkit/fakeengine"
	"github.com/sluice-proxy/sluice/proxy/api"
)

// fakeEngine stands in for proxy.Service: the shared fake engine (proxy
// switch, accounts, snapshot, event hub) with what only the window calls.
type fakeEngine struct {
	*fakeengine.Engine // its Mu guards the fields below too

	// logs plays the engine's Logs when set (an empty journal otherwise).
	logs func(api.LogFilter) api.LogPage

	// login plays the engine's Login; logins records each request.
	login   func(ctx context.Context, req api.LoginRequest) (api.AccountView, error)
	logins  []api.LoginRequest
	keys    [][2]string // AddAPIKey's name and key
	keyErr  error
	notices map[string]bool // ShowOnce keys already shown

	settings api.Settings
	firstKey string // FirstKey's secret until dismissed; "" none
	connKey  string // ConnectionKey's secret; "" until asked

	px api.ProxySettings // ProxySettings; UpdateProxySettings stores here

	checks int // CheckAPIKey calls
}

func newFakeEngine(running bool, accounts ...api.AccountView) *fakeEngine {
	return &fakeEngine{Engine: fakeengine.New("127.0.0.1:8788", running, accounts...), notices: map[string]bool{}}
}

func (f *fakeEngine) Login(ctx context.Context, req api.LoginRequest) (api.AccountView, error) {
	f.Mu.Lock()
	f.logins = append(f.logins, req)
	login := f.login
	f.Mu.Unlock()
	if login == nil {
		return api.AccountView{}, errBoom
	}
	v, err := login(ctx, req)
	if err == nil {
		f.change(func(f *fakeEngine) {
			if !req.Reauth {
				f.Accts = append(f.Accts, v)
			}
			for i := range f.Accts {
				if f.Accts[i].Name == req.Name {
					f.Accts[i] = v
				}
			}
		})
		f.Publish(api.EventAccounts)
	}
	return v, err
}

func (f *fakeEngine) AddAPIKey(_ context.Context, name, key string) (api.AccountView, error) {
	f.Mu.Lock()
	f.keys = append(f.keys, [2]string{name, key})
	err := f.keyErr
	f.Mu.Unlock()
	if err != nil {
		return api.AccountView{}, err
	}
	v := api.AccountView{ID: "k" + name, Name: name, Kind: "api-key", State: "ok"}
	f.change(func(f *fakeEngine) { f.Accts = append(f.Accts, v) })
	f.Publish(api.EventAccounts)
	return v, nil
}

func (f *fakeEngine) ShowOnce(_ context.Context, key string) (bool, error) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	show := !f.notices[key]
	f.notices[key] = true
	return show, nil
}

// calls returns the Login requests and API keys the engine received.
func (f *fakeEngine) calls() ([]api.LoginRequest, [][2]string) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	return slices.Clone(f.logins), slices.Clone(f.keys)
}

// SetPort is not exercised against the fake: the real engine's tests do.
func (f *fakeEngine) SetPort(context.Context, int) error { return errors.New("fake engine: no port") }

// change mutates the engine's state as the CLI or the proxy would.
func (f *fakeEngine) change(fn func(f *fakeEngine)) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	fn(f)
}

// uiLoop plays the UI goroutine for tests: the view posts work to it as it
// would with fyne.Do, and the test goroutine runs that work while it waits.
// (The Fyne test driver runs fyne.Do inline on the calling goroutine, which
// would touch widgets from two goroutines at once.)
type uiLoop struct{ work chan func() }

func newUILoop() *uiLoop { return &uiLoop{work: make(chan func(), 1024)} }

func (u *uiLoop) do(f func()) { u.work <- f }

// waitFor runs posted UI work until cond holds, failing after a deadline.
func (u *uiLoop) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for !cond() {
		select {
		case f := <-u.work:
			f()
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// settle runs posted UI work until none arrives for a while: for asserting
// that something did not happen.
func (u *uiLoop) settle() {
	for {
		select {
		case f := <-u.work:
			f()
		case <-time.After(300 * time.Millisecond):
			return
		}
	}
}

var errBoom = errors.New("boom")

// The account controls act on the fake's list by name, as the engine does.
func (f *fakeEngine) PauseAccount(_ context.Context, name string) error {
	return f.edit(name, func(a *api.AccountView) { a.Paused, a.State = true, "paused" })
}

func (f *fakeEngine) ResumeAccount(_ context.Context, name string) error {
	return f.edit(name, func(a *api.AccountView) { a.Paused, a.State = false, "ok" })
}

func (f *fakeEngine) SetPriority(_ context.Context, name string, p int) error {
	return f.edit(name, func(a *api.AccountView) { a.Priority = p })
}

func (f *fakeEngine) RenameAccount(_ context.Context, oldName, newName string) error {
	return f.edit(oldName, func(a *api.AccountView) { a.Name = newName })
}

func (f *fakeEngine) RemoveAccount(_ context.Context, name string) error {
	f.Mu.Lock()
	f.Accts = slices.DeleteFunc(f.Accts, func(a api.AccountView) bool { return a.Name == name })
	f.Mu.Unlock()
	f.Publish(api.EventAccounts)
	return nil
}

// CheckAPIKey accepts every key and counts the keys sent to be checked.
func (f *fakeEngine) CheckAPIKey(context.Context, string) error {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	f.checks++
	return nil
}

func (f *fakeEngine) ReplaceAPIKey(_ context.Context, name, key string) error {
	f.Mu.Lock()
	f.keys = append(f.keys, [2]string{name, key})
	f.Mu.Unlock()
	return nil
}

func (f *fakeEngine) edit(name string, fn func(*api.AccountView)) error {
	f.Mu.Lock()
	i := slices.IndexFunc(f.Accts, func(a api.AccountView) bool { return a.Name == name })
	if i < 0 {
		f.Mu.Unlock()
		return errors.New("no account " + name)
	}
	fn(&f.Accts[i])
	f.Mu.Unlock()
	f.Publish(api.EventAccounts)
	return nil
}

func (f *fakeEngine) ProxySettings(context.Context) (api.ProxySettings, error) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	ps := f.px
	if ps.Strategy == "" {
		ps = api.ProxySettings{Strategy: "session", SessionWindow: 5 * time.Hour, RetryAttempts: 3, RetryDelay: time.Second}
	}
	ps.AllowedOrigins = slices.Clone(ps.AllowedOrigins)
	return ps, nil
}

// UpdateProxySettings refuses a change to a fixed value, as the engine does.
func (f *fakeEngine) UpdateProxySettings(_ context.Context, ps api.ProxySettings) error {
	cur, _ := f.ProxySettings(context.Background())
	f.Mu.Lock()
	defer f.Mu.Unlock()
	if by := cur.Fixed[api.SettingStrategy]; by != "" && ps.Strategy != cur.Strategy {
		return errors.New("strategy is fixed by " + by)
	}
	ps.Fixed = cur.Fixed
	f.px = ps
	return nil
}
