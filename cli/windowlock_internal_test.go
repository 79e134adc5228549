package cli

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/gofrs/flock"
)

// The owner's WindowOpen holds the lock for an instant; a window starting
// in that instant takes the lock at its next try instead of leaving as if
// another window were open. A window really open keeps it through every
// try.
func TestWindowLockOutlastsTheOwnersTest(t *testing.T) {
	path := filepath.Join(t.TempDir(), windowLockFile)
	owner := flock.New(path)
	if held, err := owner.TryLock(); err != nil || !held {
		t.Fatalf("owner's test lock: %v %v", held, err)
	}
	mine := flock.New(path)
	tries := 0
	held, err := takeWindowLock(func() (bool, error) {
		tries++
		h, err := mine.TryLock()
		if tries == 1 {
			if h {
				t.Error("took a lock another holds")
			}
			_ = owner.Unlock() // the owner's instant ends
		}
		return h, err
	}, windowLockTries, time.Millisecond)
	if err != nil || !held || tries != 2 {
		t.Fatalf("held %v after %d tries (%v); want the lock at the second", held, tries, err)
	}
	_ = mine.Unlock()

	open := flock.New(path) // a window that stays open
	if held, err := open.TryLock(); err != nil || !held {
		t.Fatalf("open window's lock: %v %v", held, err)
	}
	defer open.Unlock()
	tries = 0
	held, err = takeWindowLock(func() (bool, error) { tries++; return mine.TryLock() }, windowLockTries, time.Millisecond)
	if err != nil || held || tries != windowLockTries {
		t.Fatalf("held %v after %d tries (%v); want refused after %d", held, tries, err, windowLockTries)
	}
}
