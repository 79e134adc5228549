package app

import (
	"errors"
	"fmt"
	"sync/atomic"

	"fyne.io/fyne/v2"
	"github.com/go-gl/glfw/v3.3/glfw"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// subscription is a process's one stream of engine events, dispatched by
// kind: the window's requests (show, copy) go to their handlers, the rest
// to the view, which coalesces them.
type subscription struct {
	stop    func()
	stopped atomic.Bool
}

// subscribe opens the process's one event stream. Events of a kind in on
// run its handler; the others go to view, which is closed when the stream
// ends. gone, when not nil, is called if the stream ends before stop: the
// engine went away.
func subscribe(eng Engine, view chan<- api.Event, on map[api.EventKind]func(), gone func()) (*subscription, error) {
	events, stop, err := eng.Subscribe()
	if err != nil {
		close(view)
		return nil, fmt.Errorf("subscribe to the engine's events: %w", err)
	}
	s := &subscription{stop: stop}
	go func() {
		defer close(view)
		for e := range events {
			if f, ok := on[e.Kind]; ok {
				f()
				continue
			}
			select {
			case view <- e:
			default: // the view has a re-read pending already
			}
		}
		if gone != nil && !s.stopped.Load() {
			gone()
		}
	}()
	return s, nil
}

// Stop ends the stream.
func (s *subscription) Stop() {
	s.stopped.Store(true)
	s.stop()
}

// comeForward is the handler that shows and focuses w when the engine
// asks (a second `sluice` start, the tray's "Open Sluice").
//
// The request can reach a window process that is quitting (the window
// closed just as another start asked for it). Fyne's GLFW driver runs
// what fyne.Do queued after it terminated GLFW (it drains its queue after
// glfw.Terminate, and runs later calls inline), where Show panics with
// "not initialized": a window on its way out need not come forward.
func comeForward(w fyne.Window) func() {
	return func() {
		fyne.Do(func() {
			defer ignoreTerminated()
			w.Show()
			w.RequestFocus()
		})
	}
}

// ignoreTerminated recovers GLFW's "not initialized" panic, and only it.
func ignoreTerminated() {
	r := recover()
	if r == nil {
		return
	}
	// The code's constant is unexported; its name is the library's own.
	var gerr *glfw.Error
	if err, ok := r.(error); ok && errors.As(err, &gerr) && gerr.Code.String() == "NotInitialized" {
		return
	}
	panic(r)
}
