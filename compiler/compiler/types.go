package compiler

import (
	"strings"

	"github.com/mpcs/mpcs/vm"
)

// Kind is the kind of a compile-time type.
type Kind uint8

// Kinds: the value types of LANGUAGE.md §3, then compile-time-only kinds.
const (
	KInvalid Kind = iota
	KInt
	KFix
	KBool
	KSint
	KSfix
	KSbool
	KSbits
	KStr     // string literal (names, messages)
	KType    // a type used as a value: input("x", sfix)
	KTuple   // multiple results
	KFunc    // a user function
	KModule  // an imported module
	KBuiltin // a builtin function
	KNone    // the result of a function without return value
)

// Type is a static type: a kind, whether it is a vector, and tuple elements.
type Type struct {
	K     Kind
	Vec   bool
	Elems []Type // KTuple
}

var kindNames = [...]string{KInvalid: "invalid", KInt: "int", KFix: "fix", KBool: "bool", KSint: "sint",
	KSfix: "sfix", KSbool: "sbool", KSbits: "sbits", KStr: "str", KType: "type", KTuple: "tuple",
	KFunc: "function", KModule: "module", KBuiltin: "builtin", KNone: "None"}

func (t Type) String() string {
	if t.K == KTuple {
		parts := make([]string, len(t.Elems))
		for i, e := range t.Elems {
			parts[i] = e.String()
		}
		return "(" + strings.Join(parts, ", ") + ")"
	}
	s := kindNames[t.K]
	if t.Vec {
		s += "[]"
	}
	return s
}

// Equal reports whether two types are identical.
func (t Type) Equal(u Type) bool {
	if t.K != u.K || t.Vec != u.Vec || len(t.Elems) != len(u.Elems) {
		return false
	}
	for i := range t.Elems {
		if !t.Elems[i].Equal(u.Elems[i]) {
			return false
		}
	}
	return true
}

func scalar(k Kind) Type { return Type{K: k} }
func vector(k Kind) Type { return Type{K: k, Vec: true} }

// Secret reports whether values of the kind are secret.
func (k Kind) Secret() bool { return k >= KSint && k <= KSbits }

// Numeric reports whether the kind takes part in arithmetic.
func (k Kind) Numeric() bool {
	switch k {
	case KInt, KFix, KBool, KSint, KSfix, KSbool:
		return true
	}
	return false
}

// Value reports whether the kind is a runtime value kind (not compile-time only).
func (k Kind) Value() bool { return k >= KInt && k <= KSbits }

// secretOf returns the secret counterpart of a public kind.
func secretOf(k Kind) Kind {
	switch k {
	case KInt:
		return KSint
	case KFix:
		return KSfix
	case KBool:
		return KSbool
	}
	return k
}

// publicOf returns the public counterpart of a secret kind (sbits reveals as int).
func publicOf(k Kind) Kind {
	switch k {
	case KSint, KSbits:
		return KInt
	case KSfix:
		return KFix
	case KSbool:
		return KBool
	}
	return k
}

// isFix reports whether the kind is fixed point.
func (k Kind) isFix() bool { return k == KFix || k == KSfix }

// isBool reports whether the kind is boolean.
func (k Kind) isBool() bool { return k == KBool || k == KSbool }

// class is the register class that holds values of the kind.
func (k Kind) class() vm.Class {
	switch k {
	case KSint, KSfix, KSbool:
		return vm.ClassA
	case KSbits:
		return vm.ClassB
	}
	return vm.ClassP
}

// vmType maps a value kind to the bytecode's type.
func (k Kind) vmType() vm.Type {
	return [...]vm.Type{KInt: vm.TInt, KFix: vm.TFix, KBool: vm.TBool, KSint: vm.TSint,
		KSfix: vm.TSfix, KSbool: vm.TSbool, KSbits: vm.TSbits}[k]
}

// arithJoin is the kind of an arithmetic result of a and b (both numeric):
// fix dominates int, secret dominates public, and bools count as ints.
func arithJoin(a, b Kind) Kind {
	fix := a.isFix() || b.isFix()
	sec := a.Secret() || b.Secret()
	k := KInt
	if fix {
		k = KFix
	}
	if sec {
		k = secretOf(k)
	}
	return k
}

// join is the kind two values of kinds a and b merge into at a control-flow
// join (a variable assigned in both branches of an if, or around a loop);
// ok is false if they do not merge.
func join(a, b Kind) (Kind, bool) {
	if a == b {
		return a, true
	}
	if !a.Value() || !b.Value() || a == KSbits || b == KSbits {
		return KInvalid, false
	}
	if a.isBool() && b.isBool() {
		return KSbool, true
	}
	return arithJoin(a, b), true
}

// typeNames maps annotation and conversion names to kinds.
var typeNames = map[string]Kind{
	"int": KInt, "fix": KFix, "bool": KBool,
	"sint": KSint, "sfix": KSfix, "sbool": KSbool, "sbits": KSbits,
}
