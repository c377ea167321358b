package decision

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	// The zone database is embedded so that quiet hours work on Lambda images that
	// ship without one.
	_ "time/tzdata"

	"gopkg.in/yaml.v3"

	"github.com/nextbest/nextbest/shared/adaptive"
)

// Catalog is everything an operator publishes: the channels, the arbitration and
// contact settings, and the action hierarchy issue → group → action. It is read from
// YAML (or JSON, which is valid YAML) by ParseCatalog, which also compiles every rule;
// a *Catalog that ParseCatalog returned is ready to decide and safe for concurrent use.
type Catalog struct {
	Name     string    `yaml:"name"`
	Channels []Channel `yaml:"channels"`
	// Profile declares the customer attributes the catalog reads, with their types.
	Profile  *ProfileSchema `yaml:"profile"`
	Settings Settings       `yaml:"settings"`
	Issues   []Issue        `yaml:"issues"`

	// Version identifies the published copy the catalog was loaded from; the store
	// sets it and every decision reports it.
	Version string `yaml:"-"`

	actions     []*compiledAction
	channels    map[string]Channel
	zones       sync.Map // time-zone name → *time.Location
	modelConfig adaptive.Config
	ruleCount   int
	// channelRules are the ids of the rules that read channel or placement, and
	// predictorsPerChannel tells whether any predictor does (see ruleEvaluator).
	channelRules         []int
	predictorsPerChannel bool
	// flatNames are the profile and context members the rules read, by flattened
	// name (see compileExpr).
	flatNames map[string]flatName
	// challenger decides for the challenger's customers when it replaces settings.
	challenger *Catalog
	// baseline is the model of what customers do without any action (see uplift.go).
	baseline *compiledAction
}

// Channel is a way of reaching customers. Outbound channels (email, sms, push) are
// initiated by the brand, so they need the customer's consent and count against
// contact caps; inbound channels (web, app, call centre) answer a customer who came.
type Channel struct {
	Name       string   `yaml:"name"`
	Outbound   bool     `yaml:"outbound"`
	Placements []string `yaml:"placements"`
	// Content lists the keys every treatment on this channel must fill (an SMS needs
	// "text", an e-mail "subject" and "body"), so a treatment a channel app cannot show
	// is caught at publish time.
	Content []string `yaml:"content"`
	// Limits caps how many actions one request may get on a placement (a hero banner
	// shows one), whatever limit the caller asks for.
	Limits map[string]int `yaml:"limits"`
}

// Settings tune arbitration and contact pressure for the whole catalog.
type Settings struct {
	// SilenceThreshold is the minimum priority an action needs to be offered; below
	// it, saying nothing is the better answer.
	SilenceThreshold float64 `yaml:"silenceThreshold"`
	// Arbitration ranks actions by "propensity" (the default) or by "uplift", the
	// difference an action makes against doing nothing (see uplift.go).
	Arbitration string `yaml:"arbitration"`
	// MaxLimit bounds the number of actions one request may ask for.
	MaxLimit int `yaml:"maxLimit"`
	// Prior is the propensity an action starts with before it has evidence.
	Prior Prior `yaml:"prior"`
	// ContactCaps bound outbound contacts per customer over rolling windows.
	ContactCaps []ContactCap `yaml:"contactCaps"`
	// SuccessOutcomes are the outcomes that count as a positive response unless an
	// action lists its own.
	SuccessOutcomes []string `yaml:"successOutcomes"`
	// DecisionRetention is how long the decision log keeps a decision, which is also
	// how late a response can still be attributed to it.
	DecisionRetention Duration `yaml:"decisionRetention"`
	// Suppression stops offering an action that a customer keeps ignoring or has
	// rejected; an action may override it.
	Suppression Suppression `yaml:"suppression"`
	// QuietHours forbid outbound contacts at night in the customer's time zone.
	QuietHours *QuietHours `yaml:"quietHours"`
	// DefaultTimeZone is used for customers whose profile has none.
	DefaultTimeZone string `yaml:"defaultTimeZone"`
	// ContextWeights raise or lower actions' priority in some contexts.
	ContextWeights []ContextWeight `yaml:"contextWeights"`
	// ControlGroups hold out a share of customers to measure what decisions add.
	ControlGroups ControlGroups `yaml:"controlGroups"`
	// Model configures the adaptive propensity models.
	Model ModelSettings `yaml:"model"`
	// VolumeConstraints bound how many sends of an action or a channel one batch run
	// makes (see volume.go).
	VolumeConstraints []VolumeConstraint `yaml:"volumeConstraints"`
	// Outcomes declare the business outcomes channels report without a decision.
	Outcomes OutcomeSettings `yaml:"outcomes"`
	// Feeds add what the engine observes itself, such as the weather, to the context.
	Feeds Feeds `yaml:"feeds"`
	// Challenger runs another way of deciding beside this one on a share of customers.
	Challenger *Challenger `yaml:"challenger"`
}

