package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/api"
)

// method is one entry of the API: decode the request, call the engine.
type method func(ctx context.Context, s *proxy.Service, body []byte) (any, error)

// handle adapts an engine call taking In and returning Out to a method.
func handle[In, Out any](f func(ctx context.Context, s *proxy.Service, in In) (Out, error)) method {
	return func(ctx context.Context, s *proxy.Service, body []byte) (any, error) {
		var in In
		if len(body) > 0 {
			if err := json.Unmarshal(body, &in); err != nil {
				return nil, &Error{Code: codeUsage, Message: "bad request: " + err.Error()}
			}
		}
		return f(ctx, s, in)
	}
}

// methods is the whole API. Each line is one Service method.
var methods = map[string]method{
	mAccounts: handle(func(ctx context.Context, s *proxy.Service, _ none) ([]api.AccountView, error) {
		return s.Accounts(ctx)
	}),
	mAddKey: handle(func(ctx context.Context, s *proxy.Service, r addKeyReq) (api.AccountView, error) {
		return s.AddAPIKey(ctx, r.Name, r.Key)
	}),
	mAddUpstream: handle(func(ctx context.Context, s *proxy.Service, r addUpstreamReq) (api.UpstreamAdded, error) {
		return s.AddUpstream(ctx, r.Account, r.Key)
	}),
	mRemove: handle(func(ctx context.Context, s *proxy.Service, r nameReq) (none, error) {
		return none{}, s.RemoveAccount(ctx, r.Name)
	}),
	mPause: handle(func(ctx context.Context, s *proxy.Service, r nameReq) (none, error) {
		return none{}, s.PauseAccount(ctx, r.Name)
	}),
	mResume: handle(func(ctx context.Context, s *proxy.Service, r nameReq) (none, error) {
		return none{}, s.ResumeAccount(ctx, r.Name)
	}),
	mPriority: handle(func(ctx context.Context, s *proxy.Service, r priorityReq) (none, error) {
		return none{}, s.SetPriority(ctx, r.Name, r.Priority)
	}),
	mRename: handle(func(ctx context.Context, s *proxy.Service, r renameReq) (none, error) {
		return none{}, s.RenameAccount(ctx, r.Old, r.New)
	}),
	mLoginStart: handle(func(ctx context.Context, s *proxy.Service, r api.LoginStartRequest) (api.LoginTicket, error) {
		return s.LoginStart(ctx, r)
	}),
	mLoginFinish: handle(func(ctx context.Context, s *proxy.Service, r finishReq) (api.AccountView, error) {
		return s.LoginFinish(ctx, r.ID, r.Code)
	}),
	mLoginCancel: handle(func(_ context.Context, s *proxy.Service, r finishReq) (none, error) {
		s.LoginCancel(r.ID)
		return none{}, nil
	}),
	mProxyOn: handle(func(ctx context.Context, s *proxy.Service, _ none) (none, error) {
		return none{}, s.StartProxy(ctx)
	}),
	mProxyOff: handle(func(ctx context.Context, s *proxy.Service, _ none) (none, error) {
		return none{}, s.StopProxy(ctx)
	}),
	mProxyRunning: handle(func(_ context.Context, s *proxy.Service, _ none) (bool, error) {
		return s.ProxyRunning(), nil
	}),
	mAddr: handle(func(_ context.Context, s *proxy.Service, _ none) (string, error) {
		return s.Addr(), nil
	}),
	mStatus: handle(func(ctx context.Context, s *proxy.Service, _ none) (api.Status, error) {
		return s.Status(ctx)
	}),
	mSnapshot: handle(func(ctx context.Context, s *proxy.Service, _ none) (api.Snapshot, error) {
		return s.Snapshot(ctx)
	}),
	mSessions: handle(func(_ context.Context, s *proxy.Service, _ none) ([]api.SessionView, error) {
		return s.Sessions(), nil
	}),
	mStatusline: handle(func(_ context.Context, s *proxy.Service, session string) (api.StatuslineView, error) {
		return s.Statusline(session), nil
	}),
	mShowWindow: handle(func(_ context.Context, s *proxy.Service, _ none) (none, error) {
		s.ShowWindow()
		return none{}, nil
	}),
	mCopyInWindow: handle(func(_ context.Context, s *proxy.Service, _ none) (none, error) {
		s.CopySettingsInWindow()
		return none{}, nil
	}),
	mShowOnce: handle(func(ctx context.Context, s *proxy.Service, r keyReq) (bool, error) {
		return s.ShowOnce(ctx, r.Key)
	}),
	mImport: handle(func(ctx context.Context, s *proxy.Service, r pathReq) (proxy.ImportReport, error) {
		return s.ImportCCFlare(ctx, r.Path)
	}),
	mCheckKey: handle(func(ctx context.Context, s *proxy.Service, r keyReq) (none, error) {
		return none{}, s.CheckAPIKey(ctx, r.Key)
	}),
	mReplaceKey: handle(func(ctx context.Context, s *proxy.Service, r replaceReq) (none, error) {
		return none{}, s.ReplaceAPIKey(ctx, r.Name, r.Key)
	}),
	mLogs: handle(func(ctx context.Context, s *proxy.Service, f api.LogFilter) (api.LogPage, error) {
		return s.Logs(ctx, f)
	}),
	mRequest: handle(func(ctx context.Context, s *proxy.Service, r idReq) (api.RequestDetail, error) {
		return s.Request(ctx, r.ID)
	}),
	mUsage: handle(func(ctx context.Context, s *proxy.Service, q api.UsageQuery) (api.UsageReport, error) {
		return s.Usage(ctx, q)
	}),
	mCleanup: handle(func(ctx context.Context, s *proxy.Service, o api.CleanupOptions) (api.CleanupResult, error) {
		return s.Cleanup(ctx, o)
	}),
	mAudit: handle(func(ctx context.Context, s *proxy.Service, f api.AuditFilter) (api.AuditPage, error) {
		return s.Audit(ctx, f)
	}),
	mDoctor: handle(func(ctx context.Context, s *proxy.Service, r compactReq) (proxy.DoctorReport, error) {
		return s.Doctor(ctx, r.Compact)
	}),
	mSettings: handle(func(_ context.Context, s *proxy.Service, _ none) (api.Settings, error) {
		return s.Settings(), nil
	}),
	mSetSettings: handle(func(ctx context.Context, s *proxy.Service, st api.Settings) (api.Settings, error) {
		return s.UpdateSettings(ctx, st)
	}),
	mConfig: handle(func(_ context.Context, s *proxy.Service, _ none) (proxy.Config, error) {
		return s.Config(), nil
	}),
	mHealth: handle(func(_ context.Context, s *proxy.Service, _ none) (proxy.Health, error) {
		return s.Health(), nil
	}),
	mKeys: handle(func(ctx context.Context, s *proxy.Service, _ none) ([]api.KeyView, error) {
		return s.Keys(ctx)
	}),
	mCreateKey: handle(func(ctx context.Context, s *proxy.Service, o api.KeyOptions) (createdKey, error) {
		k, secret, err := s.CreateKey(ctx, o)
		return createdKey{k, secret}, err
	}),
	mUpdateKey: handle(func(ctx context.Context, s *proxy.Service, r updateKeyReq) (api.KeyView, error) {
		return s.UpdateKey(ctx, r.Name, r.Options)
	}),
	mRevokeKey: handle(func(ctx context.Context, s *proxy.Service, r nameReq) (none, error) {
		return none{}, s.RevokeKey(ctx, r.Name)
	}),
	mFirstKey: handle(func(_ context.Context, s *proxy.Service, _ none) (firstKey, error) {
		k, secret, ok := s.FirstKey()
		return firstKey{k, secret, ok}, nil
	}),
	mConnKey: handle(func(ctx context.Context, s *proxy.Service, _ none) (connKey, error) {
		k, secret, minted, err := s.ConnectionKey(ctx)
		return connKey{k, secret, minted}, err
	}),
	mDismissFirst: handle(func(_ context.Context, s *proxy.Service, _ none) (none, error) {
		s.DismissFirstKey()
		return none{}, nil
	}),
	mRequireKey: handle(func(_ context.Context, s *proxy.Service, _ none) (bool, error) {
		return s.RequireKey(), nil
	}),
	mSetRequire: handle(func(ctx context.Context, s *proxy.Service, r boolReq) (none, error) {
		return none{}, s.SetRequireKey(ctx, r.On)
	}),
	mGuardStats: handle(func(_ context.Context, s *proxy.Service, _ none) (proxy.GuardStats, error) {
		return s.GuardStats(), nil
	}),
	mClearLimit: handle(func(ctx context.Context, s *proxy.Service, r nameReq) (none, error) {
		return none{}, s.ClearLimit(ctx, r.Name)
	}),
	mHeadroom: handle(func(ctx context.Context, s *proxy.Service, r headroomReq) (none, error) {
		return none{}, s.SetHeadroom(ctx, r.Name, r.Kind, r.Percent)
	}),
	mPlanGuard: handle(func(ctx context.Context, s *proxy.Service, r planGuardReq) (none, error) {
		return none{}, s.SetPlanGuard(ctx, r.Name, r.On)
	}),
	mObserved: handle(func(_ context.Context, s *proxy.Service, _ none) ([]api.AccountView, error) {
		return s.ObservedAccounts(), nil
	}),
	mSetPort: handle(func(ctx context.Context, s *proxy.Service, r portReq) (none, error) {
		return none{}, s.SetPort(ctx, r.Port)
	}),
	mProxySet: handle(func(_ context.Context, s *proxy.Service, _ none) (api.ProxySettings, error) {
		return s.ProxySettings(), nil
	}),
	mSetProxySet: handle(func(ctx context.Context, s *proxy.Service, ps api.ProxySettings) (none, error) {
		return none{}, s.UpdateProxySettings(ctx, ps)
	}),
	mValues: handle(func(_ context.Context, s *proxy.Service, _ none) (api.Values, error) {
		return s.Values(), nil
	}),
	mSetSetting: handle(func(ctx context.Context, s *proxy.Service, r settingReq) (api.Values, error) {
		return s.SetSetting(ctx, r.Key, r.Value)
	}),
}

