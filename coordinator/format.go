package coordinator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/mpcs/mpcs/coordinator/api"
)

// Output is one revealed output: its name and its JSON value as written.
type Output struct {
	Name  string
	Value json.RawMessage
}

// Outputs splits a JSON object of outputs into its entries, in the order
// they were written (the program's order).
func Outputs(raw json.RawMessage) ([]Output, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	if tok != json.Delim('{') {
		return nil, fmt.Errorf("outputs are not a JSON object")
	}
	var out []Output
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		name, _ := tok.(string)
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			return nil, err
		}
		var c bytes.Buffer
		if err := json.Compact(&c, v); err != nil {
			return nil, err
		}
		out = append(out, Output{Name: name, Value: c.Bytes()})
	}
	return out, nil
}

// WriteQuery prints a query for a person: a header line, then one
// "name = value" line per output, or the error.
func WriteQuery(w io.Writer, q api.Query) error {
	fmt.Fprintf(w, "query %s on %s (%d rows): %s\n", q.ID, q.Dataset, q.Rows, q.Status)
	if q.Error != "" {
		fmt.Fprintf(w, "error: %s\n", q.Error)
	}
	outs, err := Outputs(q.Outputs)
	if err != nil {
		return err
	}
	for _, o := range outs {
		fmt.Fprintf(w, "%s = %s\n", o.Name, o.Value)
	}
	return nil
}

// WriteQueryList prints queries as a table.
func WriteQueryList(w io.Writer, qs []api.Query) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tDATASET\tSTATUS\tROWS\tPROGRAM\tCREATED")
	for _, q := range qs {
		prog := q.ProgramHash
		if len(prog) > 12 {
			prog = prog[:12]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", q.ID, q.Dataset, q.Status, q.Rows, prog, q.CreatedAt.Local().Format(time.DateTime))
	}
	return tw.Flush()
}
