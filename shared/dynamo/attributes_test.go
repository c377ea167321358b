package dynamo

import (
	"fmt"
	"math"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestNumberStaysWithinDynamoDBRange(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0.25, "0.25"},
		{1234567, "1234567"},
		{3e-200, "0"}, // a Thompson draw deep in a tail: DynamoDB rejects it as underflow
		{-3e-200, "0"},
		{math.NaN(), "0"},
		{math.Inf(1), "0"},
	}
	for _, tt := range tests {
		got := number(tt.in).(*types.AttributeValueMemberN).Value
		if got != tt.want {
			t.Errorf("number(%v) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestAttributesRoundTrip(t *testing.T) {
	in := map[string]any{"name": "Ada", "tenure": 36.0, "products": []any{"mobile", "tv"}, "vip": true,
		"address": map[string]any{"city": "Lyon"}, "missing": nil}
	av, err := toAttributeMap(in)
	if err != nil {
		t.Fatal(err)
	}
	out := fromAttributeMap(av)
	for k, v := range in {
		if got := out[k]; fmtValue(got) != fmtValue(v) {
			t.Errorf("round trip of %q = %#v, want %#v", k, got, v)
		}
	}
}

// fmtValue prints a value with sorted map keys, so equal values print alike.
func fmtValue(v any) string { return fmt.Sprint(v) }