// Server serves the control API of one engine on the data dir's socket.
type Server struct {
	svc  *proxy.Service
	log  *slog.Logger
	path string
	http *http.Server
	done chan struct{}
	// stop ends the requests in flight at Close: event streams and sign-ins
	// waiting for a browser would otherwise hold Shutdown up.
	stop context.CancelFunc
}

// maxBody bounds a request: arguments are names, keys and paths.
const maxBody = 1 << 20

// SocketPath is the control socket of a data dir: a Unix socket in it, or
// on Windows a named pipe named for it (sock_windows.go).
func SocketPath(dataDir string) string { return socketPath(dataDir) }

// maxSocketPath is the longest path a Unix socket address holds
// (sun_path is 108 bytes on Linux, 104 on macOS and the BSDs, with a NUL).
const maxSocketPath = 103

// checkSocketPath explains a data dir too deep for a socket address,
// which the OS would only call "invalid argument".
func checkSocketPath(p string) error {
	if len(p) > maxSocketPath {
		return fmt.Errorf("the control socket path %s is %d bytes, longer than Unix sockets allow (%d): set SLUICE_DATA_DIR to a shorter path", p, len(p), maxSocketPath)
	}
	return nil
}

// Serve starts serving svc's control API. It needs the data dir's lock:
// only the owner may remove a socket left by a crashed predecessor.
func Serve(l *Lock, svc *proxy.Service, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.Default()
	}
	path := SocketPath(l.Dir())
	if err := checkSocketPath(path); err != nil {
		return nil, err
	}
	ln, err := listen(path)
	if err != nil {
		return nil, err
	}
	base, stop := context.WithCancel(context.Background())
	s := &Server{svc: svc, log: log, path: path, done: make(chan struct{}), stop: stop}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+eventsPath, s.events)
	mux.HandleFunc("POST /v1/{method...}", s.call)
	s.http = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
		BaseContext:       func(net.Listener) context.Context { return base },
	}
	go func() {
		defer close(s.done)
		if err := s.http.Serve(peerListener{Listener: ln, log: log}); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("control socket stopped", "err", err)
		}
	}()
	return s, nil
}

