package dynamo

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/nextbest/nextbest/shared/adaptive"
	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/service"
)

func decisionKey(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": str("D#" + id), "sk": str("D")}
}

// PutDecision logs a decision until its expiry, after which DynamoDB's TTL removes it.
func (s *Store) PutDecision(ctx context.Context, d decision.LoggedDecision) error {
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.tables.Decisions, Item: decisionItem(d)}); err != nil {
		return fmt.Errorf("log decision %s: %w", d.DecisionID, err)
	}
	return nil
}

func decisionItem(d decision.LoggedDecision) map[string]types.AttributeValue {
	offers := make([]types.AttributeValue, len(d.Offers))
	for i, o := range d.Offers {
		offers[i] = &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
			"actionId":    str(o.ActionID),
			"treatmentId": str(o.TreatmentID),
			"propensity":  number(o.Propensity),
			"priority":    number(o.Priority),
			"score":       number(o.Score),
		}}
		if o.ForecastRate > 0 {
			offers[i].(*types.AttributeValueMemberM).Value["forecastRate"] = number(o.ForecastRate)
		}
	}
	item := decisionKey(d.DecisionID)
	item["customerId"] = str(d.CustomerID)
	item["channel"] = str(d.Channel)
	item["decidedAt"] = str(d.DecidedAt.UTC().Format(time.RFC3339Nano))
	item["expiresAt"] = unixSeconds(d.ExpiresAt)
	item["offers"] = &types.AttributeValueMemberL{Value: offers}
	if d.Silence != "" {
		item["silence"] = str(d.Silence)
	}
	if d.ControlGroup != "" {
		item["controlGroup"] = str(d.ControlGroup)
	}
	if len(d.Features) > 0 {
		item["features"] = featuresAttribute(d.Features)
	}
	if len(d.EngineChoice) > 0 {
		choice := make([]types.AttributeValue, len(d.EngineChoice))
		for i, a := range d.EngineChoice {
			choice[i] = str(a)
		}
		item["engineChoice"] = &types.AttributeValueMemberL{Value: choice}
		item["engineChannel"] = str(d.EngineChannel)
	}
	if d.CatalogVersion != "" {
		item["catalogVersion"] = str(d.CatalogVersion)
	}
	if d.Arm != "" {
		item["arm"] = str(d.Arm)
	}
	if d.LiveVersion != "" {
		item["liveVersion"] = str(d.LiveVersion)
	}
	if d.BaselineScore != 0 {
		item["baselineScore"] = number(d.BaselineScore)
	}
	if d.RunID != "" {
		item["runId"] = str(d.RunID)
	}
	return item
}

// GetDecision reads a logged decision; a missing or expired one is decision.ENotFound.
// DynamoDB deletes expired items lazily, so expiry is checked here too.
func (s *Store) GetDecision(ctx context.Context, id string, now time.Time) (decision.LoggedDecision, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.tables.Decisions, Key: decisionKey(id)})
	if err != nil {
		return decision.LoggedDecision{}, fmt.Errorf("get decision %s: %w", id, err)
	}
	expires := time.Unix(int64(getNumber(out.Item, "expiresAt")), 0)
	if out.Item == nil || now.After(expires) {
		return decision.LoggedDecision{}, decision.UnknownDecision(id)
	}
	return readDecision(id, out.Item), nil
}

