package customers

import (
	"context"
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/service"
)

var testNow = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

const schemaCatalog = `
name: import-test
channels:
  - {name: web, content: [title]}
  - {name: email, outbound: true, content: [subject]}
  - {name: sms, outbound: true, content: [text]}
profile:
  retention: 730d
  attributes:
    - {name: firstName, type: string, personal: true}
    - {name: age, type: number}
    - {name: segment, type: string, values: [youth, family, senior]}
    - {name: productsHeld, type: list, values: [mobile, fibre, tv]}
    - {name: openComplaint, type: bool}
    - {name: customerSince, type: time}
    - {name: loyaltyTier, type: string}
issues:
  - id: growth
    groups:
      - id: g
        actions:
          - id: a
            value: 10
            treatments: [{id: a-web, channel: web, content: {title: "A"}}]
`

// memStore is a hand-written profile store; it counts writes.
type memStore struct {
	mu       sync.Mutex
	profiles map[string]service.StoredProfile
	writes   int
	failAt   int // the write call that fails (1-based); 0 never
}

func newMemStore() *memStore { return &memStore{profiles: map[string]service.StoredProfile{}} }

func (m *memStore) GetProfiles(_ context.Context, ids []string) (map[string]service.StoredProfile, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]service.StoredProfile{}
	for _, id := range ids {
		if sp, ok := m.profiles[id]; ok {
			sp.Profile.Attributes = maps.Clone(sp.Profile.Attributes)
			sp.Profile.Consents = maps.Clone(sp.Profile.Consents)
			out[id] = sp
		}
	}
	return out, nil
}

func (m *memStore) WriteProfiles(_ context.Context, ps []service.StoredProfile) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.writes++
	if m.failAt > 0 && m.writes >= m.failAt {
		return errors.New("throttled past every retry")
	}
	for _, sp := range ps {
		m.profiles[sp.Profile.CustomerID] = sp
	}
	return nil
}

