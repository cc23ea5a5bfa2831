// Generates the Go-side vectors of test/sm4-gcm.test.ts ("bytes from Go"): SM4-GCM through Go's own
// crypto/cipher.NewGCM over tjfoc/gmsm's SM4 block, the SM3 KDF, and an SM2 ciphertext. JuiceFS uses
// emmansun/gmsm, but its GCM is the same cipher.NewGCM construction. Not built by the workspace:
//   apt-get install golang-go golang-github-tjfoc-gmsm-dev
//   GO111MODULE=off GOPATH=/usr/share/gocode go run packages/chunk/test/go-vectors/main.go
// (The SM2 key and ciphertext are random each run; the test embeds one run's output.)
package main

import (
	"crypto/cipher"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"

	"github.com/tjfoc/gmsm/sm2"
	"github.com/tjfoc/gmsm/sm3"
	"github.com/tjfoc/gmsm/sm4"
)

func kdf16(z []byte) []byte {
	ct := make([]byte, 4)
	binary.BigEndian.PutUint32(ct, 1)
	return sm3.Sm3Sum(append(append([]byte{}, z...), ct...))[:16]
}

func gcm(key []byte) cipher.AEAD {
	b, err := sm4.NewCipher(key)
	if err != nil {
		panic(err)
	}
	a, err := cipher.NewGCM(b)
	if err != nil {
		panic(err)
	}
	return a
}

func main() {
	uuid := "faa27c8f-edab-4791-a4e0-1620b732b343"
	nonce, _ := hex.DecodeString("000102030405060708090a0b")
	sealed := gcm(kdf16([]byte(uuid))).Seal(nil, nonce, []byte("foobarbaz"), nil)
	fmt.Println("secret", base64.StdEncoding.EncodeToString(append(append([]byte{}, nonce...), sealed...)))

	key, _ := hex.DecodeString("00112233445566778899aabbccddeeff")
	plain := make([]byte, 1000)
	for i := range plain {
		plain[i] = byte(i*31 + 7)
	}
	fmt.Println("block", hex.EncodeToString(gcm(key).Seal(nil, nonce, plain, nil)))

	priv, err := sm2.GenerateKey()
	if err != nil {
		panic(err)
	}
	ct, err := sm2.Encrypt(&priv.PublicKey, key)
	if err != nil {
		panic(err)
	}
	fmt.Println("sm2d", hex.EncodeToString(priv.D.Bytes()))
	fmt.Println("sm2ct", hex.EncodeToString(ct))
}
