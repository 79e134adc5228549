package api

import (
	"io"
)

// LoginRequest is a browser sign-in that adds an account, or renews the
// login of an existing one.
type LoginRequest struct {
	Name   string
	Mode   Mode // ModeMax (subscription) or ModeConsole (creates an API key)
	Reauth bool // sign in again to an existing account
	// OpenBrowser opens the sign-in URL (in the background: it may block
	// until the browser exits); nil only prints it. Login waits for the
	// callback, so UIs call it off their UI goroutine.
	OpenBrowser func(url string) error
	// Out receives the sign-in URL, printed whether or not a browser opens.
	Out io.Writer
	// Paste reads "code#state" from In instead of using a loopback callback.
	Paste bool
	In    io.Reader
}

// LoginStartRequest begins a sign-in that another process drives: the
// engine runs the PKCE flow (and, without Paste, the loopback callback);
// the caller opens the returned URL and, with Paste, hands back the code.
type LoginStartRequest struct {
	Name   string `json:"name"`
	Mode   Mode   `json:"mode"`
	Reauth bool   `json:"reauth,omitempty"`
	Paste  bool   `json:"paste,omitempty"`
}

// LoginTicket names a started sign-in and the URL the user must open.
type LoginTicket struct {
	ID  string `json:"id"`
	URL string `json:"url"`
}

// Mode is how a browser sign-in signs in; the values are vault's.
type Mode string

// The sign-in modes.
const (
	ModeMax     Mode = "max"     // a Claude subscription
	ModeConsole Mode = "console" // a Console account, creating an API key
)