// Close stops serving, ending event streams, and removes the socket.
func (s *Server) Close(ctx context.Context) error {
	s.stop()
	err := s.http.Shutdown(ctx)
	if err != nil {
		err = errors.Join(err, s.http.Close())
	}
	<-s.done
	_ = os.Remove(s.path)
	return err
}

func (s *Server) call(w http.ResponseWriter, r *http.Request) {
	m, ok := methods[r.PathValue("method")]
	if !ok {
		writeErr(w, http.StatusNotFound, &Error{Code: codeUsage, Message: fmt.Sprintf("no control method %q (is the CLI newer than the running Sluice? restart it)", r.PathValue("method"))})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		writeErr(w, http.StatusBadRequest, &Error{Code: codeUsage, Message: "read request: " + err.Error()})
		return
	}
	out, err := m(r.Context(), s.svc, body)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			writeErr(w, http.StatusBadRequest, e)
			return
		}
		writeErr(w, http.StatusConflict, &Error{Code: codeOf(err), Message: err.Error()})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

func writeErr(w http.ResponseWriter, status int, e *Error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(errorBody{Error: e.Message, Code: e.Code})
}

// events streams the engine's events as JSON lines until the client goes.
// The headers are flushed once subscribed, so a client that has them
// misses no later event.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	ch, stop := s.svc.Subscribe()
	defer stop()
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	enc := json.NewEncoder(w)
	for {
		select {
		case <-r.Context().Done():
			return
		case e, ok := <-ch:
			if !ok {
				return
			}
			if enc.Encode(e) != nil || rc.Flush() != nil {
				return
			}
		}
	}
}
