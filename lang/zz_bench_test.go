package lang

import (
	"testing"
	"strings"
	"fmt"
)

func genBig(n int) string {
	var b strings.Builder
	for b.Len() == 0 || strings.Count(b.String(), "\n") < n {
		b.WriteString(payGap)
	}
	return b.String()
}

func BenchmarkTry(b *testing.B) {
	src := []byte(genBig(5000))
	fmt.Println(strings.Count(string(src), "\n"))
	b.Run("tokenize", func(b *testing.B) {
		for i := 0; i < b.N; i++ { tokenize("x", src) }
	})
	b.Run("parse", func(b *testing.B) {
		for i := 0; i < b.N; i++ { Parse("x", src) }
	})
}
