package runtime

// Intake: checking a provider's submission (partyapi.Submission) before
// the party stores it. Everything here is about the form of the message;
// whether its shares agree with the other parties' and whether the value
// matches its commitment is decided later, in the admission protocol
// (server_admit.go).

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mpcs/mpcs/runtime/partyapi"
)

// Limits of what a party accepts.
const (
	// MaxSubmissionColumns bounds the columns of one submission.
	MaxSubmissionColumns = 64
	// MaxAdmissionTickets bounds the tickets of one admission batch.
	MaxAdmissionTickets = 100_000
)

// srvColumnRe is what a column name looks like.
var srvColumnRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

// NonceColumn is the name of the sbits input column that holds nonce word
// w (0..3) of the value column col: "<col>_nonce<w>".
func NonceColumn(col string, w int) string { return col + "_nonce" + strconv.Itoa(w) }

// srvCheckToken checks an id or a dataset name: 1 to 256 bytes of UTF-8
// without control characters.
func srvCheckToken(what, s string) error {
	if s == "" || len(s) > 256 || !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return fmt.Errorf("%s %q is not valid: 1 to 256 bytes of UTF-8 without control characters", what, s)
	}
	return nil
}

// srvDecodeComponent parses one component: hex of nwords little-endian
// 64-bit words.
func srvDecodeComponent(s string, nwords int) ([2]uint64, error) {
	var out [2]uint64
	b, err := hex.DecodeString(s)
	if err != nil {
		return out, fmt.Errorf("not hex")
	}
	if len(b) != 8*nwords {
		return out, fmt.Errorf("%d bytes, want %d (%d little-endian 64-bit words)", len(b), 8*nwords, nwords)
	}
	for i := range nwords {
		out[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
	return out, nil
}

// srvIntake checks a submission addressed to this party (in its ring),
// whose ticket the coordinator signed, at time now, and returns the row to
// store. The error says what is wrong; its status is the HTTP status to
// answer.
func (s *Server) srvIntake(sub *partyapi.Submission, now time.Time) (*srvRow, *srvError) {
	if sub.Party != s.party {
		return nil, srvErrorf(400, "this is party %d; the submission is for party %d (send each party only its own shares)", s.party, sub.Party)
	}
	if err := sub.Ticket.Verify(s.pub); err != nil {
		return nil, srvErrorf(403, "ticket: %v", err)
	}
	t := &sub.Ticket.Body
	if err := srvCheckToken("ticket id", t.ID); err != nil {
		return nil, srvErrorf(400, "%v", err)
	}
	if err := srvCheckToken("dataset", t.Dataset); err != nil {
		return nil, srvErrorf(400, "ticket: %v", err)
	}
	if !now.Before(t.Expires) {
		return nil, srvErrorf(403, "ticket %s expired at %s", t.ID, t.Expires.UTC().Format(time.RFC3339))
	}
	if len(t.Commitments) == 0 {
		return nil, srvErrorf(400, "ticket %s has no commitments", t.ID)
	}
	if len(t.Commitments) > MaxSubmissionColumns {
		return nil, srvErrorf(400, "ticket %s has %d columns, at most %d are accepted", t.ID, len(t.Commitments), MaxSubmissionColumns)
	}
	names := slices.Sorted(maps.Keys(t.Commitments))
	for _, name := range names {
		if !srvColumnRe.MatchString(name) {
			return nil, srvErrorf(400, "ticket %s: column name %q is not valid (letters, digits and _, not starting with a digit)", t.ID, name)
		}
		for w := range 4 {
			if _, clash := t.Commitments[NonceColumn(name, w)]; clash {
				return nil, srvErrorf(400, "ticket %s: column %q clashes with the nonce column %s of %q", t.ID, NonceColumn(name, w), NonceColumn(name, w), name)
			}
		}
	}
	for _, m := range []struct {
		what string
		keys []string
	}{{"values", slices.Sorted(maps.Keys(sub.Values))}, {"nonce", slices.Sorted(maps.Keys(sub.Nonce))}} {
		if !slices.Equal(m.keys, names) {
			return nil, srvErrorf(400, "submission %s: %s are given for columns [%s], the ticket has [%s]",
				t.ID, m.what, strings.Join(m.keys, ", "), strings.Join(names, ", "))
		}
	}
	vw := s.ring / 64
	row := &srvRow{Ticket: t.ID, Dataset: t.Dataset}
	for _, name := range names {
		c := srvCol{Name: name}
		cm, err := hex.DecodeString(t.Commitments[name])
		if err != nil || len(cm) != 32 {
			return nil, srvErrorf(400, "ticket %s: the commitment of %q is not 32 bytes of hex (SHA3-256)", t.ID, name)
		}
		copy(c.Commit[:], cm)
		for i, comp := range sub.Values[name] {
			if c.Value[i], err = srvDecodeComponent(comp, vw); err != nil {
				return nil, srvErrorf(400, "submission %s: values[%q][%d] (component x_%d): %v; the parties run in the %d-bit ring",
					t.ID, name, i, (s.party+i)%3, err, s.ring)
			}
		}
		for w, comps := range sub.Nonce[name] {
			for i, comp := range comps {
				v, err := srvDecodeComponent(comp, 1)
				if err != nil {
					return nil, srvErrorf(400, "submission %s: nonce[%q][%d][%d] (word %d, component x_%d): %v", t.ID, name, w, i, w, (s.party+i)%3, err)
				}
				c.Nonce[w][i] = v[0]
			}
		}
		row.Cols = append(row.Cols, c)
	}
	return row, nil
}
