package decision

import (
	"bytes"
	"fmt"

	"gopkg.in/yaml.v3"
)

// Challenger runs another way of deciding beside the catalog's own (the champion) on a
// share of customers, chosen by a salted hash of the customer id like the control
// groups, so a customer stays in the same arm on every channel. The challenger is the
// same catalog with some settings replaced (arbitration, models, thresholds) or another
// published catalog version. Both arms' decisions are logged with their arm, and the
// lift report compares them side by side. Control groups are the champion's: a
// customer held out stays held out whatever the arm.
type Challenger struct {
	// Name says what the challenger tries ("explore-off", "catalog-v9").
	Name string `yaml:"name"`
	// Share of the customers in scope that the challenger decides for.
	Share float64 `yaml:"share"`
	// Salt, changed, reassigns the arms.
	Salt string `yaml:"salt"`
	// Scope, a rule over profile and context, limits the experiment to some customers
	// (a pilot region, a segment); the others are decided by the champion and belong to
	// no arm.
	Scope string `yaml:"scope"`
	// Settings replace the champion's settings of the same names for the challenger,
	// key by key (model: {explore: false} changes exploration only).
	Settings map[string]any `yaml:"settings"`
	// Version names a published catalog version that decides for the challenger's
	// customers; the functions load it beside the live one.
	Version string `yaml:"version"`

	scope compiledRule
}

// Arms of a challenger experiment.
const (
	ArmChampion   = "champion"
	ArmChallenger = "challenger"
)

// compileChallenger checks the challenger and, for one that replaces settings,
// compiles the catalog it decides with from the catalog's own source.
func (c *Catalog) compileChallenger(name string, source []byte) []error {
	ch := c.Settings.Challenger
	if ch == nil {
		return nil
	}
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("settings.challenger: "+format, args...))
	}
	if ch.Name == "" {
		fail("name it (what does it try?)")
	}
	if ch.Share <= 0 || ch.Share >= 1 {
		fail("share must be between 0 and 1, got %v", ch.Share)
	}
	if (len(ch.Settings) > 0) == (ch.Version != "") {
		fail("give either settings to replace or a catalog version, not both nor neither")
	}
	for _, key := range []string{"controlGroups", "challenger"} {
		if _, ok := ch.Settings[key]; ok {
			fail("settings.%s cannot change for the challenger: its customers must be held out alike", key)
		}
	}
	if ch.Scope != "" {
		rules, err := c.compileRules(Rules{Eligibility: ch.Scope})
		if err != nil {
			fail("scope: %v", err)
		} else {
			ch.scope = rules[0]
			ch.scope.kind = "scope"
		}
	}
	if len(errs) > 0 || len(ch.Settings) == 0 {
		return errs
	}
	derived, err := withSettings(source, ch.Settings)
	if err == nil {
		c.challenger, err = ParseCatalog(name+" (challenger "+ch.Name+")", derived)
	}
	if err != nil {
		fail("%v", err)
	}
	return errs
}

// withSettings returns a catalog source with some settings replaced, key by key, and
// without its challenger.
func withSettings(source []byte, overrides map[string]any) ([]byte, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(source, &doc); err != nil {
		return nil, err
	}
	settings, _ := doc["settings"].(map[string]any)
	if settings == nil {
		settings = map[string]any{}
	}
	delete(settings, "challenger")
	doc["settings"] = merge(settings, overrides)
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return out.Bytes(), enc.Close()
}

// merge replaces base's values with over's, recursing into maps that both have.
func merge(base, over map[string]any) map[string]any {
	for k, v := range over {
		if bm, ok := base[k].(map[string]any); ok {
			if om, ok := v.(map[string]any); ok {
				base[k] = merge(bm, om)
				continue
			}
		}
		base[k] = v
	}
	return base
}

// versionOf is the catalog version an arm's decisions report: the challenger's own
// published version, or the champion's with the challenger's name when it replaces
// settings.
func (c *Catalog) versionOf(chosen *Catalog) string {
	switch {
	case chosen == c:
		return c.Version
	case c.Settings.Challenger.Version != "":
		return chosen.Version
	default:
		return c.Version + "+" + c.Settings.Challenger.Name
	}
}

// route picks the catalog that decides for a customer and the customer's arm:
// the champion (c) outside any experiment, or the arm the customer's hash falls in.
// versioned is the challenger loaded from its published version, nil when the
// challenger replaces settings or could not be loaded (the champion then decides, in
// no arm, so the comparison stays clean).
func (c *Catalog) route(customerID string, rules *ruleEvaluator, versioned *Catalog) (*Catalog, string) {
	ch := c.Settings.Challenger
	if ch == nil {
		return c, ""
	}
	challenger := c.challenger
	if ch.Version != "" {
		challenger = versioned
	}
	if challenger == nil {
		return c, ""
	}
	if ch.Scope != "" {
		if ok, _ := rules.holds(&ch.scope); !ok {
			return c, ""
		}
	}
	if unitHash(ch.Salt+"\x00arm\x00"+customerID) < ch.Share {
		return challenger, ArmChallenger
	}
	return c, ArmChampion
}

// ChallengerVersion is the published version the challenger decides with, for the
// service to load; "" when the challenger replaces settings or there is none.
func (c *Catalog) ChallengerVersion() string {
	if c.Settings.Challenger == nil {
		return ""
	}
	return c.Settings.Challenger.Version
}
