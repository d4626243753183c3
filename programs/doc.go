// Package programs holds analyst programs that ship as examples: each folder
// has a program (*.mpcs), a small sample dataset (sample.csv), the expected
// outputs (expected.json) and the Python script that computed them from the
// sample with Python's statistics module in float64 (reference.py). The
// tests run every program in both rings in the reference executor and as
// three parties, against expected.json.
//
//   - devcon: providers, mean, median, max and Gini of ETH balances.
//   - paygap: mean and median salary by gender and by role, with a
//     minimum-cohort guard.
//   - health: means, standard deviations, quartiles, correlation and
//     regression of two survey columns, also for a where= selection.
package programs