// Suppression is a per-action contact policy. An action is suppressed for a customer
// after AfterImpressions impressions in the Within window with no response since the
// last of them, or for AfterReject after the customer rejected it. Zero values turn
// each rule off.
type Suppression struct {
	AfterImpressions int      `yaml:"afterImpressions"`
	Within           Duration `yaml:"within"`
	AfterReject      Duration `yaml:"afterReject"`
}

// QuietHours is a daily window, in the customer's local time, when outbound channels
// stay silent; Start after End wraps over midnight ("21:00" to "08:00").
type QuietHours struct {
	Start string `yaml:"start"`
	End   string `yaml:"end"`

	start, end int // minutes after midnight
}

// ContextWeight multiplies the priority of the actions it selects when its rule holds:
// for example weight 2 on the Retention issue when `context.intent == "cancel"`. An
// empty selector selects every action.
type ContextWeight struct {
	When   string  `yaml:"when"`
	Issue  string  `yaml:"issue"`
	Group  string  `yaml:"group"`
	Action string  `yaml:"action"`
	Weight float64 `yaml:"weight"`

	rule compiledRule
}

// ControlGroups are the shares of customers held out, chosen by a hash of the
// customer id and Salt, so a customer stays in the same group on every channel and
// every day until the salt changes. The random group gets a random eligible action
// instead of the best one; the silence group gets nothing.
type ControlGroups struct {
	RandomShare  float64 `yaml:"randomShare"`
	SilenceShare float64 `yaml:"silenceShare"`
	Salt         string  `yaml:"salt"`
}

// Prior is a Beta prior on an action's response rate, stated as a base rate and a
// strength in pseudo-observations: strength 100 means the prior weighs as much as 100
// real impressions.
type Prior struct {
	Rate     float64 `yaml:"rate"`
	Strength float64 `yaml:"strength"`
}

// ContactCap allows at most Max outbound contacts on the listed channels (all outbound
// channels when the list is empty) within the rolling Window.
type ContactCap struct {
	Name     string   `yaml:"name"`
	Channels []string `yaml:"channels"`
	Max      int      `yaml:"max"`
	Window   Duration `yaml:"window"`
}

// Rules are the engagement policies: boolean expressions over the profile and the
// context (see rules.go for the language). An empty rule always holds.
type Rules struct {
	Eligibility   string `yaml:"eligibility"`
	Applicability string `yaml:"applicability"`
	Suitability   string `yaml:"suitability"`
}

// Issue is the top of the hierarchy: a business objective such as Retention.
type Issue struct {
	ID     string  `yaml:"id"`
	Name   string  `yaml:"name"`
	Rules  Rules   `yaml:",inline"`
	Groups []Group `yaml:"groups"`
}

// Group gathers related actions, such as Mobile plans; at most one action of a group
// is offered in one decision.
type Group struct {
	ID    string `yaml:"id"`
	Name  string `yaml:"name"`
	Rules Rules  `yaml:",inline"`
	// MaxActions allows more than one of the group's actions in one decision.
	MaxActions int      `yaml:"maxActions"`
	Actions    []Action `yaml:"actions"`
}

