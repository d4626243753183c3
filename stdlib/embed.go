// Package stdlib holds the standard library of .mpcs modules, embedded in
// every binary that compiles programs. Modules are imported by file name
// without the extension: `from stats import mean` reads stats.mpcs.
package stdlib

import "embed"

// FS holds the library modules (*.mpcs).
//
//go:embed *.mpcs
var FS embed.FS
