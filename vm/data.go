package vm

// Plaintext datasets and parameter values for the reference executor.
//
// A dataset is a CSV file: a header row of column names, then one row per
// data provider. Only the columns a program reads (its input schema) are
// parsed; extra columns are ignored. Cells are trimmed of spaces.
//
//	sint   a decimal integer, optionally signed, in the signed ring
//	       [-2^(k-1), 2^(k-1))
//	sfix   a decimal number (3.25, -.5, 1e-3, 2.5E6), converted exactly to
//	       round(x·2^F) with ties rounded half away from zero, then
//	       range-checked like sint
//	sbits  an unsigned 64-bit word, decimal or 0x hexadecimal
//
// Errors name the CSV line and the column.

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/big"
	"regexp"
	"sort"
	"strings"
)

// Dataset holds the clear input columns of one run: Values[i] is the column
// Columns[i], Rows elements long, in ring Ring with FracBits fractional bits
// (sfix columns are already scaled).
type Dataset struct {
	Ring, FracBits int
	Rows           int
	Columns        []Column
	Values         []Vec
}

// Lookup returns the column called name of type t.
func (d *Dataset) Lookup(name string, t Type) (Vec, bool) {
	for i, c := range d.Columns {
		if c.Name == name && c.Type == t {
			return d.Values[i], true
		}
	}
	return Vec{}, false
}

// CleanHeader returns the column names of a CSV header row as the readers
// take them: spaces trimmed, and a byte-order mark (as spreadsheets write
// it) removed from the first.
func CleanHeader(header []string) []string {
	out := make([]string, len(header))
	for i, h := range header {
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff")
		}
		out[i] = strings.TrimSpace(h)
	}
	return out
}

// ReadCSV reads the columns of p's input schema from CSV text.
func ReadCSV(r io.Reader, p *Program) (*Dataset, error) {
	return ReadCSVSchema(r, p.Ring, p.FracBits, p.Inputs)
}

// ReadCSVSchema reads the given columns from CSV text for ring k with f
// fractional bits.
func ReadCSVSchema(r io.Reader, k, f int, schema []Column) (*Dataset, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, errors.New("csv: empty input: no header row")
	}
	if err != nil {
		return nil, fmt.Errorf("csv: %w", err)
	}
	where := map[string]int{}
	dup := map[string]bool{}
	for i, h := range CleanHeader(header) {
		if _, ok := where[h]; ok {
			dup[h] = true
		}
		where[h] = i
	}
	d := &Dataset{Ring: k, FracBits: f}
	cols := make([]int, len(schema))
	for i, c := range schema {
		j, ok := where[c.Name]
		if !ok {
			return nil, fmt.Errorf("csv: column %q not found in the header (columns: %s)", c.Name, strings.Join(header, ", "))
		}
		if dup[c.Name] {
			return nil, fmt.Errorf("csv: column %q appears more than once in the header", c.Name)
		}
		if c.Type != TSint && c.Type != TSfix && c.Type != TSbits {
			return nil, fmt.Errorf("csv: column %q has type %s; want sint, sfix or sbits", c.Name, c.Type)
		}
		cols[i] = j
		d.Columns = append(d.Columns, c)
	}
	vals := make([][]*big.Int, len(schema))
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("csv: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(header) {
			return nil, fmt.Errorf("csv: line %d: %d fields, but the header has %d", line, len(rec), len(header))
		}
		for i, c := range schema {
			cell := strings.TrimSpace(rec[cols[i]])
			if cell == "" {
				return nil, fmt.Errorf("csv: line %d: column %q: empty cell", line, c.Name)
			}
			x, err := ParseValue(k, f, c.Type, cell)
			if err != nil {
				return nil, fmt.Errorf("csv: line %d: column %q: %v", line, c.Name, err)
			}
			vals[i] = append(vals[i], x)
		}
		d.Rows++
	}
	for i, c := range schema {
		var v Vec
		if c.Type == TSbits {
			v = NewWords(d.Rows)
			for j, x := range vals[i] {
				v.Lo[j] = x.Uint64()
			}
		} else {
			v = NewVec(k, d.Rows)
			for j, x := range vals[i] {
				SetElemBig(k, v, j, x)
			}
		}
		d.Values = append(d.Values, v)
	}
	return d, nil
}

