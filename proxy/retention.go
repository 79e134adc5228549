package proxy

import (
	"context"
	"time"
)

// retentionEvery is how often old request records are pruned while the
// engine runs. Pruning is cheap and chunked; once an hour keeps the log
// within a day's slack of the user's setting.
const retentionEvery = time.Hour

// retention prunes the request log on start and then hourly, so records
// never outlive Config.Retention by much, whether or not the proxy runs.
type retention struct {
	stop chan struct{}
	done chan struct{}
}

func (s *Service) startRetention() *retention {
	r := &retention{stop: make(chan struct{}), done: make(chan struct{})}
	if s.cfg.Retention < 0 {
		close(r.done)
		return r
	}
	go func() {
		defer close(r.done)
		t := time.NewTicker(retentionEvery)
		defer t.Stop()
		for {
			s.Prune(context.Background())
			select {
			case <-r.stop:
				return
			case <-t.C:
			}
		}
	}()
	return r
}

func (r *retention) close() {
	select {
	case <-r.stop:
	default:
		close(r.stop)
	}
	<-r.done
}

// Prune deletes request records older than the retention period now and
// reports how many went. A negative Retention keeps everything.
func (s *Service) Prune(ctx context.Context) int64 {
	if s.cfg.Retention < 0 {
		return 0
	}
	n, err := s.db.Prune(ctx, s.now().Add(-s.cfg.Retention))
	if err != nil {
		s.log.Warn("pruning old request records failed", "err", err)
		return n
	}
	if n > 0 {
		s.log.Debug("pruned old request records", "count", n, "retention", s.cfg.Retention)
	}
	return n
}