// Action is something the brand can do for a customer.
type Action struct {
	ID         string     `yaml:"id"`
	Name       string     `yaml:"name"`
	Value      float64    `yaml:"value"`
	Lever      *float64   `yaml:"lever"`
	ValidFrom  *time.Time `yaml:"validFrom"`
	ValidUntil *time.Time `yaml:"validUntil"`
	// Prior overrides the catalog's prior for this action.
	Prior *Prior `yaml:"prior"`
	// SuccessOutcomes overrides the catalog's success outcomes for this action.
	SuccessOutcomes []string `yaml:"successOutcomes"`
	// Suppression overrides the catalog's suppression policy for this action.
	Suppression *Suppression `yaml:"suppression"`
	Rules       Rules        `yaml:",inline"`
	Treatments  []Treatment  `yaml:"treatments"`
}

// Treatment is the content of an action on one channel (and optionally only on some
// placements of it). Content values are templates: see render.go.
type Treatment struct {
	ID         string            `yaml:"id"`
	Channel    string            `yaml:"channel"`
	Placements []string          `yaml:"placements"`
	Content    map[string]string `yaml:"content"`
}

// defaultSuccessOutcomes are positive responses when the catalog names none.
var defaultSuccessOutcomes = []string{"click", "accept", "convert"}

// Outcomes are the response outcomes the engine understands.
var Outcomes = []string{"impression", "click", "accept", "reject", "convert", "unsubscribe"}

// ParseCatalog reads a catalog from YAML or JSON and compiles it. name (usually the
// file name) prefixes every error, and all problems are reported together, each naming
// the action and the rule at fault.
func ParseCatalog(name string, data []byte) (*Catalog, error) {
	var c Catalog
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("catalog %s: %w", name, err)
	}
	c.applyDefaults()
	err := c.compile()
	if err == nil {
		err = errors.Join(c.compileChallenger(name, data)...)
	}
	if err != nil {
		return nil, fmt.Errorf("catalog %s: %w", name, err)
	}
	return &c, nil
}

func (c *Catalog) applyDefaults() {
	if c.Settings.MaxLimit == 0 {
		c.Settings.MaxLimit = 5
	}
	if c.Settings.Prior == (Prior{}) {
		c.Settings.Prior = Prior{Rate: 0.02, Strength: 50}
	}
	if len(c.Settings.SuccessOutcomes) == 0 {
		c.Settings.SuccessOutcomes = defaultSuccessOutcomes
	}
	if c.Settings.DecisionRetention == 0 {
		c.Settings.DecisionRetention = Duration(30 * 24 * time.Hour)
	}
	if c.Settings.DefaultTimeZone == "" {
		c.Settings.DefaultTimeZone = "UTC"
	}
	c.Settings.Outcomes.applyDefaults()
}

