package adaptive

import "math"

// Value is one predictor's value for a customer and context. A symbolic predictor reads Symbol
// (the empty string means missing); a numeric predictor reads Number (NaN means missing).
// Values are passed as a slice aligned with Config.Predictors, so that scoring many actions that
// share predictors needs no map lookups and no allocation.
type Value struct {
	Symbol string
	Number float64
}

// Symbol returns the value of a symbolic predictor.
func Symbol(s string) Value { return Value{Symbol: s} }

// Number returns the value of a numeric predictor.
func Number(x float64) Value { return Value{Number: x} }

// Missing returns a value that counts as missing for either kind of predictor.
func Missing() Value { return Value{Number: math.NaN()} }
