package dynamo

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Profiles hold free-form attributes, so they are converted by hand between Go's JSON
// value shapes (string, float64, bool, []any, map[string]any) and DynamoDB attribute
// values; numbers always come back as float64, as they would from JSON.

func toAttribute(v any) (types.AttributeValue, error) {
	switch x := v.(type) {
	case nil:
		return &types.AttributeValueMemberNULL{Value: true}, nil
	case string:
		return &types.AttributeValueMemberS{Value: x}, nil
	case bool:
		return &types.AttributeValueMemberBOOL{Value: x}, nil
	case float64:
		return number(x), nil
	case int:
		return &types.AttributeValueMemberN{Value: strconv.Itoa(x)}, nil
	case []any:
		list := make([]types.AttributeValue, len(x))
		for i, e := range x {
			av, err := toAttribute(e)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			list[i] = av
		}
		return &types.AttributeValueMemberL{Value: list}, nil
	case []string:
		list := make([]types.AttributeValue, len(x))
		for i, e := range x {
			list[i] = &types.AttributeValueMemberS{Value: e}
		}
		return &types.AttributeValueMemberL{Value: list}, nil
	case map[string]any:
		m, err := toAttributeMap(x)
		if err != nil {
			return nil, err
		}
		return &types.AttributeValueMemberM{Value: m}, nil
	default:
		return nil, fmt.Errorf("unsupported attribute type %T", v)
	}
}

func toAttributeMap(m map[string]any) (map[string]types.AttributeValue, error) {
	out := make(map[string]types.AttributeValue, len(m))
	// Sorted keys make errors deterministic.
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		av, err := toAttribute(m[k])
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", k, err)
		}
		out[k] = av
	}
	return out, nil
}

func fromAttribute(av types.AttributeValue) any {
	switch x := av.(type) {
	case *types.AttributeValueMemberS:
		return x.Value
	case *types.AttributeValueMemberN:
		f, _ := strconv.ParseFloat(x.Value, 64)
		return f
	case *types.AttributeValueMemberBOOL:
		return x.Value
	case *types.AttributeValueMemberL:
		list := make([]any, len(x.Value))
		for i, e := range x.Value {
			list[i] = fromAttribute(e)
		}
		return list
	case *types.AttributeValueMemberSS:
		list := make([]any, len(x.Value))
		for i, e := range x.Value {
			list[i] = e
		}
		return list
	case *types.AttributeValueMemberM:
		return fromAttributeMap(x.Value)
	default:
		return nil
	}
}

func fromAttributeMap(m map[string]types.AttributeValue) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = fromAttribute(v)
	}
	return out
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

// number encodes a float for DynamoDB, whose numbers span magnitudes 1e-130 to 1e126
// and have no NaN or infinity. Magnitudes below the range, such as a Thompson draw far
// in a tail, are stored as 0; the others cannot arise from finite model arithmetic and
// are stored as 0 too rather than failing a whole write.
func number(f float64) types.AttributeValue {
	if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) < 1e-120 {
		f = 0
	}
	return &types.AttributeValueMemberN{Value: strconv.FormatFloat(f, 'f', -1, 64)}
}

func unixSeconds(t time.Time) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(t.Unix(), 10)}
}

func getString(item map[string]types.AttributeValue, name string) string {
	if s, ok := item[name].(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

func getNumber(item map[string]types.AttributeValue, name string) float64 {
	if n, ok := item[name].(*types.AttributeValueMemberN); ok {
		f, _ := strconv.ParseFloat(n.Value, 64)
		return f
	}
	return 0
}

// optionalNumber reads a number attribute that may be absent.
func optionalNumber(item map[string]types.AttributeValue, name string) *float64 {
	if _, ok := item[name].(*types.AttributeValueMemberN); !ok {
		return nil
	}
	f := getNumber(item, name)
	return &f
}

func getTime(item map[string]types.AttributeValue, name string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, getString(item, name))
	return t
}

// sortableTime formats t so that string order is time order, which sort keys need
// (RFC 3339 with trimmed fractions is not: "…:05Z" sorts after "…:05.5Z").
func sortableTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000000Z")
}