// readDecision reads a decision-log item.
func readDecision(id string, item map[string]types.AttributeValue) decision.LoggedDecision {
	d := decision.LoggedDecision{
		DecisionID:     id,
		CustomerID:     getString(item, "customerId"),
		Channel:        getString(item, "channel"),
		DecidedAt:      getTime(item, "decidedAt"),
		ExpiresAt:      time.Unix(int64(getNumber(item, "expiresAt")), 0),
		Silence:        getString(item, "silence"),
		ControlGroup:   getString(item, "controlGroup"),
		Features:       readFeatures(item["features"]),
		EngineChannel:  getString(item, "engineChannel"),
		CatalogVersion: getString(item, "catalogVersion"),
		Arm:            getString(item, "arm"),
		LiveVersion:    getString(item, "liveVersion"),
		BaselineScore:  getNumber(item, "baselineScore"),
		RunID:          getString(item, "runId"),
	}
	if list, ok := item["engineChoice"].(*types.AttributeValueMemberL); ok {
		for _, av := range list.Value {
			if a, ok := av.(*types.AttributeValueMemberS); ok {
				d.EngineChoice = append(d.EngineChoice, a.Value)
			}
		}
	}
	if list, ok := item["offers"].(*types.AttributeValueMemberL); ok {
		for _, av := range list.Value {
			if m, ok := av.(*types.AttributeValueMemberM); ok {
				d.Offers = append(d.Offers, decision.LoggedOffer{
					ActionID:     getString(m.Value, "actionId"),
					TreatmentID:  getString(m.Value, "treatmentId"),
					Propensity:   getNumber(m.Value, "propensity"),
					Priority:     getNumber(m.Value, "priority"),
					Score:        getNumber(m.Value, "score"),
					ForecastRate: getNumber(m.Value, "forecastRate"),
				})
			}
		}
	}
	return d
}

// RecordResponse applies a response at most once. In one transaction it claims the
// response within its decision (a conditional put on the decision's claim item, see
// decision.Attribution), appends it to the customer's contact history, counts it for
// its batch run if it answers one (countForRun), adds it to its model's counters (a success only together with the decision and action's one learn
// claim) and updates the customer's profile, if there is one (an unsubscribe
// withdraws the channel's consent; any response moves the profile's expiry). So all
// of it happens or none, a duplicate changes nothing, and a second success of the
// same offer is recorded but not learned. Claims carry the customer id, so an erasure
// finds them, and the action, outcome and value a run's report counts.
func (s *Store) RecordResponse(ctx context.Context, a decision.Attribution, claimUntil time.Time) (service.Applied, error) {
	claim := s.claimItem(a, a.Claim, claimUntil)
	claim["actionId"] = str(a.Contact.ActionID)
	if a.Contact.Outcome != "" {
		claim["outcome"] = str(a.Contact.Outcome)
	}
	if a.Contact.Value != nil {
		claim["value"] = number(*a.Contact.Value)
	}
	tx := transaction{items: []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.tables.Decisions, Item: claim, ConditionExpression: aws.String("attribute_not_exists(pk)")}},
		{Put: &types.Put{TableName: &s.tables.Customers, Item: contactItem(a.CustomerID, a.DecisionID+"#"+a.Claim, a.Contact)}},
	}}
	if a.RunID != "" {
		// With the claim, so that the run's counts are exact: a duplicate adds nothing.
		tx.items = append(tx.items, types.TransactWriteItem{Update: s.countForRun(a, claimUntil)})
	}
	learn := -1
	if len(a.Learn) > 0 {
		counters := types.TransactWriteItem{Update: s.addCounters(a.Model, a.Learn, s.shardFor(a.DecisionID+"#"+a.Claim))}
		if a.LearnClaim == "" {
			tx.items = append(tx.items, counters)
		} else {
			learn = tx.optional(types.TransactWriteItem{Put: &types.Put{
				TableName: &s.tables.Decisions, Item: s.claimItem(a, a.LearnClaim, claimUntil),
				ConditionExpression: aws.String("attribute_not_exists(pk)"),
			}}, counters)
		}
	}
	if profile := s.touchProfile(a.CustomerID, a.WithdrawConsent, a.ProfileExpiresAt); profile != nil {
		tx.optional(types.TransactWriteItem{Update: profile})
	}
	applied, err := s.transactOnce(ctx, "record response to "+a.DecisionID, tx)
	if err != nil || applied.duplicate {
		return service.Applied{Duplicate: applied.duplicate}, err
	}
	return service.Applied{Learned: len(a.Learn) > 0 && (learn < 0 || !applied.dropped[learn])}, nil
}

// claimItem is a claim within a decision: its partition is the decision's claims,
// its sort key the claim.
func (s *Store) claimItem(a decision.Attribution, claim string, until time.Time) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"pk": str(claimPrefix + a.DecisionID), "sk": str(claim),
		"customerId": str(a.CustomerID), "expiresAt": unixSeconds(until),
	}
}

