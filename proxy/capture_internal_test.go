package proxy

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"testing"
)

func TestSealBindsPayloadToRecord(t *testing.T) {
	block, err := aes.NewCipher(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	plain := []byte(`{"messages":[{"content":"hello"}]}`)
	sealed := seal(aead, "rec-A", plain)
	if bytes.Contains(sealed, []byte("hello")) {
		t.Fatal("sealed payload holds the plain text")
	}
	if got, err := unseal(aead, "rec-A", sealed); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("unseal = %q, %v", got, err)
	}
	if _, err := unseal(aead, "rec-B", sealed); err == nil {
		t.Fatal("a payload opened under another record's id")
	}
	if again := seal(aead, "rec-A", plain); bytes.Equal(again, sealed) {
		t.Fatal("two seals of the same text are equal: nonce reused")
	}
	if _, err := unseal(aead, "rec-A", sealed[:5]); err == nil {
		t.Fatal("a truncated payload opened")
	}
}

func TestCapBufHoldsAtMostTheCap(t *testing.T) {
	c := capBuf{max: 10_000}
	chunk := bytes.Repeat([]byte("x"), 3000)
	for range 10 {
		c.write(chunk)
	}
	if len(c.b) != 10_000 || !c.truncated || cap(c.b) > 10_000 {
		t.Fatalf("len %d cap %d truncated %v; want 10000, <= 10000, true", len(c.b), cap(c.b), c.truncated)
	}
	small := capBuf{max: 100}
	small.write([]byte("abc"))
	if string(small.b) != "abc" || small.truncated {
		t.Fatalf("small write: %q, %v", small.b, small.truncated)
	}
}
