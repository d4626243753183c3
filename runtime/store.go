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
	"bufio"
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
	var b bytes.Buffer
	b.WriteString(storeMagic)
	b.Write(binary.LittleEndian.AppendUint16(nil, storeVersion))
	b.Write([]byte{byte(f.Party), byte(f.Ring), byte(f.FracBits)})
	b.Write(binary.AppendUvarint(nil, uint64(f.Rows)))
	b.Write(binary.AppendUvarint(nil, uint64(len(f.Columns))))
	for i, c := range f.Columns {
		b.Write(binary.AppendUvarint(nil, uint64(len(c.Name))))
		b.WriteString(c.Name)
		b.WriteByte(byte(c.Type))
		wide := f.Ring == 128 && c.Type != vm.TSbits
		for _, comp := range f.Shares[i] {
			if comp.Len() != f.Rows || wide && len(comp.Hi) != f.Rows {
				return nil, fmt.Errorf("column %q: share of %d elements, want %d", c.Name, comp.Len(), f.Rows)
			}
			for j := 0; j < f.Rows; j++ {
				b.Write(binary.LittleEndian.AppendUint64(nil, comp.Lo[j]))
				if wide {
					b.Write(binary.LittleEndian.AppendUint64(nil, comp.Hi[j]))
				}
			}
		}
	}
	sum := sha256.Sum256(b.Bytes())
	b.Write(sum[:])
	return b.Bytes(), nil
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
	r := bytes.NewReader(body[4:])
	var ver uint16
	if err := binary.Read(r, binary.LittleEndian, &ver); err != nil || ver != storeVersion {
		return nil, fmt.Errorf("share file version %d, this build reads version %d", ver, storeVersion)
	}
	var hdr [3]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, errors.New("share file: truncated header")
	}
	f := &ShareFile{Party: int(hdr[0]), Ring: int(hdr[1]), FracBits: int(hdr[2])}
	if f.Party > 2 || f.Ring != 64 && f.Ring != 128 || 2*f.FracBits >= f.Ring {
		return nil, fmt.Errorf("share file: bad header (party %d, ring %d, %d fractional bits)", f.Party, f.Ring, f.FracBits)
	}
	rows, err := binary.ReadUvarint(r)
	if err != nil || rows > MaxStoreRows {
		return nil, errors.New("share file: bad row count")
	}
	ncols, err := binary.ReadUvarint(r)
	if err != nil || ncols > maxStoreCols {
		return nil, errors.New("share file: bad column count")
	}
	f.Rows = int(rows)
	for i := uint64(0); i < ncols; i++ {
		n, err := binary.ReadUvarint(r)
		if err != nil || n == 0 || n > 256 || n > uint64(r.Len()) {
			return nil, fmt.Errorf("share file: column %d: bad name", i)
		}
		name := make([]byte, n)
		io.ReadFull(r, name)
		t, err := r.ReadByte()
		if err != nil || (vm.Type(t) != vm.TSint && vm.Type(t) != vm.TSfix && vm.Type(t) != vm.TSbits) {
			return nil, fmt.Errorf("share file: column %q: bad type", name)
		}
		typ := vm.Type(t)
		wide := f.Ring == 128 && typ != vm.TSbits
		per := uint64(8)
		if wide {
			per = 16
		}
		if 2*rows*per > uint64(r.Len()) {
			return nil, fmt.Errorf("share file: column %q: truncated", name)
		}
		var share vm.Share
		for c := 0; c < 2; c++ {
			v := vm.Vec{Lo: make([]uint64, rows)}
			if wide {
				v.Hi = make([]uint64, rows)
			}
			var w [16]byte
			for j := range v.Lo {
				io.ReadFull(r, w[:per])
				v.Lo[j] = binary.LittleEndian.Uint64(w[:8])
				if wide {
					v.Hi[j] = binary.LittleEndian.Uint64(w[8:16])
				}
			}
			share = append(share, v)
		}
		f.Columns = append(f.Columns, vm.Column{Name: string(name), Type: typ})
		f.Shares = append(f.Shares, share)
	}
	if r.Len() != 0 {
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
	w := bufio.NewWriter(tmp)
	if _, err := w.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
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
	header, cells, err := readCells(text)
	if err != nil {
		return out, err
	}
	var schema []vm.Column
	for j, name := range header {
		kind := columnKind(cells, j)
		switch kind {
		case "bits":
			schema = append(schema, vm.Column{Name: name, Type: vm.TSbits})
		case "int":
			schema = append(schema, vm.Column{Name: name, Type: vm.TSint}, vm.Column{Name: name, Type: vm.TSfix})
		default:
			schema = append(schema, vm.Column{Name: name, Type: vm.TSfix})
		}
	}
	data, err := vm.ReadCSVSchema(bytes.NewReader(text), k, f, schema)
	if err != nil {
		return out, err
	}
	for p := range out {
		out[p] = &ShareFile{Party: p, Ring: k, FracBits: f, Rows: data.Rows}
	}
	for i, col := range data.Columns {
		var parts [3]vm.Share
		if col.Type == vm.TSbits {
			parts, err = SplitBool(data.Values[i], rnd)
		} else {
			parts, err = SplitArith(k, data.Values[i], rnd)
		}
		if err != nil {
			return out, err
		}
		for p := range out {
			out[p].Columns = append(out[p].Columns, col)
			out[p].Shares = append(out[p].Shares, parts[p])
		}
	}
	return out, nil
}

// readCells reads the header and the cells of a CSV text.
func readCells(text []byte) ([]string, [][]string, error) {
	cr := csv.NewReader(bytes.NewReader(text))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	rows, err := cr.ReadAll()
	if err != nil {
		return nil, nil, err
	}
	if len(rows) == 0 {
		return nil, nil, errors.New("the CSV has no header row")
	}
	return rows[0], rows[1:], nil
}

// columnKind classifies a column: "bits" (0x words), "int" (whole numbers) or "fix".
func columnKind(cells [][]string, j int) string {
	kind := "int"
	for _, row := range cells {
		if j >= len(row) {
			continue
		}
		s := strings.TrimSpace(row[j])
		switch {
		case strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X"):
			return "bits"
		case strings.ContainsAny(s, ".eE"):
			kind = "fix"
		}
	}
	return kind
}
