package proxy

import (
	"context"
	"errors"
	"sync"
	"time"
)

// statePersister writes the pool's per-account state (limits, quarantine)
// to the journal off the request path: changes are marked, then saved in a
// batch at most every persistEvery, and once more on stop, so a restart
// knows which accounts are still cooling down.
type statePersister struct {
	s     *Service
	mu    sync.Mutex
	dirty map[string]bool
	kick  chan struct{}
	quit  chan struct{}
	done  chan struct{}
	once  sync.Once
}

const persistEvery = 500 * time.Millisecond

func newStatePersister(s *Service) *statePersister {
	return &statePersister{
		s: s, dirty: map[string]bool{},
		kick: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{}),
	}
}

func (p *statePersister) mark(id string) {
	p.mu.Lock()
	p.dirty[id] = true
	p.mu.Unlock()
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

func (p *statePersister) start() { go p.loop() }

func (p *statePersister) loop() {
	defer close(p.done)
	for {
		select {
		case <-p.quit:
			return
		case <-p.kick:
		}
		if err := p.flush(context.Background()); err != nil {
			p.s.log.Warn("saving account state failed", "err", err)
		}
		t := time.NewTimer(persistEvery)
		select {
		case <-p.quit:
			t.Stop()
			return
		case <-t.C:
		}
	}
}

func (p *statePersister) flush(ctx context.Context) error {
	p.mu.Lock()
	ids := p.dirty
	p.dirty = map[string]bool{}
	p.mu.Unlock()
	if len(ids) == 0 {
		return nil
	}
	states := p.s.pool.Export()
	var errs []error
	for id := range ids {
		if st, ok := states[id]; ok {
			errs = append(errs, p.s.db.SaveAccountState(ctx, id, st))
		}
	}
	return errors.Join(errs...)
}

// stop ends the loop and saves whatever is still marked.
func (p *statePersister) stop(ctx context.Context) error {
	var err error
	p.once.Do(func() {
		close(p.quit)
		<-p.done
		err = p.flush(ctx)
	})
	return err
}
