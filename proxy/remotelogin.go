package proxy

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// loginTimeout bounds a started sign-in that nobody finishes.
const loginTimeout = 10 * time.Minute

// pendingLogin is a Login running in the background, waiting for its code.
type pendingLogin struct {
	paste  bool
	code   *io.PipeWriter // the pasted "code#state" goes here (Paste only)
	cancel context.CancelFunc
	done   chan struct{}
	view   api.AccountView
	err    error
}

// pendingLogins holds the sign-ins between LoginStart and LoginFinish.
type pendingLogins struct {
	mu   sync.Mutex
	byID map[string]*pendingLogin
}

func (p *pendingLogins) put(id string, l *pendingLogin) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.byID == nil {
		p.byID = make(map[string]*pendingLogin)
	}
	p.byID[id] = l
}

func (p *pendingLogins) take(id string) *pendingLogin {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.byID[id]
	delete(p.byID, id)
	return l
}

// LoginStart starts a sign-in and returns once its URL is known. The
// sign-in then waits, up to 10 minutes, for LoginFinish.
func (s *Service) LoginStart(ctx context.Context, req api.LoginStartRequest) (api.LoginTicket, error) {
	id, err := newID()
	if err != nil {
		return api.LoginTicket{}, err
	}
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), loginTimeout)
	pr, pw := io.Pipe()
	l := &pendingLogin{paste: req.Paste, code: pw, cancel: cancel, done: make(chan struct{})}
	urls := make(chan string, 1)
	go func() {
		defer close(l.done)
		defer cancel()
		l.view, l.err = s.Login(lctx, api.LoginRequest{
			Name: req.Name, Mode: req.Mode, Reauth: req.Reauth, Paste: req.Paste, In: pr, Out: io.Discard,
			OpenBrowser: func(u string) error { urls <- u; return nil },
		})
		_ = pr.Close()
		time.AfterFunc(time.Minute, func() { s.logins.take(id) }) // an unclaimed result
	}()
	s.logins.put(id, l)
	select {
	case u := <-urls:
		return api.LoginTicket{ID: id, URL: u}, nil
	case <-l.done:
		s.logins.take(id)
		return api.LoginTicket{}, l.err
	case <-ctx.Done():
		s.LoginCancel(id)
		return api.LoginTicket{}, ctx.Err()
	}
}

// LoginFinish completes a started sign-in: with Paste it submits code
// ("code#state" as the page shows it); otherwise it waits for the browser
// to reach the loopback callback. Ending ctx cancels the sign-in.
func (s *Service) LoginFinish(ctx context.Context, id, code string) (api.AccountView, error) {
	l := s.logins.take(id)
	if l == nil {
		return api.AccountView{}, api.ErrNoSuchLogin
	}
	if l.paste {
		go func() { _, _ = io.WriteString(l.code, code+"\n") }()
	}
	select {
	case <-l.done:
		return l.view, l.err
	case <-ctx.Done():
		l.cancel()
		<-l.done
		return api.AccountView{}, fmt.Errorf("sign-in cancelled: %w", ctx.Err())
	}
}

// LoginCancel abandons a started sign-in, freeing its callback port.
func (s *Service) LoginCancel(id string) {
	if l := s.logins.take(id); l != nil {
		l.cancel()
		_ = l.code.CloseWithError(context.Canceled)
	}
}

// cancelAll abandons every started sign-in (Close).
func (p *pendingLogins) cancelAll() {
	p.mu.Lock()
	all := p.byID
	p.byID = nil
	p.mu.Unlock()
	for _, l := range all {
		l.cancel()
		<-l.done
	}
}