// claimPrefix starts the partition key of a decision's response claims.
const claimPrefix = "R#"

var _ service.BaselineLearner = (*Store)(nil)

// LearnOnce adds a model's counters once per claim id: in one transaction it claims
// the id (a conditional put that fails if it was seen) and adds the counters, so a
// retry changes nothing. It is how a decision that sent nothing teaches the baseline
// model (see decision.Catalog.ObserveWithout), without a contact in the customer's
// history. The claim carries the customer id, so an erasure finds it.
func (s *Store) LearnOnce(ctx context.Context, customerID, claimID string, key decision.ModelKey, delta adaptive.Delta, claimUntil time.Time) (duplicate bool, err error) {
	if len(delta) == 0 {
		return false, nil
	}
	tx := transaction{items: []types.TransactWriteItem{
		{Put: &types.Put{
			TableName: &s.tables.Decisions,
			Item: map[string]types.AttributeValue{
				"pk": str("R#" + claimID), "sk": str("R"), "customerId": str(customerID), "expiresAt": unixSeconds(claimUntil),
			},
			ConditionExpression: aws.String("attribute_not_exists(pk)"),
		}},
		{Update: s.addCounters(key, delta, s.shardFor(claimID))},
	}}
	applied, err := s.transactOnce(ctx, "learn "+claimID, tx)
	return applied.duplicate, err
}

// cancellationReasons returns, item by item, why a transaction was cancelled ("" for
// an item that was not the cause), or one empty reason when err is not a cancellation.
func cancellationReasons(err error) []string {
	var cancelled *types.TransactionCanceledException
	if !errors.As(err, &cancelled) || len(cancelled.CancellationReasons) == 0 {
		return []string{""}
	}
	reasons := make([]string, len(cancelled.CancellationReasons))
	for i, r := range cancelled.CancellationReasons {
		if code := aws.ToString(r.Code); code != "None" {
			reasons[i] = code
		}
	}
	return reasons
}

// shardFor spreads responses over a model's counter shards. Hashing the response id
// (rather than picking at random) sends a retried write to the same shard.
func (s *Store) shardFor(responseID string) int {
	h := fnv.New32a()
	h.Write([]byte(responseID))
	return int(h.Sum32() % uint32(s.shards))
}

// ImpressionRecorded reports whether an impression of the action was recorded for
// the decision: for an outbound message, whether it was delivered.
func (s *Store) ImpressionRecorded(ctx context.Context, decisionID, actionID string) (bool, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:            &s.tables.Decisions,
		Key:                  map[string]types.AttributeValue{"pk": str(claimPrefix + decisionID), "sk": str(decision.ImpressionClaim(actionID))},
		ProjectionExpression: aws.String("pk"),
		ConsistentRead:       aws.Bool(true),
	})
	if err != nil {
		return false, fmt.Errorf("check impression of decision %s: %w", decisionID, err)
	}
	return out.Item != nil, nil
}

// featuresAttribute stores predictor values as a map: symbols as strings, numbers as
// numbers, missing values as NULL.
func featuresAttribute(f map[string]adaptive.Value) types.AttributeValue {
	m := make(map[string]types.AttributeValue, len(f))
	for name, v := range f {
		switch {
		case v.Symbol != "":
			m[name] = str(v.Symbol)
		case math.IsNaN(v.Number):
			m[name] = &types.AttributeValueMemberNULL{Value: true}
		default:
			m[name] = number(v.Number)
		}
	}
	return &types.AttributeValueMemberM{Value: m}
}

func readFeatures(av types.AttributeValue) map[string]adaptive.Value {
	m, ok := av.(*types.AttributeValueMemberM)
	if !ok {
		return nil
	}
	f := make(map[string]adaptive.Value, len(m.Value))
	for name, v := range m.Value {
		switch x := v.(type) {
		case *types.AttributeValueMemberS:
			f[name] = adaptive.Symbol(x.Value)
		case *types.AttributeValueMemberN:
			n, _ := strconv.ParseFloat(x.Value, 64)
			f[name] = adaptive.Number(n)
		default:
			f[name] = adaptive.Missing()
		}
	}
	return f
}
