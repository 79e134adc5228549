package proxy

import "context"

// ShowOnce reports whether the one-time notice named key is still to be
// shown, and records that it now has been.
func (s *Service) ShowOnce(ctx context.Context, key string) (bool, error) {
	k := "notice." + key
	_, seen, err := s.db.Setting(ctx, k)
	if err != nil || seen {
		return false, err
	}
	return true, s.db.SetSetting(ctx, k, s.now().UTC().Format("2006-01-02T15:04:05Z"))
}
