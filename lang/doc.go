// Package lang is the front end of the mpcs toolchain: it turns the text of
// an .mpcs file into the syntax tree of ast.go, or into diagnostics that say
// what is wrong, where, and what to write instead.
//
// # Lexing
//
// The language is lexed in two layers. The inner layer is a participle
// lexer (lexer.MustSimple, see baseLexer in lexer.go) with one regular
// expression per token class of LANGUAGE.md §2: names, numbers, strings,
// operators, newlines. It is deliberately permissive: a malformed number is
// one token, an unterminated string runs to the end of its line, and any
// other character becomes an Invalid token, so that the inner lexer never
// fails and the outer layer can describe every problem precisely.
//
// The outer layer (indenter) plays the part of Python's tokenizer. It keeps
// a stack of indentation columns and a stack of open brackets and rewrites
// the inner token stream into logical lines: a newline outside brackets
// becomes a NEWLINE token, unless the line is blank or holds only a
// comment; a deeper first token after a line ending in ":" produces
// INDENT, a shallower one a DEDENT per closed level, and end of file closes
// the last line and every open block. (A deeper line after a line that
// starts with if, elif, else, for, while or def but lacks its ":" is taken
// as that statement's body too, so that the parser reports the missing
// colon, not an indent.) Keywords are re-typed from names
// here, numbers are validated and string escapes checked. All errors are
// collected: a tab in indentation, an unexpected indent, an unindent that
// matches no outer level, a missing indented block, unterminated strings,
// malformed numbers, stray or unclosed brackets. After an indentation error
// it records a "phantom" level that emits no tokens, so that one bad line
// does not derail the rest of the file. Columns are counted in bytes.
//
// # Parsing
//
// The grammar (grammar.go) is a set of unexported participle structs that
// describe the concrete syntax only. The parser runs without backtracking
// (UseLookahead(0)), like a hand-written LL(1) parser: once an alternative
// has consumed a token it is committed, so an error is reported at the token
// where the input stops making sense. Binary expressions are parsed as flat
// operand/operator lists and given Python's precedence and associativity
// afterwards by precedence climbing; this is both simpler and several times
// faster than one participle struct per precedence level. The grammar is
// otherwise shaped to limit participle's allocations (see grammar.go): it
// is reflective and allocates for every alternative it tries, which makes it
// the bulk of the parsing time (roughly 30,000 lines a second).
//
// Parse cuts the token stream at top-level statement boundaries (known to
// the indenter) and parses each statement separately. A syntax error thus
// costs only its own statement: parsing resumes at the next one, and a
// statement that already has a lexical error does not get a second,
// derived, syntax error. A statement nested beyond the limits (200
// brackets, 200 conditional expressions on one line) is reported and not
// parsed, and more than 100 indentation levels is an error, which bounds
// the parser's recursion on any input.
//
// # Lowering
//
// lower.go turns the grammar structs into the AST. Every node's P is the
// position of its first token (BinOp.OpPos and Compare.OpPos are the
// operators'), literals are converted exactly (big.Int, big.Rat), a string
// literal leading a module or function body becomes its Doc (verbatim, not
// re-indented), and the checks
// a context-free LL(1) grammar cannot make are done here: assignment
// targets, keyword-argument names, argument and parameter order, stray
// commas, and `not` or unary operators in a position where Python would not
// accept them.
//
// # Diagnostics
//
// Participle's errors name grammar productions; syntaxError maps them to
// words ("an expression", "end of line"), names the statement for a missing
// colon (`expected ":" after if condition`) and adds a hint where the
// usual mistake is recognisable (`=` for `==`, a missing comma). Parse
// sorts the diagnostics by position and never panics: an unexpected
// internal failure becomes a diagnostic too.
package lang
