package adaptive

import (
	"math"
	"sync"
	"sync/atomic"
)

// Value is one predictor's value for a customer and context. A symbolic predictor reads Symbol
// (the empty string means missing); a numeric predictor reads Number (NaN means missing).
// Values are passed as a slice aligned with Config.Predictors, so that scoring many actions that
// share predictors needs no map lookups and no allocation.
type Value struct {
	Symbol string
	Number float64
	// symbolID is Symbol's interned id, 0 when the symbol was never seen in a model.
	symbolID uint32
	// fineBin is 1 + the index of the fine bin Number falls in, set by Prepare; 0
	// when unset.
	fineBin int32
	// prepared says standard holds Number's standardised value (valueTerm), set by
	// Prepare, which the logistic kind's value terms read.
	prepared bool
	standard float64
}

// Prepare bins the numeric values of x once for predictors, the fine edges that every
// model of a catalog shares. Models then find a value's bin group with one table read
// instead of a binary search each: scoring hundreds of models for one customer does
// the search once.
func Prepare(predictors []Predictor, x []Value) {
	for i := range x {
		if i < len(predictors) && predictors[i].Kind == Numeric && !math.IsNaN(x[i].Number) {
			x[i].fineBin = int32(fineBin(predictors[i].Bins, x[i].Number)) + 1
			x[i].standard, x[i].prepared = valueTerm(predictors[i].Bins, x[i].Number), true
		}
	}
}

// Symbol returns the value of a symbolic predictor.
func Symbol(s string) Value { return Value{Symbol: s, symbolID: lookupSymbol(s)} }

// Scoring compares a customer's symbol with each model's symbols, hundreds of models
// per decision; comparing interned ids instead of strings makes that a single integer
// comparison. Ids are assigned when a snapshot is compiled, from the symbols the
// models have counted, so request data never grows the table; a value whose symbol
// has no id yet is compared by its text.
var (
	symbolIDs  sync.Map // string → uint32
	lastSymbol atomic.Uint32
)

func lookupSymbol(s string) uint32 {
	if id, ok := symbolIDs.Load(s); ok {
		return id.(uint32)
	}
	return 0
}

func internSymbol(s string) uint32 {
	if id := lookupSymbol(s); id != 0 {
		return id
	}
	id, _ := symbolIDs.LoadOrStore(s, lastSymbol.Add(1))
	return id.(uint32)
}

// is reports whether the value is the given interned symbol.
func (v *Value) is(symbol string, id uint32) bool {
	if v.symbolID != 0 {
		return v.symbolID == id
	}
	return v.Symbol == symbol
}

// Number returns the value of a numeric predictor.
func Number(x float64) Value { return Value{Number: x} }

// Missing returns a value that counts as missing for either kind of predictor.
func Missing() Value { return Value{Number: math.NaN()} }
