.ring 128
.frac 24
.regs p=4 a=5 b=2 i=0
.input in0 "balance" sfix
.input in1 "words" sbits
.param par0 "k" int k0
.output out0 "mean" sfix scalar
.output out1 "ranks" sint vector
.const k0 [5]
.const k1 [1, -2, 170141183460469231731687303715884105727, -170141183460469231731687303715884105728]
.string s0 "prog.mpcs"
.string s1 "k must be positive"

   0  INPUT  a0, in0                          # @prog.mpcs:3:11
   1  INPUT  b0, in1                          # @prog.mpcs:4:9
   2  PARAM  p0, par0                         # @prog.mpcs:5:5
   3  ASSERT p0, s1                           # @prog.mpcs:6:1
   4  LEN    p1, a0                           # @prog.mpcs:7:9
   5  AMUL   a1, a0, a0 ; a2, a0, a0          # rounds=1 @prog.mpcs:8:5
   6  ATRUNC a1, a1, 24 ; a2, a2, 24          # rounds=5 @prog.mpcs:8:5
   7  ASUM   a3, a1                           # @prog.mpcs:9:7
   8  AOPEN  p2, a3                           # rounds=1 @prog.mpcs:10:1
   9  OUTPUT out0, p2                         # @prog.mpcs:10:1
  10  ASORT  a4, a0 ; a2, a1                  # rounds=28 @prog.mpcs:11:3
  11  SLICE  a4, a4, _, p1, _                 # @prog.mpcs:11:3
  12  A2B    b1, a4, 0                        # rounds=5 @prog.mpcs:12:3
  13  BSHR   b1, b1, 63                       # @prog.mpcs:12:3
  14  BOPEN  p3, b1                           # rounds=1 @prog.mpcs:12:3
  15  JZ     p3, 17                           # @prog.mpcs:13:1
  16  CONST  p3, k1                           # @prog.mpcs:14:5
  17  OUTPUT out1, p3                         # @prog.mpcs:15:1