func parseCatalog(t *testing.T) *decision.Catalog {
	t.Helper()
	c, err := decision.ParseCatalog("import-test.yaml", []byte(schemaCatalog))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustMapping(t *testing.T, c *decision.Catalog, src, file string) *Mapping {
	t.Helper()
	m, err := ParseMapping([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Check(c, file); err != nil {
		t.Fatal(err)
	}
	return m
}

// frenchMapping reads a semicolon-separated export with French headers, decimal
// commas, day/month/year dates and oui/non consents.
const frenchMapping = `
delimiter: ";"
decimal: ","
customerId: no_client
timeZone: {value: Europe/Paris}
attributes:
  firstName: prenom
  age: age
  segment: segment
  productsHeld: {column: produits, separator: "+"}
  openComplaint: reclamation
  customerSince: {column: client_depuis, layout: "02/01/2006"}
consents:
  email: optin_email
  sms: optin_sms
`

const frenchFile = "no_client;prenom;age;segment;produits;reclamation;client_depuis;optin_email;optin_sms\n" +
	"CL-1;Amélie;34,5;family;mobile+fibre;non;15/03/2019;oui;non\n" + // line 2
	"CL-2;Bruno;quarante;family;mobile;non;01/01/2020;oui;oui\n" + // 3: not a number
	"CL-3;Chloé;51;pirate;tv;non;01/01/2020;oui;oui\n" + // 4: not an allowed segment
	"CL-4;Denis;28;youth;;oui;;peut-être;non\n" + // 5: consent neither yes nor no
	"CL-1;Amélie;35;family;mobile;non;15/03/2019;oui;non\n" + // 6: twice in one file
	"CL-5;Eve;40;senior;mobile\n" + // 7: too few cells
	";Frank;40;senior;mobile;non;01/01/2020;oui;oui\n" + // 8: no id
	"\"CL-6;Gina\n" + // 9: a stray quote, which swallows the rest of the file
	""

func TestImportCSV(t *testing.T) {
	c := parseCatalog(t)
	m := mustMapping(t, c, frenchMapping, "export.csv")
	store := newMemStore()
	var rejects []Reject
	im := &Importer{Catalog: c, Mapping: m, Store: store, Now: func() time.Time { return testNow },
		Rejected: func(r Reject) error { rejects = append(rejects, r); return nil }}
	counts, err := im.Run(context.Background(), strings.NewReader(frenchFile))
	if err != nil {
		t.Fatal(err)
	}
	if want := (Counts{Read: 8, Written: 1, Rejected: 7}); counts != want {
		t.Errorf("Run = %+v, want %+v", counts, want)
	}
	wantRejects := []struct {
		line   int
		reason string
	}{
		{3, `age (column age): "quarante" is not a number`},
		{4, `attribute "segment": "pirate" is not an allowed value`},
		{5, `consent email: "peut-être" is neither yes nor no`},
		{6, "customer CL-1 already appears on line 2"},
		{7, "5 cells, the header has 9"},
		{8, "customer id (column no_client) is required"},
		{9, `extraneous or missing " in quoted-field`},
	}
	if len(rejects) != len(wantRejects) {
		t.Fatalf("rejects = %+v, want %d", rejects, len(wantRejects))
	}
	for i, w := range wantRejects {
		if rejects[i].Line != w.line || !strings.Contains(rejects[i].Reason, w.reason) {
			t.Errorf("reject %d = %+v, want line %d saying %q", i, rejects[i], w.line, w.reason)
		}
	}
	if strings.Contains(rejects[2].Reason, "consent sms") {
		t.Errorf("reject %+v names consent sms, which was valid", rejects[2])
	}
	got := store.profiles["CL-1"]
	want := decision.Profile{CustomerID: "CL-1", Known: true, TimeZone: "Europe/Paris",
		Attributes: map[string]any{"firstName": "Amélie", "age": 34.5, "segment": "family", "productsHeld": []any{"mobile", "fibre"},
			"openComplaint": false, "customerSince": "2019-03-15T00:00:00Z"},
		Consents: map[string]bool{"email": true, "sms": false}}
	if !reflect.DeepEqual(got.Profile, want) || got.Version != 1 || !got.ExpiresAt.Equal(testNow.Add(730*24*time.Hour)) {
		t.Errorf("stored CL-1 = %+v, want %+v at version 1, expiring 730 days after the import", got, want)
	}
}

func TestImportAgainChangesNothing(t *testing.T) {
	c := parseCatalog(t)
	m := mustMapping(t, c, frenchMapping, "export.csv")
	store := newMemStore()
	file := "no_client;prenom;age;segment;produits;reclamation;client_depuis;optin_email;optin_sms\n" +
		"CL-1;Amélie;34;family;mobile;non;15/03/2019;oui;non\n" +
		"CL-2;Bruno;41;senior;tv;oui;01/01/2020;non;oui\n"
	run := func(file string) Counts {
		t.Helper()
		im := &Importer{Catalog: c, Mapping: m, Store: store, Now: func() time.Time { return testNow }, BatchSize: 1, Workers: 2}
		counts, err := im.Run(context.Background(), strings.NewReader(file))
		if err != nil {
			t.Fatal(err)
		}
		return counts
	}
	if got := run(file); got != (Counts{Read: 2, Written: 2}) {
		t.Fatalf("first import = %+v, want 2 written", got)
	}
	writes := store.writes
	if got := run(file); got != (Counts{Read: 2, Unchanged: 2}) {
		t.Errorf("the same file again = %+v, want 2 unchanged", got)
	}
	// A profile also holds what the file does not map, such as a loyalty tier set
	// through the API: a new import keeps it. An emptied cell removes its attribute.
	sp := store.profiles["CL-2"]
	sp.Profile.Attributes["loyaltyTier"] = "gold"
	store.profiles["CL-2"] = sp
	changed := strings.Replace(file, "CL-2;Bruno;41;senior;tv;oui", "CL-2;Bruno;;senior;tv;oui", 1)
	if got := run(changed); got != (Counts{Read: 2, Written: 1, Unchanged: 1}) {
		t.Errorf("a file with one changed row = %+v, want 1 written and 1 unchanged", got)
	}
	bruno := store.profiles["CL-2"]
	if _, has := bruno.Profile.Attributes["age"]; has || bruno.Profile.Attributes["loyaltyTier"] != "gold" || bruno.Version != 2 {
		t.Errorf("CL-2 after the change = %+v, want age removed, the loyalty tier kept, version 2", bruno)
	}
	if store.writes-writes != 1 {
		t.Errorf("the two later imports made %d writes, want 1", store.writes-writes)
	}
}

func TestImportJSONLines(t *testing.T) {
	c := parseCatalog(t)
	m := mustMapping(t, c, `
customerId: id
timeZone: tz
attributes:
  age: person.age
  segment: person.segment
  productsHeld: products
  openComplaint: complaint
consents:
  email: consents.email
`, "crm.jsonl")
	store := newMemStore()
	var rejects []Reject
	file := `{"id": 42, "tz": "Europe/Brussels", "person": {"age": 61, "segment": "senior"}, "products": ["tv"], "complaint": true, "consents": {"email": false}}` + "\n" +
		"\n" +
		`{"id": "C-43", "person": {"age": "n/a"}}` + "\n" +
		`{"id": "C-44",` + "\n" +
		`{"id": "C-45", "tz": "Mars/Olympus"}` + "\n"
	im := &Importer{Catalog: c, Mapping: m, Store: store, Now: func() time.Time { return testNow },
		Rejected: func(r Reject) error { rejects = append(rejects, r); return nil }}
	counts, err := im.Run(context.Background(), strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if counts != (Counts{Read: 4, Written: 1, Rejected: 3}) {
		t.Errorf("Run = %+v, want 1 written and 3 rejected", counts)
	}
	lines := []int{}
	for _, r := range rejects {
		lines = append(lines, r.Line)
	}
	if !slices.Equal(lines, []int{3, 4, 5}) {
		t.Errorf("rejected lines %v (%+v), want 3, 4 and 5", lines, rejects)
	}
	want := decision.Profile{CustomerID: "42", Known: true, TimeZone: "Europe/Brussels",
		Attributes: map[string]any{"age": 61.0, "segment": "senior", "productsHeld": []any{"tv"}, "openComplaint": true},
		Consents:   map[string]bool{"email": false}}
	if got := store.profiles["42"].Profile; !reflect.DeepEqual(got, want) {
		t.Errorf("stored 42 = %+v, want %+v", got, want)
	}
}

func TestImportStopsWhenTheStoreFails(t *testing.T) {
	c := parseCatalog(t)
	m := mustMapping(t, c, frenchMapping, "export.csv")
	store := newMemStore()
	store.failAt = 2
	var b strings.Builder
	b.WriteString("no_client;prenom;age;segment;produits;reclamation;client_depuis;optin_email;optin_sms\n")
	for i := range 500 {
		b.WriteString("CL-" + strings.Repeat("x", i%3) + string(rune('a'+i%26)) + "-" + strings.Repeat("9", i/26+1) + ";A;30;family;mobile;non;01/01/2020;oui;oui\n")
	}
	im := &Importer{Catalog: c, Mapping: m, Store: store, Now: func() time.Time { return testNow }, BatchSize: 50, Workers: 1}
	counts, err := im.Run(context.Background(), strings.NewReader(b.String()))
	if err == nil || !strings.Contains(err.Error(), "throttled") {
		t.Fatalf("Run with a failing store = %+v, %v; want the store's error", counts, err)
	}
	if counts.Written != 50 || len(store.profiles) != 50 {
		t.Errorf("Run wrote %d (counted %d) before the failure, want the first batch of 50", len(store.profiles), counts.Written)
	}
}

func TestMappingCheck(t *testing.T) {
	c := parseCatalog(t)
	tests := []struct {
		name, mapping, file string
		wantErr             []string
	}{
		{"unknown key", "customerId: id\nattribute: {}\n", "a.csv", []string{"field attribute not found"}},
		{"no format", "customerId: id\n", "customers.txt", []string{"format: say csv or jsonl"}},
		{"everything wrong at once", `
customerId: ""
delimiter: "::"
attributes:
  shoeSize: size
  age: {column: age, separator: "|"}
  firstName: {}
consents:
  web: optin_web
`, "a.csv", []string{"customerId: name the column", `delimiter "::"`, "attributes.shoeSize: the catalog's profile schema declares no such attribute",
			"attributes.age: a separator splits list attributes only", "attributes.firstName: give a column or a value", "consents.web: not an outbound channel"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseMapping([]byte(tt.mapping))
			if err == nil {
				err = m.Check(c, tt.file)
			}
			for _, w := range tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("mapping error = %v, want it to contain %q", err, w)
				}
			}
		})
	}
	untyped, err := decision.ParseCatalog("untyped.yaml", []byte(
		"name: u\nchannels: [{name: web, content: [title]}]\nissues: [{id: i, groups: [{id: g, actions: [{id: a, value: 1, treatments: [{id: t, channel: web, content: {title: x}}]}]}]}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	m, _ := ParseMapping([]byte("customerId: id\n"))
	if err := m.Check(untyped, "a.csv"); err == nil || !strings.Contains(err.Error(), "declares no profile schema") {
		t.Errorf("Check against a catalog without a schema = %v, want a refusal that says so", err)
	}
}
