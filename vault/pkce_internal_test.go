package vault

import "testing"

// RFC 7636 Appendix B.
func TestChallengeS256(t *testing.T) {
	got := ChallengeS256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
	if want := "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"; got != want {
		t.Errorf("ChallengeS256 = %s, want %s", got, want)
	}
	v, err := newVerifier()
	if err != nil || len(v) < 43 {
		t.Errorf("verifier %d chars, err %v; want >= 43", len(v), err)
	}
}
