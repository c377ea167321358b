package decision

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Treatment content is plain text with placeholders:
//
//	{{firstName}}           the profile attribute, or "" when the customer has none
//	{{firstName|there}}     the attribute, or the fallback text after the bar
//
// Placeholders are resolved from the profile's attributes only. A message never shows
// a raw placeholder or "<nil>": a missing field renders its fallback, and a field
// without a fallback is dropped together with the space before it ("Hello {{firstName}},"
// becomes "Hello,").

type compiledField struct {
	key   string
	parts []templatePart
}

type templatePart struct {
	literal  string
	field    string // attribute name; "" for a literal part
	fallback string
}

func compileContent(content map[string]string) ([]compiledField, error) {
	fields := make([]compiledField, 0, len(content))
	for _, key := range slices.Sorted(maps.Keys(content)) { // sorted, so errors come in a stable order
		text := content[key]
		parts, err := parseTemplate(text)
		if err != nil {
			return nil, fmt.Errorf("content %q: %w", key, err)
		}
		fields = append(fields, compiledField{key: key, parts: parts})
	}
	return fields, nil
}

func parseTemplate(text string) ([]templatePart, error) {
	var parts []templatePart
	for text != "" {
		open := strings.Index(text, "{{")
		if open < 0 {
			parts = append(parts, templatePart{literal: text})
			break
		}
		if open > 0 {
			parts = append(parts, templatePart{literal: text[:open]})
		}
		closing := strings.Index(text[open:], "}}")
		if closing < 0 {
			return nil, fmt.Errorf("unclosed placeholder at %q", text[open:])
		}
		inner := strings.TrimSpace(text[open+2 : open+closing])
		field, fallback, _ := strings.Cut(inner, "|")
		field = strings.TrimSpace(field)
		if field == "" {
			return nil, fmt.Errorf("empty placeholder at %q", text[open:open+closing+2])
		}
		parts = append(parts, templatePart{field: field, fallback: fallback})
		text = text[open+closing+2:]
	}
	return parts, nil
}

// render fills the treatment's content with the customer's attributes.
func (t *compiledTreatment) render(attrs map[string]any) map[string]string {
	out := make(map[string]string, len(t.content))
	var b strings.Builder
	for _, f := range t.content {
		b.Reset()
		droppedLeadingField := false
		for _, p := range f.parts {
			if p.field == "" {
				if droppedLeadingField {
					writeCapitalized(&b, strings.TrimLeft(p.literal, " ,;:-"))
					droppedLeadingField = false
					continue
				}
				b.WriteString(p.literal)
				continue
			}
			if v, ok := formatAttribute(attrs[p.field]); ok {
				b.WriteString(v)
			} else if p.fallback != "" {
				b.WriteString(p.fallback)
			} else if b.Len() == 0 {
				droppedLeadingField = true
			} else {
				trimTrailingSpace(&b)
			}
		}
		out[f.key] = b.String()
	}
	return out
}

func trimTrailingSpace(b *strings.Builder) {
	s := b.String()
	if trimmed := strings.TrimRight(s, " "); len(trimmed) != len(s) {
		b.Reset()
		b.WriteString(trimmed)
	}
}

func writeCapitalized(b *strings.Builder, s string) {
	if s == "" {
		return
	}
	r, size := utf8.DecodeRuneInString(s)
	b.WriteRune(unicode.ToUpper(r))
	b.WriteString(s[size:])
}

func formatAttribute(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", false
	case string:
		return x, x != ""
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case int:
		return strconv.Itoa(x), true
	case bool:
		return strconv.FormatBool(x), true
	default:
		return fmt.Sprint(x), true
	}
}
