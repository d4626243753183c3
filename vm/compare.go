package vm

import (
	"encoding/json"
	"fmt"
	"math"
)

// DiffJSON compares two JSON documents of outputs ({"outputs": {...}}) and
// describes the first difference, or returns "" if they agree: numbers within
// tol (absolute, or relative for magnitudes above 1), everything else exactly.
// Fixed-point results are compared this way against a float64 reference.
func DiffJSON(want, got []byte, tol float64) string {
	var w, g any
	if err := json.Unmarshal(want, &w); err != nil {
		return "want: " + err.Error()
	}
	if err := json.Unmarshal(got, &g); err != nil {
		return "got: " + err.Error()
	}
	return diffValue(w, g, tol, "$")
}

func diffValue(want, got any, tol float64, path string) string {
	switch w := want.(type) {
	case float64:
		g, ok := got.(float64)
		if !ok || math.Abs(w-g) > tol*math.Max(1, math.Abs(w)) {
			return fmt.Sprintf("%s: want %v, got %v", path, w, got)
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return fmt.Sprintf("%s: want %v, got %v", path, w, got)
		}
		for i := range w {
			if d := diffValue(w[i], g[i], tol, fmt.Sprintf("%s[%d]", path, i)); d != "" {
				return d
			}
		}
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			return fmt.Sprintf("%s: want %v, got %v", path, w, got)
		}
		for k := range w {
			if d := diffValue(w[k], g[k], tol, path+"."+k); d != "" {
				return d
			}
		}
	default:
		if want != got {
			return fmt.Sprintf("%s: want %v, got %v", path, want, got)
		}
	}
	return ""
}
