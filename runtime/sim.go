package runtime

// Sim runs a program as three parties in one process: the dealer splits the
// dataset into shares, three Engines run the program concurrently over the
// given networks, and their results are checked to agree. It backs
// `mpcvm sim` and the differential tests against the reference executor.

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/mpcs/mpcs/vm"
)

// SimStats describes a simulated run.
type SimStats struct {
	// Rounds is the number of network rounds of the run, as measured by
	// the engines (after the session set-up). MachineRounds is the count
	// the opcode table gives (vm.Result.Rounds).
	Rounds, MachineRounds int64
	// BytesSent is the payload the three parties sent in total after
	// set-up; PartyBytes per party.
	BytesSent  int64
	PartyBytes [3]int64
	// Messages counts the messages of all parties after set-up.
	Messages int64
	// SetupRounds and SetupBytes are the session set-up's (key exchange).
	SetupRounds, SetupBytes int64
	Elapsed                 time.Duration
}

// Sim runs p on data (nil for a program without inputs) with the given
// parameter values (as for vm.NewMachine) as three parties over nets (for
// example NewMemNetworks()). It returns the result, which all three parties
// must agree on, and the traffic. opts configure every party's engine.
func Sim(ctx context.Context, p *vm.Program, data *vm.Dataset, params []vm.Vec, nets [3]Network, opts ...EngineOption) (*vm.Result, SimStats, error) {
	var st SimStats
	var srcs [3]InputSource
	if data != nil {
		sh, err := SplitDataset(data, nil)
		if err != nil {
			return nil, st, err
		}
		for i := range srcs {
			srcs[i] = sh[i]
		}
	}
	var id SessionID
	if _, err := rand.Read(id[:]); err != nil {
		return nil, st, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	var (
		wg    sync.WaitGroup
		res   [3]*vm.Result
		errs  [3]error
		stats [3]EngineStats
		setup [3]EngineStats
	)
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i], stats[i], setup[i], errs[i] = simParty(ctx, p, params, nets[i], id, srcs[i], opts)
			if errs[i] != nil {
				cancel()
			}
		}()
	}
	wg.Wait()
	st.Elapsed = time.Since(start)
	for i := range 3 {
		st.BytesSent += stats[i].BytesSent
		st.PartyBytes[i] = stats[i].BytesSent
		st.Messages += stats[i].Messages
		st.SetupBytes += setup[i].BytesSent
	}
	st.Rounds = stats[0].Rounds
	st.SetupRounds = setup[0].Rounds
	if err := simRootError(errs); err != nil {
		return nil, st, err
	}
	want := res[0].JSON()
	for i := 1; i < 3; i++ {
		if got := res[i].JSON(); !bytes.Equal(got, want) {
			return nil, st, fmt.Errorf("the parties disagree: party 0 got %s, party %d got %s", want, i, got)
		}
		if stats[i].Rounds != stats[0].Rounds {
			return nil, st, fmt.Errorf("the parties disagree on the rounds: %d and %d", stats[0].Rounds, stats[i].Rounds)
		}
	}
	st.MachineRounds = res[0].Rounds
	return res[0], st, nil
}

func simParty(ctx context.Context, p *vm.Program, params []vm.Vec, net Network, id SessionID, src InputSource, opts []EngineOption) (*vm.Result, EngineStats, EngineStats, error) {
	conn, err := net.Session(ctx, id)
	if err != nil {
		return nil, EngineStats{}, EngineStats{}, fmt.Errorf("party %d: %w", net.Party(), err)
	}
	defer conn.Close()
	eng, err := NewEngine(ctx, conn, p.Ring, p.FracBits, src, opts...)
	if err != nil {
		return nil, EngineStats{}, EngineStats{}, fmt.Errorf("party %d: %w", net.Party(), err)
	}
	res, err := eng.Run(ctx, p, params)
	return res, eng.Stats(), eng.SetupStats(), err
}

// simRootError picks the error that caused a failed run: a party's own
// error rather than the others' reaction to it.
func simRootError(errs [3]error) error {
	var first error
	for _, err := range errs {
		if err == nil {
			continue
		}
		if first == nil {
			first = err
		}
		if !errors.Is(err, context.Canceled) && !errors.Is(err, ErrPeerClosedSession) &&
			!errors.Is(err, ErrPeerDisconnected) && !errors.Is(err, ErrSessionClosed) {
			return err
		}
	}
	return first
}
