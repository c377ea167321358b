package seed

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/nextbest/nextbest/shared/decision"
)

// demoCatalog parses the demo catalog the way the publish command does.
func demoCatalog(t testing.TB) *decision.Catalog {
	t.Helper()
	data, err := os.ReadFile("../catalog/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := decision.ParseCatalog("demo.yaml", data)
	if err != nil {
		t.Fatalf("ParseCatalog(demo.yaml) = %v", err)
	}
	return c
}

// placements is every way to ask a channel: without a placement and on each of its own.
func placements(c *decision.Catalog, channel string) []string {
	ch, _ := c.Channel(channel)
	return append([]string{""}, ch.Placements...)
}

// contexts the demo's callers send per channel.
var demoContexts = map[string][]map[string]any{
	"web":        {{"device": "desktop"}, {"device": "mobile"}},
	"app":        {{"device": "mobile"}},
	"callcenter": {{"intent": "billing"}, {"intent": "cancel"}},
	"store":      {{"intent": "upgrade"}, {"intent": "cancel"}},
}

// Actions whose validity window deliberately excludes the demo date.
var outOfWindow = []string{"summer-roaming-2026", "new-year-5g-launch"}

// TestDemoCatalogReachable checks that every action of the demo catalog passes every
// engagement policy for at least one generated customer on one channel and placement:
// it is offered, or loses only to arbitration (threshold, group or limit).
func TestDemoCatalogReachable(t *testing.T) {
	c := demoCatalog(t)
	if c.ActionCount() < 24 {
		t.Errorf("demo catalog has %d actions, want at least 24", c.ActionCount())
	}
	var all []string
	for _, issue := range c.Issues {
		for _, g := range issue.Groups {
			for _, a := range g.Actions {
				all = append(all, a.ID)
			}
		}
	}
	reached := map[string]string{} // action → where it passed
	validity := map[string]bool{}  // action → excluded by its validity window
	checkContent := func(where string, o decision.Offer) {
		for k, v := range o.Content {
			if strings.Contains(v, "{{") || strings.Contains(v, "<nil>") || v == "" {
				t.Errorf("%s: offer %s content[%s] = %q, want fully rendered text", where, o.TreatmentID, k, v)
			}
		}
		if text, ok := o.Content["text"]; ok && len([]rune(text)) > 160 {
			t.Errorf("%s: SMS %s is %d characters, want at most 160: %q", where, o.TreatmentID, len([]rune(text)), text)
		}
	}
	channels := []string{"web", "app", "callcenter", "store", "email", "sms", "push"}
	for _, p := range Profiles(2026, 2000, testNow) {
		for _, channel := range channels {
			ctxs := demoContexts[channel]
			if ctxs == nil {
				ctxs = []map[string]any{nil}
			}
			for _, placement := range placements(c, channel) {
				for _, ctx := range ctxs {
					where := fmt.Sprintf("%s on %s/%s %v", p.CustomerID, channel, placement, ctx)
					d, err := c.Decide(decision.Input{
						Request: decision.Request{CustomerID: p.CustomerID, Channel: channel, Placement: placement,
							Context: ctx, Limit: 5, Explain: true},
						Profile: p, Now: testNow, DecisionID: "d",
					})
					if err != nil {
						t.Fatalf("Decide(%s) = %v", where, err)
					}
					for _, o := range d.Actions {
						checkContent(where, o)
						reached[o.ActionID] = where
					}
					for _, e := range d.Excluded {
						switch e.Policy {
						case "threshold", "group", "limit":
							reached[e.ActionID] = where
						case "validity":
							validity[e.ActionID] = true
						}
					}
				}
			}
		}
		if len(reached) == len(all)-len(outOfWindow) {
			break
		}
	}
	for _, id := range all {
		out := slices.Contains(outOfWindow, id)
		switch _, ok := reached[id]; {
		case out && ok:
			t.Errorf("action %q passed its policies on %s, want it excluded by its validity window", id, reached[id])
		case out && !validity[id]:
			t.Errorf("action %q was never excluded by policy validity, want it outside its window on %s", id, testNow)
		case !out && !ok:
			t.Errorf("action %q never passed every engagement policy for 2,000 profiles on any channel", id)
		}
	}
}

// TestDemoCatalogUnknownCustomer checks that a visitor without a profile still gets an
// answer on the web, with every placeholder rendered from its fallback.
func TestDemoCatalogUnknownCustomer(t *testing.T) {
	c := demoCatalog(t)
	for _, placement := range placements(c, "web") {
		for _, ctx := range demoContexts["web"] {
			d, err := c.Decide(decision.Input{
				Request: decision.Request{CustomerID: "anonymous-1", Channel: "web", Placement: placement, Context: ctx, Limit: 3},
				Profile: decision.Profile{CustomerID: "anonymous-1"}, Now: testNow, DecisionID: "d",
			})
			if err != nil {
				t.Fatalf("Decide(unknown, web/%s %v) = %v", placement, ctx, err)
			}
			if placement == "account-sidebar" {
				continue // only logged-in customers see the account area
			}
			if len(d.Actions) == 0 {
				t.Errorf("Decide(unknown, web/%s %v) = silence %+v, want at least one action", placement, ctx, d.Silence)
			}
			for _, o := range d.Actions {
				for k, v := range o.Content {
					if strings.Contains(v, "{{") || v == "" {
						t.Errorf("Decide(unknown, web/%s).%s content[%s] = %q, want rendered text", placement, o.ActionID, k, v)
					}
				}
			}
		}
	}
}

// TestDemoCatalogSilence checks the silence threshold's calibration at the prior: most
// customers get something on the web home page, and some customers get silence on an
// outbound channel because only low-value actions are left for them.
func TestDemoCatalogSilence(t *testing.T) {
	c := demoCatalog(t)
	const n = 2000
	var webServed, belowThreshold int
	for _, p := range Profiles(99, n, testNow) {
		for _, channel := range []string{"web", "sms"} {
			d, err := c.Decide(decision.Input{
				Request: decision.Request{CustomerID: p.CustomerID, Channel: channel, Placement: map[string]string{"web": "home-hero"}[channel]},
				Profile: p, Now: testNow, DecisionID: "d",
			})
			if err != nil {
				t.Fatal(err)
			}
			if channel == "web" && len(d.Actions) > 0 {
				webServed++
			}
			if d.Silence != nil && d.Silence.Reason == decision.SilenceBelowThreshold {
				belowThreshold++
			}
		}
	}
	if share := float64(webServed) / n; share < 0.8 {
		t.Errorf("share of customers served on web/home-hero = %.2f, want at least 0.8", share)
	}
	if belowThreshold == 0 {
		t.Errorf("no decision was silenced below the threshold, want some customers left with only low-value actions")
	}
}

// TestDemoCatalogShape checks what ParseCatalog does not: the documented content keys
// per channel, unique treatment ids, 2–5 treatments per action, no dead treatment, and
// SMS texts that stay under 160 characters even with long personalised fields.
func TestDemoCatalogShape(t *testing.T) {
	c := demoCatalog(t)
	keys := map[string][]string{
		"web": {"body", "cta", "title"}, "app": {"body", "cta", "title"},
		"email": {"body", "subject"}, "sms": {"text"}, "push": {"body", "title"},
		"callcenter": {"script", "title"}, "store": {"script", "title"},
	}
	placeholder := regexp.MustCompile(`\{\{[^}]*\}\}`)
	if len(c.Issues) < 5 {
		t.Errorf("demo catalog has %d issues, want at least 5", len(c.Issues))
	}
	seen := map[string]string{}
	for _, issue := range c.Issues {
		for _, g := range issue.Groups {
			for _, a := range g.Actions {
				if n := len(a.Treatments); n < 2 || n > 5 {
					t.Errorf("action %q has %d treatments, want 2 to 5", a.ID, n)
				}
				channelWide := map[string]bool{}
				for _, tr := range a.Treatments {
					if prev, dup := seen[tr.ID]; dup {
						t.Errorf("treatment id %q used by actions %q and %q, want unique", tr.ID, prev, a.ID)
					}
					seen[tr.ID] = a.ID
					if len(tr.Placements) == 0 {
						if channelWide[tr.Channel] {
							t.Errorf("action %q has two channel-wide %s treatments; the second is never used", a.ID, tr.Channel)
						}
						channelWide[tr.Channel] = true
					}
					var got []string
					for k := range tr.Content {
						got = append(got, k)
					}
					slices.Sort(got)
					if !slices.Equal(got, keys[tr.Channel]) {
						t.Errorf("treatment %q on %s has content keys %v, want %v", tr.ID, tr.Channel, got, keys[tr.Channel])
					}
					if tr.Channel == "sms" {
						// Every field rendered at 12 characters: longer than any generated value.
						worst := placeholder.ReplaceAllString(tr.Content["text"], "NNNNNNNNNNNN")
						if n := len([]rune(worst)); n > 160 {
							t.Errorf("SMS %q is %d characters with long fields, want at most 160", tr.ID, n)
						}
					}
				}
			}
		}
	}
}

// TestGeneratedProfilesFitTheDemoSchema checks the generator against the demo
// catalog's profile schema: the seed writes profiles like any other writer.
func TestGeneratedProfilesFitTheDemoSchema(t *testing.T) {
	c := demoCatalog(t)
	for _, p := range Profiles(2026, 2000, testNow) {
		if _, err := c.Profile.ValidateAttributes(p.Attributes); err != nil {
			t.Fatalf("profile %s does not fit the demo schema: %v", p.CustomerID, err)
		}
	}
}
