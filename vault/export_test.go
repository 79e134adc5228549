package vault

import (
	"errors"
	"sync"

	"github.com/99designs/keyring"
)

// FaultyKeyring wraps a Store's keyring to make it fail on demand and count
// its calls. Its zero value passes everything through.
type FaultyKeyring struct {
	keyring.Keyring

	mu       sync.Mutex
	setFails int    // how many more Set calls fail
	getErr   error  // when set, Get fails with it
	afterGet func() // runs once, after the next Get
	sets     int
	gets     int
}

// errInjected is the failure FaultyKeyring injects.
var errInjected = errors.New("injected keyring failure")

// InjectFaults puts a FaultyKeyring between s and its keyring.
func InjectFaults(s *Store) *FaultyKeyring {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := &FaultyKeyring{Keyring: s.kr}
	s.kr = f
	return f
}

// FailSets makes the next n Set calls fail.
func (f *FaultyKeyring) FailSets(n int) { f.mu.Lock(); f.setFails = n; f.mu.Unlock() }

// FailGets makes every Get fail (fail true) or pass through again.
func (f *FaultyKeyring) FailGets(fail bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.getErr = nil
	if fail {
		f.getErr = errInjected
	}
}

// AfterNextGet runs fn once, right after the next Get has read the keyring.
func (f *FaultyKeyring) AfterNextGet(fn func()) { f.mu.Lock(); f.afterGet = fn; f.mu.Unlock() }

// Sets and Gets count the calls made, failed ones included.
func (f *FaultyKeyring) Sets() int { f.mu.Lock(); defer f.mu.Unlock(); return f.sets }
func (f *FaultyKeyring) Gets() int { f.mu.Lock(); defer f.mu.Unlock(); return f.gets }

func (f *FaultyKeyring) Set(item keyring.Item) error {
	f.mu.Lock()
	f.sets++
	fail := f.setFails > 0
	if fail {
		f.setFails--
	}
	f.mu.Unlock()
	if fail {
		return errInjected
	}
	return f.Keyring.Set(item)
}

func (f *FaultyKeyring) Get(key string) (keyring.Item, error) {
	f.mu.Lock()
	f.gets++
	err, after := f.getErr, f.afterGet
	f.afterGet = nil
	f.mu.Unlock()
	if err != nil {
		return keyring.Item{}, err
	}
	item, err := f.Keyring.Get(key)
	if after != nil {
		after()
	}
	return item, err
}
