package owner

// ConnectionSettings are the two shell lines that point a client such as
// Claude Code at Sluice listening on addr with the client key token. The
// tray copies them; the window shows and copies them too.
func ConnectionSettings(addr, token string) string {
	if addr == "" {
		addr = "127.0.0.1:8788" // proxy.DefaultHost and DefaultPort
	}
	if token == "" {
		token = "<your client key>"
	}
	return "export ANTHROPIC_BASE_URL=http://" + addr + "\n" +
		"export ANTHROPIC_AUTH_TOKEN=" + token + "\n"
}
