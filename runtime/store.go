package runtime

// The share store: one party's shares of a dataset, in one file.
//
// File format (little-endian; counts are uvarints):
//
//	"MPCD"            magic
//	u16               format version (storeVersion)
//	u8 party, u8 ring k, u8 fractional bits F
//	rows              number of rows (data providers)
//	ncols             number of columns
//	per column:       name (length, bytes), type (u8, vm.Type),
//	                  then two components (x_i, then x_{i+1}), each rows
//	                  elements: 8 bytes per element for k = 64 and for
//	                  sbits, 16 bytes (low word, high word) for k = 128
//	32 bytes          SHA-256 of everything before (detects a changed or
//	                  truncated file when it is read)
//
// A column of whole numbers is stored twice, as sint and as sfix, so that a
// program may read it either way; a column with decimals only as sfix, and a
// column of 0x words only as sbits.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/mpcs/mpcs/vm"
)

const (
	storeMagic   = "MPCD"
	storeVersion = 1
	// MaxStoreRows bounds the rows of a share file.
	MaxStoreRows = 1 << 28
	maxStoreCols = 1 << 12
)

// ShareFile is one party's shares of a dataset.
type ShareFile struct {
	Party    int
	Ring     int
	FracBits int
	Rows     int
	Columns  []vm.Column
	Shares   []vm.Share // per column: x_i and x_{i+1}
}

// Column returns the party's share of column c (InputSource).
func (f *ShareFile) Column(_ context.Context, c vm.Column, k, fb int) (vm.Share, error) {
	if k != f.Ring || fb != f.FracBits {
		return nil, fmt.Errorf("the shares were made for ring %d with %d fractional bits, the program runs in ring %d with %d",
			f.Ring, f.FracBits, k, fb)
	}
	var types []string
	for i, col := range f.Columns {
		if col.Name == c.Name {
			if col.Type == c.Type {
				return vm.Share{vm.CloneVec(f.Shares[i][0]), vm.CloneVec(f.Shares[i][1])}, nil
			}
			types = append(types, col.Type.String())
		}
	}
	if len(types) > 0 {
		return nil, fmt.Errorf("column %q is stored as %s, the program reads it as %s", c.Name, strings.Join(types, " and "), c.Type)
	}
	return nil, fmt.Errorf("no column %q in the party's shares", c.Name)
}

// Encode serializes the file (format above).
func (f *ShareFile) Encode() ([]byte, error) {
	if f.Ring != 64 && f.Ring != 128 {
		return nil, fmt.Errorf("ring must be 64 or 128")
	}
	size := len(storeMagic) + 2 + 3 + 2*binary.MaxVarintLen64 + sha256.Size
	for _, c := range f.Columns {
		size += binary.MaxVarintLen64 + len(c.Name) + 1 + 2*max(f.Rows, 0)*f.elemSize(c.Type)
	}
	b := make([]byte, 0, size)
	b = append(b, storeMagic...)
	b = binary.LittleEndian.AppendUint16(b, storeVersion)
	b = append(b, byte(f.Party), byte(f.Ring), byte(f.FracBits))
	b = binary.AppendUvarint(b, uint64(f.Rows))
	b = binary.AppendUvarint(b, uint64(len(f.Columns)))
	for i, c := range f.Columns {
		b = binary.AppendUvarint(b, uint64(len(c.Name)))
		b = append(b, c.Name...)
		b = append(b, byte(c.Type))
		wide := f.elemSize(c.Type) == 16
		for _, comp := range f.Shares[i] {
			if comp.Len() != f.Rows || wide && len(comp.Hi) != f.Rows {
				return nil, fmt.Errorf("column %q: share of %d elements, want %d", c.Name, comp.Len(), f.Rows)
			}
			for j, lo := range comp.Lo {
				b = binary.LittleEndian.AppendUint64(b, lo)
				if wide {
					b = binary.LittleEndian.AppendUint64(b, comp.Hi[j])
				}
			}
		}
	}
	sum := sha256.Sum256(b)
	return append(b, sum[:]...), nil
}

// elemSize is the bytes of one element of a column of type t: 16 (low
// word, high word) for a number in ring 128, else 8.
func (f *ShareFile) elemSize(t vm.Type) int {
	if f.Ring == 128 && t != vm.TSbits {
		return 16
	}
	return 8
}