// compile checks the whole catalog and prepares the flat list of actions that
// decisions walk. It collects every problem instead of stopping at the first, so an
// operator fixes a catalog in one pass.
func (c *Catalog) compile() error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	c.channels = make(map[string]Channel, len(c.Channels))
	for _, ch := range c.Channels {
		if ch.Name == "" {
			fail("channel without a name")
			continue
		}
		if _, dup := c.channels[ch.Name]; dup {
			fail("channel %q declared twice", ch.Name)
		}
		c.channels[ch.Name] = ch
	}
	if len(c.channels) == 0 {
		fail("no channels declared")
	}
	if c.Profile != nil {
		errs = append(errs, c.Profile.compile()...)
		errs = append(errs, c.checkRetention()...)
	}
	if p := c.Settings.Prior; p.Rate <= 0 || p.Rate >= 1 || p.Strength <= 0 {
		fail("settings.prior: rate must be in (0,1) and strength > 0, got rate %v strength %v", p.Rate, p.Strength)
	}
	for _, o := range c.Settings.SuccessOutcomes {
		if !slices.Contains(Outcomes, o) {
			fail("settings.successOutcomes: unknown outcome %q (known: %s)", o, strings.Join(Outcomes, ", "))
		}
	}
	for i, cap := range c.Settings.ContactCaps {
		if cap.Max < 0 || cap.Window <= 0 {
			fail("settings.contactCaps[%d]: max must be ≥ 0 and window > 0", i)
		}
		for _, ch := range cap.Channels {
			if !c.channels[ch].Outbound {
				fail("settings.contactCaps[%d]: %q is not an outbound channel", i, ch)
			}
		}
	}

	errs = append(errs, c.compileSettings()...)

	ids := map[string]string{} // every id in the hierarchy → what declared it
	claim := func(kind, id string) {
		if id == "" {
			fail("%s without an id", kind)
		} else if prev, dup := ids[id]; dup {
			fail("%s %q: id already used by a %s", kind, id, prev)
		} else {
			ids[id] = kind
		}
	}
	for ii := range c.Issues {
		issue := &c.Issues[ii]
		claim("issue", issue.ID)
		issueRules, err := c.compileRules(issue.Rules)
		if err != nil {
			fail("issue %q: %w", issue.ID, err)
		}
		for gi := range issue.Groups {
			group := &issue.Groups[gi]
			claim("group", group.ID)
			groupRules, err := c.compileRules(group.Rules)
			if err != nil {
				fail("group %q: %w", group.ID, err)
			}
			for ai := range group.Actions {
				action := &group.Actions[ai]
				claim("action", action.ID)
				for _, t := range action.Treatments {
					claim("treatment", t.ID)
				}
				ca, err := c.compileAction(issue, group, action)
				if err != nil {
					fail("action %q: %w", action.ID, err)
					continue
				}
				ca.rules = slices.Concat(issueRules, groupRules, ca.rules)
				ca.groupMax = max(group.MaxActions, 1)
				ca.index = len(c.actions)
				c.actions = append(c.actions, ca)
			}
		}
	}
	if len(c.actions) == 0 && len(errs) == 0 {
		fail("no actions declared")
	}
	for i, w := range c.Settings.ContextWeights {
		if sel := w.selector(); sel != "" && ids[sel] == "" {
			fail("settings.contextWeights[%d]: %s does not exist", i, w.selectorName())
		}
	}
	for i, v := range c.Settings.VolumeConstraints {
		if v.Action != "" && ids[v.Action] != "action" {
			fail("settings.volumeConstraints[%d]: action %q does not exist", i, v.Action)
		}
	}
	errs = append(errs, c.compileArbitration()...)
	return errors.Join(errs...)
}

func (c *Catalog) compileAction(issue *Issue, group *Group, a *Action) (*compiledAction, error) {
	var errs []error
	ca := &compiledAction{Action: a, issue: issue.ID, group: group.ID, lever: 1, prior: c.Settings.Prior,
		success: c.Settings.SuccessOutcomes}
	if a.Lever != nil {
		ca.lever = *a.Lever
	}
	if ca.lever < 0 {
		errs = append(errs, fmt.Errorf("lever must be ≥ 0, got %v", ca.lever))
	}
	if a.Value < 0 {
		errs = append(errs, fmt.Errorf("value must be ≥ 0, got %v", a.Value))
	}
	ca.suppression = c.Settings.Suppression
	if a.Suppression != nil {
		ca.suppression = *a.Suppression
	}
	if ca.suppression.AfterImpressions > 0 && ca.suppression.Within <= 0 {
		errs = append(errs, fmt.Errorf("suppression: afterImpressions needs a window (within)"))
	}
	if a.Prior != nil {
		ca.prior = *a.Prior
		if ca.prior.Rate <= 0 || ca.prior.Rate >= 1 || ca.prior.Strength <= 0 {
			errs = append(errs, fmt.Errorf("prior: rate must be in (0,1) and strength > 0"))
		}
	}
	ca.modelConfig = c.modelConfig
	ca.modelConfig.PriorRate, ca.modelConfig.PriorStrength = ca.prior.Rate, ca.prior.Strength
	if len(a.SuccessOutcomes) > 0 {
		ca.success = a.SuccessOutcomes
		for _, o := range a.SuccessOutcomes {
			if !slices.Contains(Outcomes, o) {
				errs = append(errs, fmt.Errorf("successOutcomes: unknown outcome %q", o))
			}
		}
	}
	if a.ValidFrom != nil && a.ValidUntil != nil && !a.ValidUntil.After(*a.ValidFrom) {
		errs = append(errs, fmt.Errorf("validUntil %s is not after validFrom %s", a.ValidUntil, a.ValidFrom))
	}
	rules, err := c.compileRules(a.Rules)
	if err != nil {
		errs = append(errs, err)
	}
	ca.rules = rules
	if len(a.Treatments) == 0 {
		errs = append(errs, fmt.Errorf("no treatments: the action can never be offered"))
	}
	// Each channel (and each placement of it) may have one treatment, or a later one
	// would silently never be used.
	covered := map[string]string{}
	cover := func(t Treatment, slot string) {
		if prev, dup := covered[slot]; dup {
			errs = append(errs, fmt.Errorf("treatments %q and %q both cover %s: the second would never be used", prev, t.ID, slot))
		}
		covered[slot] = t.ID
	}
	for _, t := range a.Treatments {
		ch, ok := c.channels[t.Channel]
		if !ok {
			errs = append(errs, fmt.Errorf("treatment %q: unknown channel %q", t.ID, t.Channel))
			continue
		}
		if len(t.Placements) == 0 {
			cover(t, fmt.Sprintf("channel %q", t.Channel))
		}
		for _, p := range t.Placements {
			cover(t, fmt.Sprintf("placement %q of channel %q", p, t.Channel))
			if !slices.Contains(ch.Placements, p) {
				errs = append(errs, fmt.Errorf("treatment %q: placement %q is not declared on channel %q", t.ID, p, t.Channel))
			}
		}
		for _, key := range ch.Content {
			if strings.TrimSpace(t.Content[key]) == "" {
				errs = append(errs, fmt.Errorf("treatment %q: channel %q needs content %q", t.ID, t.Channel, key))
			}
		}
		tmpl, err := compileContent(t.Content)
		if err != nil {
			errs = append(errs, fmt.Errorf("treatment %q: %w", t.ID, err))
		}
		errs = append(errs, c.checkPlaceholders(t.ID, tmpl)...)
		ca.treatments = append(ca.treatments, compiledTreatment{Treatment: t, content: tmpl})
	}
	return ca, errors.Join(errs...)
}

