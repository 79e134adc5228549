package journal

import (
	"context"
	"database/sql"
	"errors"
)

// writeStmts are the statements every batch runs. They are prepared once
// on the writer connection at open and bound per row: preparing them in
// each batch's transaction cost a SQLite compile of each statement per
// request when requests come one at a time (BENCHMARKS.md, journal).
var writeStmts = []string{insertRecord, insertPayload, upsertDay, upsertRollup, upsertBlock,
	upsertKeySpend, upsertGroup, upsertShare, selectShare, updateShare}

// prepareWrites prepares writeStmts on the writer. A statement that does
// not compile (a schema older than it, which only tests open) is left out:
// writeTx prepares it per use, and reports its error where it is run.
func prepareWrites(ctx context.Context, w *sql.DB) map[string]*sql.Stmt {
	m := make(map[string]*sql.Stmt, len(writeStmts))
	for _, q := range writeStmts {
		if s, err := w.PrepareContext(ctx, q); err == nil {
			m[q] = s
		}
	}
	return m
}

func closeStmts(m map[string]*sql.Stmt) error {
	var errs []error
	for _, s := range m {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}

// writeTx is a batch's transaction. Its ExecContext runs the statements
// prepared at open through the transaction (Tx.StmtContext reuses the
// writer connection's prepared statement), others as Tx.ExecContext does.
type writeTx struct {
	*sql.Tx
	stmts map[string]*sql.Stmt
}

// stmt is query's statement in this transaction.
func (t writeTx) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if s := t.stmts[query]; s != nil {
		return t.StmtContext(ctx, s), nil
	}
	return t.PrepareContext(ctx, query)
}

// ExecContext executes query with args in the transaction.
func (t writeTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s := t.stmts[query]; s != nil {
		return t.StmtContext(ctx, s).ExecContext(ctx, args...)
	}
	return t.Tx.ExecContext(ctx, query, args...)
}

// QueryRowContext runs query with args in the transaction, as ExecContext.
func (t writeTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if s := t.stmts[query]; s != nil {
		return t.StmtContext(ctx, s).QueryRowContext(ctx, args...)
	}
	return t.Tx.QueryRowContext(ctx, query, args...)
}
