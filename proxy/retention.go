package proxy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// retentionEvery is how often retention runs while the engine runs. Each
// run is chunked (see package journal); once an hour keeps the journal
// within an hour's slack of the user's settings.
const retentionEvery = time.Hour

// retention applies the journal's retention settings on start and then
// hourly, so that nothing outlives them by much, whether or not the proxy
// listens.
type retention struct {
	stop chan struct{}
	done chan struct{}
	kick chan struct{} // run now: the settings changed
}

func (s *Service) startRetention() *retention {
	if err := s.loadSettings(context.Background()); err != nil {
		s.log.Error("journal settings unreadable; using defaults", "err", err)
	}
	r := &retention{stop: make(chan struct{}), done: make(chan struct{}), kick: make(chan struct{}, 1)}
	go func() {
		defer close(r.done)
		t := time.NewTicker(retentionEvery)
		defer t.Stop()
		for {
			if _, err := s.applyRetention(context.Background(), s.Settings(), false); err != nil {
				s.log.Warn("journal retention failed", "err", err)
			}
			select {
			case <-r.stop:
				return
			case <-t.C:
			case <-r.kick:
			}
		}
	}()
	return r
}

// runSoon asks for a run without waiting for the hour, and without
// blocking: one pending request is enough.
func (r *retention) runSoon() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

func (r *retention) close() {
	select {
	case <-r.stop:
	default:
		close(r.stop)
	}
	<-r.done
}

// AuditMinAge is the least time audit entries are kept.
const AuditMinAge = 90 * 24 * time.Hour

// auditMaxAge is how long audit entries are kept: as long as request
// records (Settings.RequestMaxAge, negative: forever) but at least
// AuditMinAge. `logs cleanup --older-than` and the size cap never shorten
// it: the audit log says who changed what, and is small.
func auditMaxAge(st api.Settings) time.Duration {
	if st.RequestMaxAge < 0 {
		return -1
	}
	return max(st.RequestMaxAge, AuditMinAge)
}

// Prune applies the retention settings now and reports how many request
// records went.
func (s *Service) Prune(ctx context.Context) int64 {
	res, err := s.applyRetention(ctx, s.Settings(), false)
	if err != nil {
		s.log.Warn("journal retention failed", "err", err)
	}
	return res.Records
}

// Cleanup deletes what opts asks for on top of the retention settings,
// then compacts the file. Rollups stay: usage totals survive a cleanup.
func (s *Service) Cleanup(ctx context.Context, opts api.CleanupOptions) (api.CleanupResult, error) {
	st := s.Settings()
	if opts.OlderThan >= 0 {
		if opts.PayloadsOnly {
			st.PayloadMaxAge = tighter(st.PayloadMaxAge, opts.OlderThan)
		} else {
			st.RequestMaxAge = tighter(st.RequestMaxAge, opts.OlderThan)
			st.PayloadMaxAge = tighter(st.PayloadMaxAge, opts.OlderThan)
		}
	}
	res, err := s.applyRetention(ctx, st, true)
	s.audit(ctx, AuditJournalCleanup, "journal", fmt.Sprintf("older than %v, payloads only %v: %d records, %d payloads, %d bytes freed",
		opts.OlderThan, opts.PayloadsOnly, res.Records, res.Payloads, res.Freed))
	return res, err
}

// tighter is the stricter of a max age setting (negative: none) and d.
func tighter(setting, d time.Duration) time.Duration {
	if setting < 0 || d < setting {
		return d
	}
	return setting
}

// applyRetention deletes by age, then by size, then compacts. An age of
// zero deletes everything up to now (`cleanup --older-than 0s`).
func (s *Service) applyRetention(ctx context.Context, st api.Settings, report bool) (api.CleanupResult, error) {
	var res api.CleanupResult
	if report {
		f, err := s.db.Files()
		if err != nil {
			return res, fmt.Errorf("proxy: cleanup: %w", err)
		}
		res.BytesBefore = f.DBBytes + f.WALBytes
	}
	now := s.now()
	// An instant past now, so that "older than 0s" takes this very
	// millisecond's records too.
	cut := func(age time.Duration) time.Time {
		if age == 0 {
			return now.Add(time.Millisecond)
		}
		return now.Add(-age)
	}
	var errs []error
	if st.RequestMaxAge >= 0 {
		n, err := s.db.Prune(ctx, cut(st.RequestMaxAge))
		res.Records += n
		errs = append(errs, err)
	}
	// The audit log follows its own rule, from the configured settings
	// whatever a cleanup asked: it records who changed what, and cleaning
	// up requests must not erase that.
	if age := auditMaxAge(s.Settings()); age >= 0 {
		n, err := s.db.PruneAudit(ctx, now.Add(-age))
		res.Audit += n
		errs = append(errs, err)
	}
	// Client keys' spend outlives the records it came from (the daily
	// cost cap must not reset when requests are pruned); only slots no
	// today can reach go.
	_, err := s.db.PruneKeySpend(ctx, now)
	errs = append(errs, err)
	if st.PayloadMaxAge >= 0 {
		n, err := s.db.PrunePayloads(ctx, cut(st.PayloadMaxAge))
		res.Payloads += n
		errs = append(errs, err)
	}
	if st.MaxDBBytes > 0 {
		recs, pays, err := s.db.TrimToSize(ctx, st.MaxDBBytes)
		res.Records += recs
		res.Payloads += pays
		errs = append(errs, err)
	}
	if res.Records+res.Payloads+res.Audit > 0 || report {
		errs = append(errs, s.db.Compact(ctx, false))
	}
	if res.Records+res.Payloads+res.Audit > 0 {
		s.log.Debug("journal retention", "records", res.Records, "payloads", res.Payloads, "audit", res.Audit)
	}
	if report {
		f, err := s.db.Files()
		errs = append(errs, err)
		res.BytesAfter = f.DBBytes + f.WALBytes
		res.Freed = max(res.BytesBefore-res.BytesAfter, 0)
	}
	if err := errors.Join(errs...); err != nil {
		return res, fmt.Errorf("proxy: retention: %w", err)
	}
	return res, nil
}
