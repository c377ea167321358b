package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/nextbest/nextbest/infra/local"
	"github.com/nextbest/nextbest/infra/seed"
	"github.com/nextbest/nextbest/shared/decision"
)

// Routes of the HTTP API, as template.yaml declares them.
const (
	decideRoute   = "POST /v1/decisions"
	responseRoute = "POST /v1/responses"
)

// slot is a channel and one of its placements (empty for outbound channels); the mix
// covers both web and app placements and one outbound channel, as in the demo catalog.
type slot struct{ channel, placement string }

var slots = []slot{
	{"web", "home-hero"}, {"web", "account-sidebar"},
	{"app", "home-card"}, {"app", "offers-tab"},
	{"email", ""},
}

// unknownShare is the share of requests for customers the base does not hold (site
// visitors not logged in), which take the decide path without a profile.
const unknownShare = 0.05

// Requests returns n decide requests spread over the first customers seeded
// customers, the channels and placements above and a few unknown customers. It is
// deterministic for a given rngSeed so runs compare like with like.
func Requests(n, customers int, rngSeed uint64) []decision.Request {
	rng := rand.New(rand.NewPCG(rngSeed, 0x10ad))
	out := make([]decision.Request, n)
	for i := range out {
		out[i] = drawRequest(rng, customers)
	}
	return out
}

// drawRequest draws one decide request from rng: a slot of the mix and a customer of
// the seeded base, or now and then an unknown visitor.
func drawRequest(rng *rand.Rand, customers int) decision.Request {
	s := slots[rng.IntN(len(slots))]
	id := "visitor-" + strconv.FormatUint(rng.Uint64()%1e9, 36)
	if customers > 0 && rng.Float64() >= unknownShare {
		id = seed.CustomerID(rng.IntN(customers))
	}
	return decision.Request{CustomerID: id, Channel: s.channel, Placement: s.placement}
}

// HTTPEvent is the event the front door would send for a POST of body on routeKey, so
// the emulator scenario measures the same function work as the HTTP one without the
// front door's own hop.
func HTTPEvent(routeKey string, body []byte, now time.Time) ([]byte, error) {
	event := local.HTTPEvent(routeKey, map[string]string{"Content-Type": "application/json"}, body, "nextbest-load", now)
	out, err := json.Marshal(event)
	if err != nil {
		return nil, fmt.Errorf("marshal %s event: %w", routeKey, err)
	}
	return out, nil
}

// HTTPAnswer is the function's API Gateway response decoded: its status and body.
// A function failure (the emulator's errorMessage body) decodes to status 0.
func HTTPAnswer(raw []byte) (status int, body string, err error) {
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(raw, &resp); err != nil {
		return 0, "", fmt.Errorf("not an API Gateway answer: %.200s", raw)
	}
	return resp.StatusCode, resp.Body, nil
}

// decided is the part of a decide answer the load script needs.
type decided struct {
	DecisionID string `json:"decisionId"`
	CustomerID string `json:"customerId"`
	Channel    string `json:"channel"`
	// Degraded says the answer was made from memory: DynamoDB was slow or failing.
	Degraded bool `json:"degraded"`
	Actions  []struct {
		ActionID string `json:"actionId"`
	} `json:"actions"`
}

// checkDecision verifies that a decide answer is a 200 carrying a decision id and
// returns the decision.
func checkDecision(status int, body string) (decided, error) {
	var d decided
	if status != 200 {
		return d, fmt.Errorf("decide answered %d: %.200s", status, body)
	}
	if err := json.Unmarshal([]byte(body), &d); err != nil || d.DecisionID == "" {
		return d, fmt.Errorf("decide answered 200 without a decisionId: %.200s", body)
	}
	return d, nil
}

// plannedResponse is one response to post and what its answer should say.
type plannedResponse struct {
	body      []byte
	outcome   string
	model     decision.ModelKey
	duplicate bool // a deliberate resend of an earlier response
}

// dupEvery makes every tenth response a deliberate duplicate, the 10% the exactness
// check relies on.
const dupEvery = 10

// PlanResponses turns decisions into an impression and a click for each offered
// action, until about want responses are planned, then appends a resend of every
// dupEvery-th one. The resends come last so that, even when several workers post at
// once, the original has almost always been recorded before its duplicate arrives.
func PlanResponses(ds []decided, want int) ([]plannedResponse, error) {
	var out []plannedResponse
	for _, d := range ds {
		for _, a := range d.Actions {
			for _, outcome := range []string{decision.KindImpression, "click"} {
				body, err := json.Marshal(decision.Response{
					DecisionID: d.DecisionID, CustomerID: d.CustomerID, ActionID: a.ActionID, Channel: d.Channel, Outcome: outcome,
				})
				if err != nil {
					return nil, fmt.Errorf("marshal response: %w", err)
				}
				out = append(out, plannedResponse{body: body, outcome: outcome, model: decision.ModelKey{ActionID: a.ActionID, Channel: d.Channel}})
			}
		}
		if len(out) >= want {
			break
		}
	}
	originals := len(out)
	for i := 0; i < originals; i += dupEvery {
		dup := out[i]
		dup.duplicate = true
		out = append(out, dup)
	}
	return out, nil
}

// recorded is the part of a record-response answer the load script checks.
type recorded struct {
	Duplicate bool `json:"duplicate"`
}

// checkRecorded verifies a record-response answer: a 200 whose duplicate flag says
// what the plan expects.
func checkRecorded(p plannedResponse, status int, body string) error {
	var r recorded
	if status != 200 {
		return fmt.Errorf("record-response answered %d: %.200s", status, body)
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		return fmt.Errorf("record-response answered 200 with %.200s", body)
	}
	if r.Duplicate != p.duplicate {
		return fmt.Errorf("record-response answered duplicate=%v for a response sent with duplicate=%v: %s", r.Duplicate, p.duplicate, p.body)
	}
	return nil
}

// decisionMix describes how many answers offered an action, for the report: a run
// where most answers were silences would measure a cheaper path than production's.
func decisionMix(ds []decided) string {
	offered := 0
	for _, d := range ds {
		if len(d.Actions) > 0 {
			offered++
		}
	}
	if len(ds) == 0 {
		return "no decisions"
	}
	return fmt.Sprintf("%.0f%% offered an action, %.0f%% silence", 100*float64(offered)/float64(len(ds)), 100*float64(len(ds)-offered)/float64(len(ds)))
}
