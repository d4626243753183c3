package runtime

import (
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"slices"
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
			require.Equal(t, want.Values[i].Hi, got.Hi, col, "the high words of ring 128 too")
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
	f.Add([]byte("MPCD\x01\x00\x00@\x100\x80\x00")) // sealed: a column count in two bytes
	f.Fuzz(func(t *testing.T, b []byte) {
		// b as it is, and b sealed with its checksum: a mutated file
		// almost never passes the checksum, so the parser behind it is
		// fuzzed with the second.
		sum := sha256.Sum256(b)
		for _, data := range [][]byte{b, append(slices.Clip(b), sum[:]...)} {
			sf, err := DecodeShareFile(data)
			if err != nil {
				continue
			}
			again, err := sf.Encode()
			if err != nil {
				t.Fatal(err)
			}
			if string(again) != string(data) {
				t.Fatal("accepted file does not re-encode to itself")
			}
		}
	})
}

// BenchmarkShareFile encodes and decodes a share file of 10^6 rows (one
// column of each type) in ring 128.
func BenchmarkShareFile(b *testing.B) {
	const rows = 1_000_000
	sf := &ShareFile{Party: 0, Ring: 128, FracBits: 24, Rows: rows}
	for _, c := range []vm.Column{{Name: "count", Type: vm.TSint}, {Name: "balance", Type: vm.TSfix}, {Name: "word", Type: vm.TSbits}} {
		k := 128
		if c.Type == vm.TSbits {
			k = 64
		}
		v := vm.NewVec(k, rows)
		for j := range v.Lo {
			v.Lo[j] = uint64(j) * 0x9e3779b97f4a7c15
		}
		sf.Columns = append(sf.Columns, c)
		sf.Shares = append(sf.Shares, vm.Share{v, v})
	}
	data, err := sf.Encode()
	require.NoError(b, err)
	b.Run("encode", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := sf.Encode(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := DecodeShareFile(data); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// A header as spreadsheets write it (a byte-order mark, spaces around the
// names) is read as vm's CSV reader reads it.
func TestShareCSVSpreadsheetHeader(t *testing.T) {
	files, err := ShareCSV(strings.NewReader("\ufeffbalance , count\n1.5,3\n2,4\n"), 128, 24, nil)
	require.NoError(t, err)
	var names []string
	for _, c := range files[0].Columns {
		names = append(names, c.Name)
	}
	require.Equal(t, []string{"balance", "count", "count"}, names)
}
