package commit_test

import (
	"fmt"
	"strings"

	"github.com/mpcs/mpcs/stdlib/commit"
)

// A provider's row of a checked dataset (an sfix column with F = 24), as in
// docs/commit.md; the nonce is fixed here to make the output reproducible
// (use commit.NewNonce).
func ExampleCompute() {
	raw, _ := commit.ParseFix("1234.56", 24) // the column's scale: sfix, F = 24
	var nonce [commit.NonceSize]byte
	for i := range nonce {
		nonce[i] = byte(i)
	}
	c := commit.Compute(raw, nonce) // what the notary attests
	nc, cc := commit.Cells(nonce, c)
	row := append([]string{commit.FixCell(raw, 24)}, append(nc[:], cc[:]...)...)
	fmt.Println(raw)
	fmt.Println(strings.Join(row[:2], ","))
	fmt.Println(commit.Verify(raw, nonce, c))
	// Output:
	// 20712479785
	// 1234.560000002384185791015625,0x0706050403020100
	// true
}
