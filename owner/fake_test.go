package owner

import (
	"context"
	"sync/atomic"

	"github.com/sluice-proxy/sluice/internal/testkit/fakeengine"
	"github.com/sluice-proxy/sluice/proxy/api"
)

// ownerEngine stands in for control.Local: the shared fake engine (proxy
// switch, snapshot, event hub) with what only the owner calls,
// ConnectionKey, ShowWindow and CopySettingsInWindow, which publish their
// events as the real engine does.
type ownerEngine struct {
	*fakeengine.Engine
	shows atomic.Int32
}

func newOwnerEngine(running bool) *ownerEngine {
	return &ownerEngine{Engine: fakeengine.New("127.0.0.1:8788", running)}
}

// ConnectionKey hands out a key it says it had to make (minted).
func (e *ownerEngine) ConnectionKey(context.Context) (api.KeyView, string, bool, error) {
	return api.KeyView{Name: "connection"}, "sk-sluice-fake-connection", true, nil
}

// CopySettingsInWindow publishes the event a window process acts on.
func (e *ownerEngine) CopySettingsInWindow() { e.Publish(api.EventCopySettings) }

// ShowWindow counts the call and publishes the event a window process acts on.
func (e *ownerEngine) ShowWindow() {
	e.shows.Add(1)
	e.Publish(api.EventShowWindow)
}
