// Package programs holds analyst programs that ship as examples: each folder
// has a program (*.mpcs), a small sample dataset (sample.csv) and the
// expected outputs (expected.json, from a float64 reference), and the tests
// run every one of them.
package programs