var (
	exIntRE = regexp.MustCompile(`^[+-]?[0-9]+$`)
	exDecRE = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]{1,4})?$`)
	exHexRE = regexp.MustCompile(`^0[xX][0-9a-fA-F]{1,16}$`)
)

// ParseValue parses the text of one value of type t for ring k with f
// fractional bits: an integer for int and sint, a decimal for fix and sfix
// (round(x·2^f), ties away from zero), true/false/1/0 for bool, and an
// unsigned 64-bit word (decimal or 0x hex) for sbits. The result is the
// signed value (unsigned for sbits), range-checked.
func ParseValue(k, f int, t Type, s string) (*big.Int, error) {
	switch t {
	case TInt, TSint:
		if !exIntRE.MatchString(s) {
			return nil, fmt.Errorf("bad integer %q", s)
		}
		x, _ := new(big.Int).SetString(strings.TrimPrefix(s, "+"), 10)
		return exRange(k, x, s)
	case TFix, TSfix:
		if !exDecRE.MatchString(s) {
			return nil, fmt.Errorf("bad decimal number %q", s)
		}
		r, ok := new(big.Rat).SetString(strings.TrimPrefix(s, "+"))
		if !ok {
			return nil, fmt.Errorf("bad decimal number %q", s)
		}
		return exRange(k, RoundFix(r, f), s)
	case TBool, TSbool:
		switch strings.ToLower(s) {
		case "true", "1":
			return big.NewInt(1), nil
		case "false", "0":
			return big.NewInt(0), nil
		}
		return nil, fmt.Errorf("bad boolean %q (want true, false, 1 or 0)", s)
	case TSbits:
		var x *big.Int
		switch {
		case exHexRE.MatchString(s):
			x, _ = new(big.Int).SetString(s[2:], 16)
		case exIntRE.MatchString(s) && s[0] != '-' && s[0] != '+':
			x, _ = new(big.Int).SetString(s, 10)
		default:
			return nil, fmt.Errorf("bad 64-bit word %q (want unsigned decimal or 0x hex)", s)
		}
		if x.BitLen() > 64 {
			return nil, fmt.Errorf("value %s does not fit in 64 bits", s)
		}
		return x, nil
	}
	return nil, fmt.Errorf("cannot parse a value of type %s", t)
}

// RoundFix returns round(r·2^f), rounding ties away from zero.
func RoundFix(r *big.Rat, f int) *big.Int {
	num := new(big.Int).Lsh(new(big.Int).Abs(r.Num()), uint(f))
	den := r.Denom()
	q, rem := new(big.Int).QuoRem(num, den, new(big.Int))
	if rem.Lsh(rem, 1).Cmp(den) >= 0 {
		q.Add(q, rgBig1)
	}
	if r.Sign() < 0 {
		q.Neg(q)
	}
	return q
}

func exRange(k int, x *big.Int, s string) (*big.Int, error) {
	if x.Cmp(RingMin(k)) < 0 || x.Cmp(RingMax(k)) > 0 {
		return nil, fmt.Errorf("value %s out of range for the %d-bit ring", s, k)
	}
	return x, nil
}

// ParseParams turns NAME=VALUE strings into parameter values for p, in the
// order of p.Params; a parameter not given keeps a nil entry (the Machine uses
// its default). int takes an integer, fix a decimal number, bool
// true/false/1/0. An unknown name is an error.
func ParseParams(p *Program, params map[string]string) ([]Vec, error) {
	out := make([]Vec, len(p.Params))
	names := make([]string, 0, len(params))
	for name := range params {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		s := params[name]
		i := -1
		for j, prm := range p.Params {
			if prm.Name == name {
				i = j
				break
			}
		}
		if i < 0 {
			names := make([]string, len(p.Params))
			for j, prm := range p.Params {
				names[j] = prm.Name
			}
			return nil, fmt.Errorf("unknown parameter %q (parameters: %s)", name, strings.Join(names, ", "))
		}
		x, err := ParseValue(p.Ring, p.FracBits, p.Params[i].Type, strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("parameter %q: %v", name, err)
		}
		v := NewVec(p.Ring, 1)
		SetElemBig(p.Ring, v, 0, x)
		out[i] = v
	}
	return out, nil
}

// ParseParamList parses "NAME=VALUE" strings (as given on a command line)
// into a map for ParseParams; a repeated name is an error.
func ParseParamList(list []string) (map[string]string, error) {
	m := make(map[string]string, len(list))
	for _, s := range list {
		name, val, ok := strings.Cut(s, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return nil, fmt.Errorf("parameter %q: want NAME=VALUE", s)
		}
		if _, dup := m[name]; dup {
			return nil, fmt.Errorf("parameter %q given twice", name)
		}
		m[name] = val
	}
	return m, nil
}