// DecodeShareFile parses a share file, treating it as untrusted: a changed,
// truncated or malformed file is an error, never a panic.
func DecodeShareFile(data []byte) (*ShareFile, error) {
	if len(data) < len(storeMagic)+2+3+sha256.Size || string(data[:4]) != storeMagic {
		return nil, errors.New("not an mpcs share file")
	}
	body, sum := data[:len(data)-sha256.Size], data[len(data)-sha256.Size:]
	if got := sha256.Sum256(body); !bytes.Equal(got[:], sum) {
		return nil, errors.New("share file checksum mismatch: the file was changed or truncated")
	}
	b := body[len(storeMagic):] // at least the version and the header (checked above)
	if ver := binary.LittleEndian.Uint16(b); ver != storeVersion {
		return nil, fmt.Errorf("share file version %d, this build reads version %d", ver, storeVersion)
	}
	f := &ShareFile{Party: int(b[2]), Ring: int(b[3]), FracBits: int(b[4])}
	b = b[5:]
	if f.Party > 2 || f.Ring != 64 && f.Ring != 128 || 2*f.FracBits >= f.Ring {
		return nil, fmt.Errorf("share file: bad header (party %d, ring %d, %d fractional bits)", f.Party, f.Ring, f.FracBits)
	}
	// uvarint reads a count from b; ok is false if there is none or it is
	// not in its shortest form (as Encode writes it).
	uvarint := func() (uint64, bool) {
		x, n := binary.Uvarint(b)
		if n <= 0 || n > 1 && b[n-1] == 0 {
			return 0, false
		}
		b = b[n:]
		return x, true
	}
	rows, ok := uvarint()
	if !ok || rows > MaxStoreRows {
		return nil, errors.New("share file: bad row count")
	}
	ncols, ok := uvarint()
	if !ok || ncols > maxStoreCols {
		return nil, errors.New("share file: bad column count")
	}
	f.Rows = int(rows)
	for i := uint64(0); i < ncols; i++ {
		n, ok := uvarint()
		if !ok || n == 0 || n > 256 || n > uint64(len(b)) {
			return nil, fmt.Errorf("share file: column %d: bad name", i)
		}
		name := string(b[:n])
		b = b[n:]
		if len(b) == 0 || (vm.Type(b[0]) != vm.TSint && vm.Type(b[0]) != vm.TSfix && vm.Type(b[0]) != vm.TSbits) {
			return nil, fmt.Errorf("share file: column %q: bad type", name)
		}
		typ := vm.Type(b[0])
		b = b[1:]
		per := f.elemSize(typ)
		if 2*rows*uint64(per) > uint64(len(b)) {
			return nil, fmt.Errorf("share file: column %q: truncated", name)
		}
		share := make(vm.Share, 2)
		for c := range share {
			src := b[:f.Rows*per]
			b = b[f.Rows*per:]
			v := vm.Vec{Lo: make([]uint64, f.Rows)}
			for j := range v.Lo {
				v.Lo[j] = binary.LittleEndian.Uint64(src[j*per:])
			}
			if per == 16 {
				v.Hi = make([]uint64, f.Rows)
				for j := range v.Hi {
					v.Hi[j] = binary.LittleEndian.Uint64(src[j*per+8:])
				}
			}
			share[c] = v
		}
		f.Columns = append(f.Columns, vm.Column{Name: name, Type: typ})
		f.Shares = append(f.Shares, share)
	}
	if len(b) != 0 {
		return nil, errors.New("share file: trailing bytes")
	}
	return f, nil
}

// WriteShareFile writes f to path atomically (a temporary file, synced, then
// renamed), so a crash leaves either the old file or the new one.
func WriteShareFile(path string, f *ShareFile) error {
	data, err := f.Encode()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".shares-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(0o600)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// ReadShareFile reads and checks a share file.
func ReadShareFile(path string) (*ShareFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := DecodeShareFile(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// ShareFileName is the name of a party's share file inside its folder.
const ShareFileName = "shares.mpcd"

// ShareCSV splits a CSV of rows (a header of column names, one row per data
// provider; decimal numbers, or 0x words for sbits) into the three parties'
// share files for ring k with f fractional bits. rnd is the randomness
// (crypto/rand when nil).
func ShareCSV(r io.Reader, k, f int, rnd io.Reader) ([3]*ShareFile, error) {
	var out [3]*ShareFile
	text, err := io.ReadAll(r)
	if err != nil {
		return out, err
	}
	schema, err := csvShareSchema(text)
	if err != nil {
		return out, err
	}
	data, err := vm.ReadCSVSchema(bytes.NewReader(text), k, f, schema)
	if err != nil {
		return out, err
	}
	shared, err := SplitDataset(data, rnd)
	if err != nil {
		return out, err
	}
	for p, sd := range shared {
		out[p] = &ShareFile{Party: p, Ring: k, FracBits: f, Rows: sd.Rows, Columns: sd.Columns, Shares: sd.Shares}
	}
	return out, nil
}

// csvShareSchema reads the header and classifies each column by its cells
// (vm.ReadCSVSchema then parses the values): a column with a 0x word is
// sbits; otherwise one with a decimal point or an exponent is sfix, and a
// column of whole numbers is offered both as sint and as sfix.
func csvShareSchema(text []byte) ([]vm.Column, error) {
	cr := csv.NewReader(bytes.NewReader(text))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, errors.New("the CSV has no header row")
	}
	if err != nil {
		return nil, err
	}
	header = vm.CleanHeader(header) // a copy: the next Read may reuse the record
	types := make([]vm.Type, len(header))
	for j := range types {
		types[j] = vm.TSint
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		for j, cell := range rec[:min(len(rec), len(header))] {
			s := strings.TrimSpace(cell)
			switch {
			case types[j] == vm.TSbits: // stays sbits
			case strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X"):
				types[j] = vm.TSbits
			case strings.ContainsAny(s, ".eE"):
				types[j] = vm.TSfix
			}
		}
	}
	var schema []vm.Column
	for j, name := range header {
		schema = append(schema, vm.Column{Name: name, Type: types[j]})
		if types[j] == vm.TSint {
			schema = append(schema, vm.Column{Name: name, Type: vm.TSfix})
		}
	}
	return schema, nil
}
