package journal

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations is the schema's whole history: migration i+1 is migrations[i],
// and PRAGMA user_version holds the number of the last one applied. Append
// only; never edit one that has shipped, since databases in the field have
// already run it.
var migrations = []string{
	// 1: accounts. Names are unique because the CLI and the UI address
	// accounts by name.
	`CREATE TABLE accounts (
		id          TEXT PRIMARY KEY,
		name        TEXT NOT NULL UNIQUE,
		kind        TEXT NOT NULL,
		priority    INTEGER NOT NULL DEFAULT 0,
		paused      INTEGER NOT NULL DEFAULT 0,
		plan_guard  INTEGER NOT NULL DEFAULT 0,
		needs_login INTEGER NOT NULL DEFAULT 0,
		created_at  INTEGER NOT NULL DEFAULT 0
	)`,
	// 2: pool state, one opaque blob per account. It goes with its account:
	// state is about the account's limits, not history.
	`CREATE TABLE account_state (
		account_id TEXT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
		state      BLOB NOT NULL
	)`,
	// 3: user settings.
	`CREATE TABLE settings (
		key   TEXT PRIMARY KEY,
		value TEXT NOT NULL
	)`,
	// 4: the request log. account_id is deliberately not a foreign key:
	// removing an account must not erase what it was used for.
	`CREATE TABLE records (
		seq           INTEGER PRIMARY KEY,
		id            TEXT NOT NULL UNIQUE,
		time          INTEGER NOT NULL,
		account_id    TEXT NOT NULL DEFAULT '',
		client_key_id TEXT NOT NULL DEFAULT '',
		method        TEXT NOT NULL DEFAULT '',
		path          TEXT NOT NULL DEFAULT '',
		model         TEXT NOT NULL DEFAULT '',
		status        INTEGER NOT NULL DEFAULT 0,
		stream        INTEGER NOT NULL DEFAULT 0,
		attempts      INTEGER NOT NULL DEFAULT 0,
		duration_us   INTEGER NOT NULL DEFAULT 0,
		first_byte_us INTEGER NOT NULL DEFAULT 0,
		input_tokens  INTEGER NOT NULL DEFAULT 0,
		output_tokens INTEGER NOT NULL DEFAULT 0,
		cache_read    INTEGER NOT NULL DEFAULT 0,
		cache_create  INTEGER NOT NULL DEFAULT 0,
		cost_micros   INTEGER NOT NULL DEFAULT 0,
		error         TEXT NOT NULL DEFAULT ''
	)`,
	// 5: Records and Totals filter by time, optionally by account first;
	// Prune deletes by time.
	`CREATE INDEX records_time ON records(time);
	 CREATE INDEX records_account_time ON records(account_id, time)`,
	// 6: which lane (plan, extra usage, a limit signal) a request drew on.
	`ALTER TABLE records ADD COLUMN lane TEXT NOT NULL DEFAULT ''`,
	// 7: client keys. Only a non-secret lookup prefix and an HMAC of the
	// key are kept (the HMAC secret is in the keyring). Revoked keys stay,
	// so a client using one is told it was revoked; names are unique among
	// live keys only, so a revoked name can be reused. The index on records
	// serves the per-key daily cost cap.
	`CREATE TABLE client_keys (
		id                TEXT PRIMARY KEY,
		name              TEXT NOT NULL,
		prefix            TEXT NOT NULL,
		hash              BLOB NOT NULL,
		accounts          TEXT NOT NULL DEFAULT '',
		rpm               INTEGER NOT NULL DEFAULT 0,
		max_concurrent    INTEGER NOT NULL DEFAULT 0,
		daily_cost_micros INTEGER NOT NULL DEFAULT 0,
		created_at        INTEGER NOT NULL DEFAULT 0,
		revoked_at        INTEGER NOT NULL DEFAULT 0
	);
	 CREATE UNIQUE INDEX client_keys_live_name ON client_keys(name) WHERE revoked_at = 0;
	 CREATE INDEX client_keys_prefix ON client_keys(prefix);
	 CREATE INDEX client_keys_cost ON records(client_key_id, time)`,
	// 8: what the Logs and Usage views need. More per record (client
	// session, user agent, upstream request id, how the response ended,
	// failovers, project tag); daily rollups, backfilled from the records
	// already kept, so totals never scan the log and outlive pruning;
	// captured payloads, sealed by the proxy, removed with their record;
	// the audit log, where a repeat of the latest identical entry bumps n.
	`ALTER TABLE records ADD COLUMN session TEXT NOT NULL DEFAULT '';
	 ALTER TABLE records ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
	 ALTER TABLE records ADD COLUMN request_id TEXT NOT NULL DEFAULT '';
	 ALTER TABLE records ADD COLUMN end_reason TEXT NOT NULL DEFAULT '';
	 ALTER TABLE records ADD COLUMN failovers INTEGER NOT NULL DEFAULT 0;
	 ALTER TABLE records ADD COLUMN project TEXT NOT NULL DEFAULT '';
	 CREATE TABLE rollups (
		day          INTEGER NOT NULL,
		account_id   TEXT NOT NULL,
		model        TEXT NOT NULL,
		project      TEXT NOT NULL,
		requests     INTEGER NOT NULL DEFAULT 0,
		errors       INTEGER NOT NULL DEFAULT 0,
		input_tokens INTEGER NOT NULL DEFAULT 0,
		output_tokens INTEGER NOT NULL DEFAULT 0,
		cache_read   INTEGER NOT NULL DEFAULT 0,
		cache_create INTEGER NOT NULL DEFAULT 0,
		cost_micros  INTEGER NOT NULL DEFAULT 0,
		PRIMARY KEY (day, account_id, model, project)
	 ) WITHOUT ROWID;
	 INSERT INTO rollups SELECT time / 86400000, account_id, model, '', count(*),
		sum(status >= 400 OR error != ''), sum(input_tokens), sum(output_tokens), sum(cache_read),
		sum(cache_create), sum(cost_micros) FROM records GROUP BY 1, 2, 3;
	 CREATE TABLE payloads (
		seq            INTEGER PRIMARY KEY REFERENCES records(seq) ON DELETE CASCADE,
		time           INTEGER NOT NULL,
		request        BLOB,
		response       BLOB,
		req_truncated  INTEGER NOT NULL DEFAULT 0,
		resp_truncated INTEGER NOT NULL DEFAULT 0
	 );
	 CREATE INDEX payloads_time ON payloads(time);
	 CREATE TABLE audit (
		seq     INTEGER PRIMARY KEY,
		time    INTEGER NOT NULL,
		last    INTEGER NOT NULL,
		n       INTEGER NOT NULL DEFAULT 1,
		kind    TEXT NOT NULL,
		subject TEXT NOT NULL DEFAULT '',
		detail  TEXT NOT NULL DEFAULT ''
	 );
	 CREATE INDEX audit_time ON audit(time)`,
	// 9: what keeps the Usage view, the Logs filters and the per-key cost
	// cap fast and right. rollup_blocks sums the rollups over 16-day
	// blocks (block = day >> 4), so a year grouped by model or account
	// reads ~25 blocks and two partial edges instead of 365 days;
	// rollup_days sums each day per account over all models and projects,
	// for the Usage view's by day x account (365 x accounts rows a year,
	// not ~90,000).
	// key_spend is each client key's cost per 15-minute UTC slot (every
	// UTC offset in use is a multiple of 15 minutes, so any local midnight
	// is a slot boundary); the daily cost cap reads it instead of the
	// records, which retention may prune, so client_keys_cost goes (a
	// Logs filter by key reads records_time: keys are few). records_session
	// serves the Logs session filter in keyset order (seq, the rowid, ends
	// every index); it holds only the last 6 characters of the session id,
	// its random part (a UUID's tail), since a full 36-character key in
	// random order cost ~60 bytes per record against a 400-byte budget.
	`CREATE TABLE rollup_blocks (
		block        INTEGER NOT NULL,
		account_id   TEXT NOT NULL,
		model        TEXT NOT NULL,
		project      TEXT NOT NULL,
		requests     INTEGER NOT NULL DEFAULT 0,
		errors       INTEGER NOT NULL DEFAULT 0,
		input_tokens INTEGER NOT NULL DEFAULT 0,
		output_tokens INTEGER NOT NULL DEFAULT 0,
		cache_read   INTEGER NOT NULL DEFAULT 0,
		cache_create INTEGER NOT NULL DEFAULT 0,
		cost_micros  INTEGER NOT NULL DEFAULT 0,
		PRIMARY KEY (block, account_id, model, project)
	 ) WITHOUT ROWID;
	 INSERT INTO rollup_blocks SELECT day >> 4, account_id, model, project, sum(requests), sum(errors),
		sum(input_tokens), sum(output_tokens), sum(cache_read), sum(cache_create), sum(cost_micros)
		FROM rollups GROUP BY 1, 2, 3, 4;
	 CREATE TABLE rollup_days (
		day          INTEGER NOT NULL,
		account_id   TEXT NOT NULL,
		requests     INTEGER NOT NULL DEFAULT 0,
		errors       INTEGER NOT NULL DEFAULT 0,
		input_tokens INTEGER NOT NULL DEFAULT 0,
		output_tokens INTEGER NOT NULL DEFAULT 0,
		cache_read   INTEGER NOT NULL DEFAULT 0,
		cache_create INTEGER NOT NULL DEFAULT 0,
		cost_micros  INTEGER NOT NULL DEFAULT 0,
		PRIMARY KEY (day, account_id)
	 ) WITHOUT ROWID;
	 INSERT INTO rollup_days SELECT day, account_id, sum(requests), sum(errors), sum(input_tokens),
		sum(output_tokens), sum(cache_read), sum(cache_create), sum(cost_micros) FROM rollups GROUP BY 1, 2;
	 CREATE TABLE key_spend (
		client_key_id TEXT NOT NULL,
		slot          INTEGER NOT NULL,
		cost_micros   INTEGER NOT NULL DEFAULT 0,
		PRIMARY KEY (client_key_id, slot)
	 ) WITHOUT ROWID;
	 INSERT INTO key_spend SELECT client_key_id, time / 900000, sum(cost_micros) FROM records
		WHERE client_key_id != '' AND cost_micros != 0 AND time >= 0 GROUP BY 1, 2;
	 DROP INDEX client_keys_cost;
	 CREATE INDEX records_session ON records(substr(session, -6), time)`,
	// 10: the quota ledger (ledger.go). Each
	// record keeps its share of the windows it spent (a JSON object by
	// window, "" for none); sessions and client keys get rollups of their
	// own, with their shares beside them: one row per day, account, model,
	// project, key and session, and one per such group and window.
	`ALTER TABLE records ADD COLUMN window_share TEXT NOT NULL DEFAULT '';
	 ALTER TABLE records ADD COLUMN share_estimate INTEGER NOT NULL DEFAULT 0;
	 CREATE TABLE session_rollups (
		day           INTEGER NOT NULL,
		account_id    TEXT NOT NULL,
		model         TEXT NOT NULL,
		project       TEXT NOT NULL,
		client_key_id TEXT NOT NULL,
		session       TEXT NOT NULL,
		requests      INTEGER NOT NULL DEFAULT 0,
		errors        INTEGER NOT NULL DEFAULT 0,
		input_tokens  INTEGER NOT NULL DEFAULT 0,
		output_tokens INTEGER NOT NULL DEFAULT 0,
		cache_read    INTEGER NOT NULL DEFAULT 0,
		cache_create  INTEGER NOT NULL DEFAULT 0,
		cost_micros   INTEGER NOT NULL DEFAULT 0,
		PRIMARY KEY (day, account_id, model, project, client_key_id, session)
	 ) WITHOUT ROWID;
	 INSERT INTO session_rollups SELECT CASE WHEN time >= 0 THEN time / 86400000 ELSE (time - 86399999) / 86400000 END,
		account_id, model, project, client_key_id, session, count(*),
		sum(status >= 400 OR error != ''), sum(input_tokens), sum(output_tokens), sum(cache_read),
		sum(cache_create), sum(cost_micros) FROM records GROUP BY 1, 2, 3, 4, 5, 6;
	 CREATE TABLE share_rollups (
		day           INTEGER NOT NULL,
		account_id    TEXT NOT NULL,
		model         TEXT NOT NULL,
		project       TEXT NOT NULL,
		client_key_id TEXT NOT NULL,
		session       TEXT NOT NULL,
		win           TEXT NOT NULL,
		share         REAL NOT NULL DEFAULT 0,
		estimate      INTEGER NOT NULL DEFAULT 0,
		PRIMARY KEY (day, account_id, model, project, client_key_id, session, win)
	 ) WITHOUT ROWID`,
	// 11: compatible upstream accounts (proxy/upstreams.go). Their base URL,
	// auth style, model maps and models, as JSON, go with the account;
	// their key stays in the keyring. A record keeps the model the client
	// asked for when a map sent another (model is what the upstream ran,
	// which the price and the rollups follow); "" when they are the same.
	`CREATE TABLE account_upstreams (
		account_id TEXT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
		config     TEXT NOT NULL
	 );
	 ALTER TABLE records ADD COLUMN model_asked TEXT NOT NULL DEFAULT ''`,
}

