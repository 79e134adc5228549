package pool

import "strings"

// Serves reports whether the account takes requests for model: every model
// when Models is nil (Anthropic's own accounts), else only a model one of
// its patterns matches (a compatible upstream's maps and listed models). A
// request that names no model goes only to accounts that serve them all.
func (a Account) Serves(model string) bool {
	if a.Models == nil {
		return true
	}
	for _, p := range a.Models {
		if MatchModel(p, model) {
			return true
		}
	}
	return false
}

// MatchModel reports whether model matches pattern, in which '*' stands for
// any run of characters (slashes included: "anthropic/claude-*") and
// everything else for itself. An empty model matches nothing.
func MatchModel(pattern, model string) bool {
	if model == "" {
		return false
	}
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == model
	}
	if !strings.HasPrefix(model, parts[0]) {
		return false
	}
	rest := model[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(rest, p)
		if i < 0 {
			return false
		}
		rest = rest[i+len(p):]
	}
	return len(rest) >= len(last) && strings.HasSuffix(rest, last)
}
