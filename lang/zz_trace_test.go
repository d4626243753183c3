package lang

import (
	"os"
	"testing"
	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

func TestTrace(t *testing.T) {
	tk := tokenize("f", []byte("x\n"))
	peek, _ := lexer.Upgrade(&sliceLexer{toks: tk.toks})
	chunkParser.ParseFromLexer(peek, participle.Trace(os.Stdout))
}