// Channel returns the declared channel with this name.
func (c *Catalog) Channel(name string) (Channel, bool) {
	ch, ok := c.channels[name]
	return ch, ok
}

// ActionCount is the number of actions in the catalog.
func (c *Catalog) ActionCount() int { return len(c.actions) }

// Action returns an action by id with its place in the hierarchy.
func (c *Catalog) Action(id string) (a *Action, issue, group string, ok bool) {
	if ca := c.action(id); ca != nil {
		return ca.Action, ca.issue, ca.group, true
	}
	return nil, "", "", false
}

func (c *Catalog) action(id string) *compiledAction {
	for _, ca := range c.actions {
		if ca.ID == id {
			return ca
		}
	}
	return nil
}

// PriorOf is an action's prior response rate and its strength.
func (c *Catalog) PriorOf(actionID string) (Prior, bool) {
	ca := c.action(actionID)
	if ca == nil {
		return c.Settings.Prior, false
	}
	return ca.prior, true
}

// IsSuccess reports whether outcome counts as a positive response for the action.
func (c *Catalog) IsSuccess(actionID, outcome string) bool {
	ca := c.action(actionID)
	return ca != nil && slices.Contains(ca.success, outcome)
}

// compiledAction is an action with its inherited rules compiled and its defaults
// resolved, so deciding never re-reads the hierarchy.
type compiledAction struct {
	*Action
	index        int // position in Catalog.actions
	issue, group string
	groupMax     int
	lever        float64
	prior        Prior
	success      []string
	suppression  Suppression
	rules        []compiledRule
	treatments   []compiledTreatment
	modelConfig  adaptive.Config
	emptyOnce    sync.Once
	empty        *adaptive.Snapshot
}

type compiledTreatment struct {
	Treatment
	content []compiledField
}

// treatmentFor picks the action's treatment for a channel and placement: one listing
// the placement first, then one for the whole channel.
func (ca *compiledAction) treatmentFor(channel, placement string) *compiledTreatment {
	var general *compiledTreatment
	for i := range ca.treatments {
		t := &ca.treatments[i]
		if t.Channel != channel {
			continue
		}
		if len(t.Placements) == 0 {
			if general == nil {
				general = t
			}
		} else if placement != "" && slices.Contains(t.Placements, placement) {
			return t
		}
	}
	return general
}