// migrate applies the migrations the database has not seen yet, each in its
// own immediate transaction together with the version bump, so a crash
// leaves the database at a whole version and a second Sluice opening the
// same file waits rather than applying a migration twice.
func migrate(ctx context.Context, db *sql.DB, migs []string) error {
	for {
		done, err := migrateOne(ctx, db, migs)
		if err != nil || done {
			return err
		}
	}
}

// migrateOne applies the next pending migration; done reports that none was
// left.
func migrateOne(ctx context.Context, db *sql.DB, migs []string) (done bool, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("journal: migrate: %w", err)
	}
	defer tx.Rollback()
	var v int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return false, fmt.Errorf("journal: read schema version: %w", err)
	}
	switch {
	case v > len(migs):
		return false, fmt.Errorf("journal: schema version %d is newer than this Sluice knows (%d)", v, len(migs))
	case v == len(migs):
		return true, nil
	}
	if _, err := tx.ExecContext(ctx, migs[v]); err != nil {
		return false, fmt.Errorf("journal: migration %d: %w", v+1, err)
	}
	// PRAGMA takes no bound parameters; v is our own integer.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
		return false, fmt.Errorf("journal: migration %d: set version: %w", v+1, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("journal: migration %d: commit: %w", v+1, err)
	}
	return false, nil
}
