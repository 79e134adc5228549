package proxy

import (
	"context"
	"fmt"

	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/journal"
	"github.com/sluice-proxy/sluice/vault"
)

// DoctorReport is `sluice doctor`'s findings. It holds no secret: keyring
// checks say whether a credential could be read, never what it is.
type DoctorReport struct {
	OK      bool           `json:"ok"` // integrity, quick check and every keyring check passed
	Health  journal.Health `json:"health"`
	Files   journal.Files  `json:"files"`
	Dropped int64          `json:"dropped_records"` // records the async writer could not store since start
	// DroppedPayloads counts records stored without their captured payload
	// since start, because the writer's queue held too many payload bytes.
	DroppedPayloads int64            `json:"dropped_payloads"`
	Settings        api.Settings     `json:"settings"`
	Keyring         []KeyringCheck   `json:"keyring"`
	Compact         *CompactionStats `json:"compact,omitempty"`
	// UsageReads are the reads of the OAuth usage endpoint per subscription
	// account in the last hour (at most 20 each; usagepoll.go).
	UsageReads []UsageReads `json:"usage_reads"`
}

// UsageReads is how often one account's usage was read in the last hour.
type UsageReads struct {
	Account  string `json:"account"`
	LastHour int    `json:"last_hour"`
}

// KeyringCheck is whether one account's credential is reachable.
type KeyringCheck struct {
	Account string `json:"account"`
	OK      bool   `json:"ok"`
	Error   string `json:"error,omitempty"` // why not, secret-free
}

// CompactionStats is what --compact gave back.
type CompactionStats struct {
	BytesBefore int64 `json:"bytes_before"`
	BytesAfter  int64 `json:"bytes_after"`
}

// Doctor checks the journal (integrity_check, quick_check, sizes, row
// counts, dropped records) and the keyring (each account's credential can
// be read). With compact it first rebuilds the database file (VACUUM),
// which holds the journal's writer for as long as that takes.
func (s *Service) Doctor(ctx context.Context, compact bool) (DoctorReport, error) {
	rep := DoctorReport{Dropped: s.records.Dropped(), DroppedPayloads: s.records.DroppedPayloads(), Settings: s.Settings()}
	if compact {
		before, err := s.db.Files()
		if err != nil {
			return rep, fmt.Errorf("proxy: doctor: %w", err)
		}
		if err := s.db.Compact(ctx, true); err != nil {
			return rep, fmt.Errorf("proxy: doctor: %w", err)
		}
		after, err := s.db.Files()
		if err != nil {
			return rep, fmt.Errorf("proxy: doctor: %w", err)
		}
		rep.Compact = &CompactionStats{BytesBefore: before.DBBytes + before.WALBytes,
			BytesAfter: after.DBBytes + after.WALBytes}
	}
	h, err := s.db.Check(ctx)
	if err != nil {
		return rep, fmt.Errorf("proxy: doctor: %w", err)
	}
	rep.Health = h
	if rep.Files, err = s.db.Files(); err != nil {
		return rep, fmt.Errorf("proxy: doctor: %w", err)
	}
	accts, err := s.db.Accounts(ctx)
	if err != nil {
		return rep, fmt.Errorf("proxy: doctor: %w", err)
	}
	rep.OK = h.Integrity == "ok" && h.QuickCheck == "ok"
	reads := s.poller.ReadsLastHour(s.now())
	rep.UsageReads = []UsageReads{}
	for _, st := range s.pool.Snapshot() {
		if st.Account.Kind == string(vault.KindOAuth) {
			rep.UsageReads = append(rep.UsageReads, UsageReads{Account: st.Account.Name, LastHour: reads[st.Account.ID]})
		}
	}
	for _, a := range accts {
		c := KeyringCheck{Account: a.Name, OK: true}
		// Get, not Credential: the doctor must not refresh tokens.
		if _, err := s.keyring.Get(a.ID); err != nil {
			// vault's errors name the account id and the cause, never the
			// secret.
			c.OK, c.Error = false, err.Error()
			rep.OK = false
		}
		rep.Keyring = append(rep.Keyring, c)
	}
	return rep, nil
}
