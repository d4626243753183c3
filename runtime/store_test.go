package runtime

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mpcs/mpcs/vm"
)

const storeCSV = "balance,count,word\n1.5,3,0x00000000000000ff\n-2.25,-1,0xffffffffffffffff\n0,0,0x0\n"

func TestShareCSVRoundTrip(t *testing.T) {
	for _, k := range []int{64, 128} {
		f := 16
		if k == 128 {
			f = 24
		}
		files, err := ShareCSV(strings.NewReader(storeCSV), k, f, nil)
		require.NoError(t, err)
		dir := t.TempDir()
		var back [3]*ShareFile
		for p, sf := range files {
			path := filepath.Join(dir, "party"+string(rune('0'+p)), ShareFileName)
			require.NoError(t, WriteShareFile(path, sf))
			info, err := os.Stat(path)
			require.NoError(t, err)
			require.Equal(t, os.FileMode(0o600), info.Mode().Perm())
			back[p], err = ReadShareFile(path)
			require.NoError(t, err)
		}
		want, err := vm.ReadCSVSchema(strings.NewReader(storeCSV), k, f, []vm.Column{
			{Name: "balance", Type: vm.TSfix}, {Name: "count", Type: vm.TSint},
			{Name: "count", Type: vm.TSfix}, {Name: "word", Type: vm.TSbits}})
		require.NoError(t, err)
		for i, col := range want.Columns {
			var shares [3]vm.Share
			for p := range back {
				shares[p], err = back[p].Column(context.Background(), col, k, f)
				require.NoError(t, err, col)
			}
			var got vm.Vec
			if col.Type == vm.TSbits {
				got, err = ReconstructBool(shares)
			} else {
				got, err = Reconstruct(k, shares)
			}
			require.NoError(t, err)
			require.Equal(t, want.Values[i].Lo, got.Lo, col)
		}
		// a decimal column is not offered as sint, and the ring must match
		_, err = back[0].Column(context.Background(), vm.Column{Name: "balance", Type: vm.TSint}, k, f)
		require.ErrorContains(t, err, "stored as sfix")
		_, err = back[0].Column(context.Background(), vm.Column{Name: "nope", Type: vm.TSint}, k, f)
		require.ErrorContains(t, err, `no column "nope"`)
		_, err = back[0].Column(context.Background(), vm.Column{Name: "count", Type: vm.TSint}, k, f+1)
		require.ErrorContains(t, err, "fractional bits")
	}
}

func TestShareFileTamperingDetected(t *testing.T) {
	files, err := ShareCSV(strings.NewReader(storeCSV), 128, 24, nil)
	require.NoError(t, err)
	data, err := files[1].Encode()
	require.NoError(t, err)
	for _, i := range []int{0, 5, len(data) / 2, len(data) - 40, len(data) - 1} {
		bad := append([]byte(nil), data...)
		bad[i] ^= 1
		_, err := DecodeShareFile(bad)
		require.Error(t, err, "flipped byte %d", i)
	}
	for n := 0; n < len(data); n += 7 {
		_, err := DecodeShareFile(data[:n])
		require.Error(t, err)
	}
	f, err := DecodeShareFile(data)
	require.NoError(t, err)
	require.Equal(t, 1, f.Party)
}

func FuzzDecodeShareFile(f *testing.F) {
	files, _ := ShareCSV(strings.NewReader(storeCSV), 64, 16, nil)
	data, _ := files[0].Encode()
	f.Add(data)
	f.Add([]byte("MPCD"))
	f.Fuzz(func(t *testing.T, b []byte) {
		sf, err := DecodeShareFile(b)
		if err != nil {
			return
		}
		again, err := sf.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if string(again) != string(b) {
			t.Fatal("accepted file does not re-encode to itself")
		}
	})
}
