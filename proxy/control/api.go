package control

import (
	"errors"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// The wire protocol is small on purpose: every Service method is
// POST /v1/<method> with its arguments as a JSON object and its result as
// JSON; a failure is a non-2xx status with {"error": "...", "code": "..."}.
// GET /v1/events streams engine events as JSON lines.
//
// Adding a method: one entry in server.go's methods table, one client
// method in client.go calling call[T]. Request types below are shared.

// Method names, shared by server and client.
const (
	mAccounts     = "accounts"
	mAddKey       = "accounts.add-key"
	mRemove       = "accounts.remove"
	mPause        = "accounts.pause"
	mResume       = "accounts.resume"
	mPriority     = "accounts.priority"
	mRename       = "accounts.rename"
	mLoginStart   = "login.start"
	mLoginFinish  = "login.finish"
	mLoginCancel  = "login.cancel"
	mProxyOn      = "proxy.on"
	mProxyOff     = "proxy.off"
	mProxyRunning = "proxy.running"
	mAddr         = "proxy.addr"
	mStatus       = "status"
	mSnapshot     = "snapshot"
	mSessions     = "sessions"
	mStatusline   = "statusline"
	mShowWindow   = "show-window"
	mCopyInWindow = "copy-settings"
	mShowOnce     = "show-once"
	mImport       = "import-ccflare"
	mCheckKey     = "accounts.check-key"
	mReplaceKey   = "accounts.replace-key"
	mLogs         = "logs"
	mRequest      = "logs.show"
	mUsage        = "usage"
	mCleanup      = "logs.cleanup"
	mAudit        = "audit"
	mDoctor       = "doctor"
	mSettings     = "settings"
	mSetSettings  = "settings.update"
	mConfig       = "config"
	mHealth       = "health"
	mKeys         = "keys"
	mCreateKey    = "keys.create"
	mUpdateKey    = "keys.update"
	mRevokeKey    = "keys.revoke"
	mFirstKey     = "keys.first"
	mDismissFirst = "keys.first.dismiss"
	mConnKey      = "keys.connection"
	mRequireKey   = "keys.required"
	mSetRequire   = "keys.required.set"
	mGuardStats   = "guard-stats"
	mClearLimit   = "accounts.clear-limit"
	mHeadroom     = "accounts.headroom"
	mPlanGuard    = "accounts.plan-guard"
	mObserved     = "accounts.observed"
	mSetPort      = "proxy.port"
	mProxySet     = "settings.proxy"
	mSetProxySet  = "settings.proxy.update"
	mValues       = "settings.all"
	mSetSetting   = "settings.set"
	eventsPath    = "/v1/events"
)

// Requests that carry more than nothing.
type (
	none    struct{}
	nameReq struct {
		Name string `json:"name"`
	}
	addKeyReq   struct{ Name, Key string }
	priorityReq struct {
		Name     string `json:"name"`
		Priority int    `json:"priority"`
	}
	renameReq struct {
		Old string `json:"old"`
		New string `json:"new"`
	}
	finishReq struct {
		ID   string `json:"id"`
		Code string `json:"code,omitempty"`
	}
	keyReq       struct{ Key string }
	replaceReq   struct{ Name, Key string }
	idReq        struct{ ID string }
	boolReq      struct{ On bool }
	compactReq   struct{ Compact bool }
	portReq      struct{ Port int }
	updateKeyReq struct {
		Name    string
		Options api.KeyOptions
	}
	headroomReq struct {
		Name, Kind string
		Percent    float64
	}
	planGuardReq struct {
		Name string
		On   bool
	}
	// createdKey is CreateKey's result: the key, and its secret, shown once.
	createdKey struct {
		Key    api.KeyView `json:"key"`
		Secret string      `json:"secret"`
	}
	// connKey is ConnectionKey's result.
	connKey struct {
		Key    api.KeyView `json:"key"`
		Secret string      `json:"secret"`
		Minted bool        `json:"minted"`
	}
	// firstKey is FirstKey's result.
	firstKey struct {
		Key    api.KeyView `json:"key"`
		Secret string      `json:"secret"`
		OK     bool        `json:"ok"`
	}
	pathReq    struct{ Path string }
	settingReq struct{ Key, Value string }
)

// Error codes on the wire, mapped to and from the engine's sentinel
// errors so errors.Is works the same on either side of the socket. Add a
// line when the engine grows a sentinel clients branch on.
var codes = []struct {
	code string
	err  error
}{
	{"not_found", api.ErrNoSuchAccount},
	{"exists", api.ErrAccountExists},
	{"no_oauth", api.ErrNoOAuth},
	{"no_login", api.ErrNoSuchLogin},
	{"port_in_use", api.ErrPortInUse},
	{"key_refused", api.ErrKeyRefused},
	{"key_not_found", api.ErrKeyNotFound},
	{"no_request", api.ErrNoSuchRequest},
	{"no_setting", api.ErrNoSuchSetting},
	{"setting_fixed", api.ErrSettingFixed},
	{"bad_setting", api.ErrBadSetting},
}

// Codes with no sentinel.
const (
	codeUsage  = "usage"  // the request was malformed or named no method
	codeFailed = "failed" // any other failure; the message says what
	// codeUnverified is a *api.KeyUnverifiedError: a key that could not
	// be checked, which callers save with a warning.
	codeUnverified = "key_unverified"
)

// errorBody is a failure on the wire.
type errorBody struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

func codeOf(err error) string {
	var unverified *api.KeyUnverifiedError
	if errors.As(err, &unverified) {
		return codeUnverified
	}
	for _, c := range codes {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	return codeFailed
}

// Error is a failure reported by the owner. It unwraps to the engine's
// sentinel error its code names, if any.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Unwrap returns the sentinel for e.Code, so errors.Is(err,
// api.ErrNoSuchAccount) holds for a remote "not found".
func (e *Error) Unwrap() error {
	for _, c := range codes {
		if c.code == e.Code {
			return c.err
		}
	}
	return nil
}
