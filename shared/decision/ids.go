package decision

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxIDBytes bounds every identifier a caller sends (customer, decision, action,
// response and event ids, channels, placements): it keeps DynamoDB keys, which are
// built from them, far inside the key limit and log lines short.
const MaxIDBytes = 128

// IDCharacters are the characters an identifier may hold, besides ASCII letters and
// digits. Everything else is refused rather than normalised: spaces, control
// characters, quotes and non-ASCII letters would let two spellings of one id (padded,
// differently normalised, with an invisible character) become two customers, and '#'
// is the separator of the store's composite keys.
const IDCharacters = "._:@+=/-"

// ValidateID checks an identifier a caller chose: 1 to MaxIDBytes bytes of ASCII
// letters, digits and IDCharacters. The message names the field and what is allowed,
// never echoes the id itself (it may be long or personal).
func ValidateID(field, id string) error {
	switch {
	case id == "":
		return Errorf(EInvalid, "%s is required", field)
	case len(id) > MaxIDBytes:
		return Errorf(EInvalid, "%s is %d bytes long; the limit is %d", field, len(id), MaxIDBytes)
	}
	for i := 0; i < len(id); i++ {
		if !idByte(id[i]) {
			return Errorf(EInvalid, "%s may contain only ASCII letters, digits and %s (found %s at byte %d)",
				field, strings.Join(strings.Split(IDCharacters, ""), " "), describeByte(id, i), i)
		}
	}
	return nil
}

func idByte(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || strings.IndexByte(IDCharacters, b) >= 0
}

// describeByte names the offending character of an id for a caller-safe message.
func describeByte(s string, i int) string {
	r, _ := utf8.DecodeRuneInString(s[i:])
	switch {
	case r == utf8.RuneError:
		return "an invalid UTF-8 byte"
	case r == ' ':
		return "a space"
	case r < ' ' || r == 0x7f:
		return "a control character"
	default:
		return fmt.Sprintf("%q", r)
	}
}

type idField struct{ name, value string }

// validateIDs checks required identifiers, in order.
func validateIDs(fields ...idField) error {
	for _, f := range fields {
		if err := ValidateID(f.name, f.value); err != nil {
			return err
		}
	}
	return nil
}

// validateOptionalIDs checks identifiers that may be absent.
func validateOptionalIDs(fields ...idField) error {
	for _, f := range fields {
		if f.value == "" {
			continue
		}
		if err := ValidateID(f.name, f.value); err != nil {
			return err
		}
	}
	return nil
}

// Bounds of a request's context (see Request.Context): enough for what a channel
// knows about the moment (device, intent, a basket of product ids), small enough that
// one request cannot make a decision's rules walk megabytes.
const (
	MaxContextEntries     = 32   // keys at the top level
	MaxContextValues      = 256  // values in all, nested ones included
	MaxContextDepth       = 3    // an object in a list in the context is depth 3
	MaxContextStringBytes = 1024 // per string value
)

// validateContext checks a request's context against the bounds above: every key a
// valid id, every number finite, every string short.
func validateContext(ctx map[string]any) error {
	if len(ctx) > MaxContextEntries {
		return Errorf(EInvalid, "context has %d keys; the limit is %d", len(ctx), MaxContextEntries)
	}
	budget := MaxContextValues
	// Sorted, so that of several faults the same one is reported every time.
	for _, k := range slices.Sorted(maps.Keys(ctx)) {
		if err := checkContextValue("context."+k, k, ctx[k], 1, &budget); err != nil {
			return err
		}
	}
	return nil
}

func checkContextValue(path, key string, v any, depth int, budget *int) error {
	if key != "" {
		if err := ValidateID("context key", key); err != nil {
			return err
		}
	}
	if *budget--; *budget < 0 {
		return Errorf(EInvalid, "context holds more than %d values", MaxContextValues)
	}
	switch v := v.(type) {
	case nil, bool:
		return nil
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return Errorf(EInvalid, "%s must be a finite number", path)
		}
	case string:
		if len(v) > MaxContextStringBytes {
			return Errorf(EInvalid, "%s is %d bytes long; the limit is %d", path, len(v), MaxContextStringBytes)
		}
	case []any:
		if depth >= MaxContextDepth {
			return Errorf(EInvalid, "%s is nested deeper than %d levels", path, MaxContextDepth)
		}
		for i, e := range v {
			if err := checkContextValue(fmt.Sprintf("%s[%d]", path, i), "", e, depth+1, budget); err != nil {
				return err
			}
		}
	case map[string]any:
		if depth >= MaxContextDepth {
			return Errorf(EInvalid, "%s is nested deeper than %d levels", path, MaxContextDepth)
		}
		for _, k := range slices.Sorted(maps.Keys(v)) {
			if err := checkContextValue(path+"."+k, k, v[k], depth+1, budget); err != nil {
				return err
			}
		}
	default:
		return Errorf(EInvalid, "%s must be a string, number, true, false, null, list or object", path)
	}
	return nil
}

// quoteShort quotes a value a caller sent for an error message, cut to 40 bytes: the
// message names it without echoing kilobytes back.
func quoteShort(s string) string {
	if len(s) > 40 {
		s = strings.ToValidUTF8(s[:40], "") + "…"
	}
	return strconv.Quote(s)
}
