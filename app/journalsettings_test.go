package app

import (
	"context"
	"testing"

	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/control"
)

// The journal's settings changed outside the window (`sluice settings
// set`, the registry's path) reach an open Settings tab by their event,
// with no resync: the untouched fields follow, a field being edited keeps
// what is typed.
func TestJournalSettingsChangedElsewhereShow(t *testing.T) {
	e := newRealEngine(t)
	v, _, ui := shown(t, control.NewLocal(e.svc))
	v.tabs.SelectIndex(3)
	st := v.settings
	ui.waitFor(t, "the journal settings", func() bool { return st.maxDB.Text == "500" && st.reqAge.Text != "" })
	st.payAge.SetText("3") // being edited (the test goroutine is the UI's: uiLoop)

	for key, value := range map[string]string{
		api.SettingCapture:          "on",
		api.SettingCaptureMax:       "64 KB",
		api.SettingRequestRetention: "9d",
		api.SettingPayloadRetention: "2d",
		api.SettingMaxDBSize:        "123 MB",
	} {
		if _, err := e.svc.SetSetting(context.Background(), key, value); err != nil {
			t.Fatalf("set %s %s: %v", key, value, err)
		}
	}
	ui.waitFor(t, "the settings changed elsewhere in the tab", func() bool {
		return st.capture.Checked && st.capMax.Text == "64" && st.reqAge.Text == "9" && st.maxDB.Text == "123"
	})
	if st.payAge.Text != "3" {
		t.Errorf("a field being edited was overwritten with %q", st.payAge.Text)
	}
}
