package decision_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nextbest/nextbest/shared/decision"
)

// typedCatalog declares its profile: rules, predictors and placeholders are checked
// against the schema.
const typedCatalog = `
name: typed
channels:
  - {name: web, content: [title]}
profile:
  retention: 730d
  attributes:
    - {name: firstName, type: string, personal: true}
    - {name: age, type: number}
    - {name: segment, type: string, values: [youth, family]}
    - {name: productsHeld, type: list, values: [mobile, fibre]}
    - {name: vip, type: bool}
    - {name: customerSince, type: time}
settings:
  model:
    predictors:
      - {name: age, source: profile.age, kind: numeric, bins: [30, 50]}
      - {name: segment, source: profile.segment}
issues:
  - id: growth
    groups:
      - id: fibre
        actions:
          - id: fibre-upgrade
            value: 10
            eligibility: (profile.age ?? 0) >= 18 && !("fibre" in (profile.productsHeld ?? []))
            suitability: profile.segment != "youth"
            treatments:
              - {id: fibre-web, channel: web, content: {title: "{{firstName|Hello}}, fibre"}}
          - id: loyalty-gift
            value: 5
            eligibility: now - (profile.customerSince ?? now) > duration("8760h")
            treatments:
              - {id: loyalty-web, channel: web, content: {title: "A gift"}}
`

func TestProfileSchemaChecksTheCatalog(t *testing.T) {
	if _, err := decision.ParseCatalog("typed.yaml", []byte(typedCatalog)); err != nil {
		t.Fatalf("ParseCatalog(typed) = %v, want nil", err)
	}
	tests := []struct {
		name     string
		old, new string
		wantErr  []string
	}{
		{"number compared with a string", `(profile.age ?? 0) >= 18`, `profile.age > "18"`,
			[]string{"catalog typed.yaml", `action "fibre-upgrade"`, `eligibility rule "profile.age > \"18\" &&`, "mismatched types float64 and string"}},
		{"attribute nobody declared", `profile.segment != "youth"`, `profile.segmnet != "youth"`,
			[]string{`action "fibre-upgrade"`, `suitability rule`, "unknown field segmnet"}},
		{"bool used as a number", `(profile.age ?? 0) >= 18`, `profile.vip > 1`,
			[]string{"mismatched types bool and int"}},
		{"numeric predictor over a string", `{name: age, source: profile.age, kind: numeric`, `{name: age, source: profile.segment, kind: numeric`,
			[]string{`predictors[0] "age"`, "is a string, but a numeric predictor needs a number"}},
		{"placeholder nobody declared", `{{firstName|Hello}}`, `{{fistName|Hello}}`,
			[]string{`treatment "fibre-web": content "title": placeholder {{fistName}} names no attribute`}},
		{"unknown weather measure", `profile.segment != "youth"`, `(context.weather.temp ?? 0) > 20`,
			[]string{"unknown field temp"}},
		{"unknown attribute type", `{name: vip, type: bool}`, `{name: vip, type: boolean}`,
			[]string{`profile.attributes[4] "vip": type "boolean" is not one of`}},
		{"attribute declared twice", `{name: vip, type: bool}`, `{name: age, type: bool}`,
			[]string{`"age": declared twice`}},
		{"profile kept shorter than its outcomes", "  retention: 730d\n", "  retention: 200d\n",
			[]string{"profile.retention 200d is shorter than settings.outcomes.retention (400d)"}},
		{"allowed values on a number", `{name: age, type: number}`, `{name: age, type: number, values: [a]}`,
			[]string{"allowed values apply to string and list attributes only"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(typedCatalog, tt.old) {
				t.Fatalf("the test catalog has no %q", tt.old)
			}
			_, err := decision.ParseCatalog("typed.yaml", []byte(strings.Replace(typedCatalog, tt.old, tt.new, 1)))
			if err == nil {
				t.Fatal("ParseCatalog = nil, want an error")
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("ParseCatalog error =\n%v\nwant it to contain %q", err, w)
				}
			}
		})
	}
}

func TestTimeAttributesReadAsTimes(t *testing.T) {
	c, err := decision.ParseCatalog("typed.yaml", []byte(typedCatalog))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	decide := func(since string) []string {
		t.Helper()
		d, err := c.Decide(decision.Input{Now: now, DecisionID: "d1",
			Request: decision.Request{CustomerID: "C1", Channel: "web", Limit: 2},
			Profile: decision.Profile{CustomerID: "C1", Known: true, Attributes: map[string]any{"age": 40.0, "segment": "youth", "customerSince": since}}})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, o := range d.Actions {
			ids = append(ids, o.ActionID)
		}
		return ids
	}
	if got := decide("2020-01-15"); !reflect.DeepEqual(got, []string{"loyalty-gift"}) {
		t.Errorf("a customer since 2020 gets %v, want the loyalty gift", got)
	}
	if got := decide("2026-10-01T00:00:00Z"); len(got) != 0 {
		t.Errorf("a customer since last month gets %v, want nothing", got)
	}
}

func TestValidateAttributes(t *testing.T) {
	c, err := decision.ParseCatalog("typed.yaml", []byte(typedCatalog))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		in      map[string]any
		want    map[string]any
		wantErr []string
	}{
		{"valid, normalised", map[string]any{"age": 41.0, "segment": "family", "productsHeld": []any{"mobile"}, "vip": true,
			"customerSince": "2021-03-04T05:06:07+01:00", "firstName": "Ada"},
			map[string]any{"age": 41.0, "segment": "family", "productsHeld": []any{"mobile"}, "vip": true,
				"customerSince": "2021-03-04T04:06:07Z", "firstName": "Ada"}, nil},
		{"a date is a time", map[string]any{"customerSince": "2021-03-04"}, map[string]any{"customerSince": "2021-03-04T00:00:00Z"}, nil},
		{"null removes", map[string]any{"age": nil}, map[string]any{"age": nil}, nil},
		{"every problem named", map[string]any{"age": "forty", "segment": "pirate", "productsHeld": []any{"mobile", 3.0}, "vip": "yes",
			"customerSince": "last year", "shoeSize": 42.0},
			nil, []string{`attribute "age": want a number, got the text "forty"`, `attribute "segment": "pirate" is not an allowed value (youth, family)`,
				`attribute "productsHeld": element 1: want a string, got the number 3`, `attribute "vip": want true or false`,
				`attribute "customerSince": "last year" is not an RFC 3339 time`, `attribute "shoeSize" is not declared`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.Profile.ValidateAttributes(tt.in)
			if tt.wantErr == nil {
				if err != nil || !reflect.DeepEqual(got, tt.want) {
					t.Errorf("ValidateAttributes(%v) = %v, %v; want %v", tt.in, got, err, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("ValidateAttributes(%v) = nil error, want %v", tt.in, tt.wantErr)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("ValidateAttributes error =\n%v\nwant it to contain %q", err, w)
				}
			}
		})
	}
	var untyped *decision.ProfileSchema
	free := map[string]any{"anything": []any{1.0, "x"}}
	if got, err := untyped.ValidateAttributes(free); err != nil || !reflect.DeepEqual(got, free) {
		t.Errorf("a catalog without a schema: ValidateAttributes = %v, %v; want the attributes as they are", got, err)
	}
}
