package journal

import "testing"

// Every write statement compiles against the current schema, so that none
// falls back to a prepare per batch unnoticed.
func TestWriteStatementsPreparedAtOpen(t *testing.T) {
	db := newDB(t)
	for _, q := range writeStmts {
		if db.stmts[q] == nil {
			t.Errorf("not prepared at open: %.60s", q)
		}
	}
}
