package dzk

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
)

// recConn records what its owner receives.
type recConn struct {
	Conn
	got [][]byte
}

func (c *recConn) Recv() ([]byte, error) {
	p, err := c.Conn.Recv()
	if err == nil {
		c.got = append(c.got, p)
	}
	return p, err
}

// replayConn plays back recorded messages and drops what is sent.
type replayConn struct {
	msgs [][]byte
	i    int
}

func (c *replayConn) Send([]byte) error { return nil }
func (c *replayConn) Recv() ([]byte, error) {
	if c.i == len(c.msgs) {
		return nil, ErrClosed
	}
	c.i++
	return c.msgs[c.i-1], nil
}

type transcript struct {
	bt               *batch
	pGot, vpGot      [][]byte
	vnFromP, vnFromV [][]byte
	res              result
}

var transcripts = map[int]*transcript{}

func getTranscript(b *testing.B, n int) *transcript {
	if tr, ok := transcripts[n]; ok {
		return tr
	}
	bt := newBatch(rand.New(rand.NewPCG(uint64(n), 1)), n, 128)
	pToVn, vnToP := MemPipe()
	vpToVn, vnToVp := MemPipe()
	rp, rvp := &recConn{Conn: pToVn}, &recConn{Conn: vpToVn}
	rnp, rnv := &recConn{Conn: vnToP}, &recConn{Conn: vnToVp}
	var wg sync.WaitGroup
	var e1, e2, e3 error
	wg.Go(func() { e1 = Prove(bt.p, bt.kPV, bt.kPN, bt.prover, rp) })
	wg.Go(func() { e2 = VerifyPrev(bt.p, bt.kPV, bt.kVV, bt.prev, rvp) })
	wg.Go(func() { e3 = VerifyNext(bt.p, bt.kPN, bt.kVV, bt.next, rnp, rnv) })
	wg.Wait()
	if e1 != nil || e2 != nil || e3 != nil {
		b.Fatal(e1, e2, e3)
	}
	tr := &transcript{bt: bt, pGot: rp.got, vpGot: rvp.got, vnFromP: rnp.got, vnFromV: rnv.got}
	tr.res.bytesP, tr.res.bytesVp = pToVn.Bytes.Load(), vpToVn.Bytes.Load()
	tr.res.bytesVn = vnToP.Bytes.Load() + vnToVp.Bytes.Load()
	transcripts[n] = tr
	return tr
}

// BenchmarkRoles times each role alone against a recorded transcript (pure
// computation, no waiting), and the three together in goroutines (wall
// time). ns/gate is per multiplication gate.
func BenchmarkRoles(b *testing.B) {
	for _, lg := range []int{16, 20} {
		n := 1 << lg
		b.Run(fmt.Sprintf("n=2^%d/prover", lg), func(b *testing.B) {
			tr := getTranscript(b, n)
			for b.Loop() {
				if err := Prove(tr.bt.p, tr.bt.kPV, tr.bt.kPN, tr.bt.prover, &replayConn{msgs: tr.pGot}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/gate")
			b.ReportMetric(float64(tr.res.bytesP), "B-sent")
		})
		b.Run(fmt.Sprintf("n=2^%d/Vp", lg), func(b *testing.B) {
			tr := getTranscript(b, n)
			for b.Loop() {
				if err := VerifyPrev(tr.bt.p, tr.bt.kPV, tr.bt.kVV, tr.bt.prev, &replayConn{msgs: tr.vpGot}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/gate")
			b.ReportMetric(float64(tr.res.bytesVp), "B-sent")
		})
		b.Run(fmt.Sprintf("n=2^%d/Vn", lg), func(b *testing.B) {
			tr := getTranscript(b, n)
			for b.Loop() {
				if err := VerifyNext(tr.bt.p, tr.bt.kPN, tr.bt.kVV, tr.bt.next,
					&replayConn{msgs: tr.vnFromP}, &replayConn{msgs: tr.vnFromV}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/gate")
			b.ReportMetric(float64(tr.res.bytesVn), "B-sent")
		})
		b.Run(fmt.Sprintf("n=2^%d/all", lg), func(b *testing.B) {
			tr := getTranscript(b, n)
			for b.Loop() {
				if res := run(tr.bt, nil); res.errP != nil || res.errVp != nil || res.errVn != nil {
					b.Fatal(res)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/gate")
		})
	}
}
