package template

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
)

// These tests hold template.yaml to what operating it needs: data encrypted and
// recoverable, logs kept for a bounded time, the API throttled and logged, and an alarm
// for everything an on-call person must hear about.

// prop follows a path of mapping keys from a resource's Properties.
func prop(t *testing.T, tpl *Template, id string, path ...string) any {
	t.Helper()
	props, err := tpl.properties(id)
	if err != nil {
		t.Fatal(err)
	}
	var v any = props
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// ref is the logical id a {"Ref": id} names, or "".
func ref(v any) string {
	m, _ := v.(map[string]any)
	s, _ := m["Ref"].(string)
	return s
}

// getAtt is the logical id and attribute of a {"Fn::GetAtt": [id, attr]}.
func getAtt(v any) (id, attr string) {
	m, _ := v.(map[string]any)
	l, _ := m["Fn::GetAtt"].([]any)
	if len(l) != 2 {
		return "", ""
	}
	id, _ = l[0].(string)
	attr, _ = l[1].(string)
	return id, attr
}

func TestEncryptionAtRestAndRecovery(t *testing.T) {
	tpl := loadProject(t)
	tables := tpl.ofType("AWS::DynamoDB::Table")
	if len(tables) == 0 {
		t.Fatal("no tables")
	}
	for _, id := range tables {
		if prop(t, tpl, id, "SSESpecification", "SSEEnabled") != true {
			t.Errorf("%s: SSESpecification.SSEEnabled is not true", id)
		}
		// Every table holds state: profiles, the decision log and its claims, the models,
		// the catalog's versions.
		if prop(t, tpl, id, "PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled") != true {
			t.Errorf("%s: point-in-time recovery is not enabled", id)
		}
	}
	for _, id := range tpl.ofType("AWS::SQS::Queue") {
		if prop(t, tpl, id, "SqsManagedSseEnabled") != true && prop(t, tpl, id, "KmsMasterKeyId") == nil {
			t.Errorf("%s: neither SqsManagedSseEnabled nor a KmsMasterKeyId", id)
		}
	}
	for _, id := range tpl.ofType("AWS::S3::Bucket") {
		if prop(t, tpl, id, "BucketEncryption") == nil {
			t.Errorf("%s: no BucketEncryption", id)
		}
	}
	// The local stack still builds from these definitions.
	if _, err := tpl.Tables(); err != nil {
		t.Errorf("Tables(): %v", err)
	}
	if _, err := tpl.Queues(); err != nil {
		t.Errorf("Queues(): %v", err)
	}
}

func TestLogsHaveARetentionAndEachFunctionItsGroup(t *testing.T) {
	tpl := loadProject(t)
	groups := tpl.ofType("AWS::Logs::LogGroup")
	for _, id := range groups {
		if ref(prop(t, tpl, id, "RetentionInDays")) != "LogRetentionDays" {
			t.Errorf("%s: RetentionInDays is %v, want !Ref LogRetentionDays", id, prop(t, tpl, id, "RetentionInDays"))
		}
	}
	owner := map[string]string{}
	for _, fn := range tpl.Functions() {
		group := ref(prop(t, tpl, fn, "LoggingConfig", "LogGroup"))
		switch {
		case !slices.Contains(groups, group):
			t.Errorf("%s: LoggingConfig.LogGroup is %v, want a !Ref to a log group of the template", fn, prop(t, tpl, fn, "LoggingConfig", "LogGroup"))
		case owner[group] != "":
			t.Errorf("%s and %s log to the same group %s", owner[group], fn, group)
		default:
			owner[group] = fn
		}
	}
}

func TestHTTPAPIThrottlingAndAccessLogs(t *testing.T) {
	tpl := loadProject(t)
	apis := tpl.ofType("AWS::Serverless::HttpApi")
	if len(apis) != 1 {
		t.Fatalf("HTTP APIs = %v, want one", apis)
	}
	api := apis[0]
	for key, param := range map[string]string{"ThrottlingRateLimit": "ApiThrottlingRateLimit", "ThrottlingBurstLimit": "ApiThrottlingBurstLimit"} {
		if got := ref(prop(t, tpl, api, "DefaultRouteSettings", key)); got != param {
			t.Errorf("%s.DefaultRouteSettings.%s = !Ref %q, want !Ref %s", api, key, got, param)
		}
		p, ok := tpl.parameter(param)
		if !ok || p["Type"] != "Number" || p["Default"] == nil {
			t.Errorf("parameter %s = %v, want a Number with a Default", param, p)
		}
	}
	if id, attr := getAtt(prop(t, tpl, api, "AccessLogSettings", "DestinationArn")); attr != "Arn" || tpl.resources[id]["Type"] != "AWS::Logs::LogGroup" {
		t.Errorf("%s.AccessLogSettings.DestinationArn is not the Arn of a log group of the template", api)
	}
	format, _ := prop(t, tpl, api, "AccessLogSettings", "Format").(string)
	var fields map[string]string
	if err := json.Unmarshal([]byte(format), &fields); err != nil {
		t.Fatalf("access log format is not a JSON object of strings: %v\n%s", err, format)
	}
	for key, variable := range map[string]string{
		"requestId": "$context.requestId", "ip": "$context.identity.sourceIp", "routeKey": "$context.routeKey",
		"status": "$context.status", "latency": "$context.responseLatency", "integrationLatency": "$context.integrationLatency",
		"userArn": "$context.identity.userArn", "caller": "$context.identity.caller",
	} {
		if fields[key] != variable {
			t.Errorf("access log field %s = %q, want %q", key, fields[key], variable)
		}
	}
}

// alarm is an AWS::CloudWatch::Alarm's properties.
type alarm struct {
	id    string
	props map[string]any
}

func (a alarm) dimension(name string) any {
	dims, _ := a.props["Dimensions"].([]any)
	for _, d := range dims {
		m, _ := d.(map[string]any)
		if m["Name"] == name {
			return m["Value"]
		}
	}
	return nil
}

func alarms(t *testing.T, tpl *Template) []alarm {
	t.Helper()
	var out []alarm
	for _, id := range tpl.ofType("AWS::CloudWatch::Alarm") {
		props, err := tpl.properties(id)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, alarm{id, props})
	}
	return out
}

func TestEveryAlarmNotifiesTheAlarmTopic(t *testing.T) {
	tpl := loadProject(t)
	topics := tpl.ofType("AWS::SNS::Topic")
	if !slices.Contains(topics, "AlarmTopic") {
		t.Fatalf("topics = %v, want AlarmTopic", topics)
	}
	for _, a := range alarms(t, tpl) {
		for _, key := range []string{"AlarmActions", "OKActions"} {
			actions, _ := a.props[key].([]any)
			if len(actions) != 1 || ref(actions[0]) != "AlarmTopic" {
				t.Errorf("%s.%s = %v, want [!Ref AlarmTopic]", a.id, key, a.props[key])
			}
		}
		if d, _ := a.props["AlarmDescription"].(string); len(d) < 40 {
			t.Errorf("%s: AlarmDescription %q does not tell the on-call person what happened", a.id, d)
		}
	}
	// The subscription exists only with an address.
	subs := tpl.ofType("AWS::SNS::Subscription")
	if len(subs) != 1 || tpl.resources[subs[0]]["Condition"] != "HasAlarmEmail" || ref(prop(t, tpl, subs[0], "Endpoint")) != "AlarmEmail" {
		t.Errorf("subscriptions %v: want one to AlarmEmail under the HasAlarmEmail condition", subs)
	}
}

func TestAlarmsCoverDeadLettersAndFunctions(t *testing.T) {
	tpl := loadProject(t)
	all := alarms(t, tpl)
	find := func(match func(alarm) bool) []alarm {
		var found []alarm
		for _, a := range all {
			if match(a) {
				found = append(found, a)
			}
		}
		return found
	}
	queues, err := tpl.Queues()
	if err != nil {
		t.Fatal(err)
	}
	deadLetters := map[string]bool{}
	for _, q := range queues {
		if q.DeadLetterTarget != "" {
			deadLetters[q.DeadLetterTarget] = true
		}
	}
	if len(deadLetters) == 0 {
		t.Fatal("no dead-letter queues")
	}
	for _, dlq := range slices.Sorted(maps.Keys(deadLetters)) {
		found := find(func(a alarm) bool {
			id, attr := getAtt(a.dimension("QueueName"))
			return id == dlq && attr == "QueueName" && a.props["MetricName"] == "ApproximateNumberOfMessagesVisible"
		})
		if len(found) != 1 {
			t.Errorf("dead-letter queue %s: %d alarms on its visible messages, want 1", dlq, len(found))
			continue
		}
		a := found[0].props
		if a["Namespace"] != "AWS/SQS" || a["ComparisonOperator"] != "GreaterThanThreshold" || a["Threshold"] != 0 {
			t.Errorf("%s: want AWS/SQS visible messages > 0, got %v", found[0].id, a)
		}
	}
	for _, fn := range tpl.Functions() {
		for _, metric := range []string{"Errors", "Throttles"} {
			found := find(func(a alarm) bool {
				return ref(a.dimension("FunctionName")) == fn && a.props["Namespace"] == "AWS/Lambda" && a.props["MetricName"] == metric
			})
			if len(found) != 1 {
				t.Errorf("%s: %d alarms on %s, want 1", fn, len(found), metric)
				continue
			}
			if a := found[0].props; a["Statistic"] != "Sum" || a["Threshold"] != 0 || a["ComparisonOperator"] != "GreaterThanThreshold" {
				t.Errorf("%s: want Sum > 0, got %v", found[0].id, a)
			}
		}
	}
	p99 := find(func(a alarm) bool {
		return ref(a.dimension("FunctionName")) == "DecideFunction" && a.props["MetricName"] == "Duration"
	})
	if len(p99) != 1 || p99[0].props["ExtendedStatistic"] != "p99" || ref(p99[0].props["Threshold"]) != "DecideLatencyAlarmMilliseconds" {
		t.Errorf("decide latency alarms = %v, want one on p99 Duration over DecideLatencyAlarmMilliseconds", p99)
	}
}

// A metric filter's alarm: the filter on a log group, and the alarm on its metric.
func filterAlarm(t *testing.T, tpl *Template, logGroup, metric string) (pattern string, a alarm) {
	t.Helper()
	for _, id := range tpl.ofType("AWS::Logs::MetricFilter") {
		if ref(prop(t, tpl, id, "LogGroupName")) != logGroup {
			continue
		}
		transforms, _ := prop(t, tpl, id, "MetricTransformations").([]any)
		for _, tr := range transforms {
			m, _ := tr.(map[string]any)
			if m["MetricName"] == metric {
				pattern, _ = prop(t, tpl, id, "FilterPattern").(string)
				for _, al := range alarms(t, tpl) {
					if al.props["MetricName"] == metric && sameValue(al.props["Namespace"], m["MetricNamespace"]) {
						return pattern, al
					}
				}
				t.Fatalf("no alarm on metric %s of filter %s", metric, id)
			}
		}
	}
	t.Fatalf("no metric filter on %s gives the metric %s", logGroup, metric)
	return "", alarm{}
}

func sameValue(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestDegradedDecisionsAlarm(t *testing.T) {
	tpl := loadProject(t)
	// shared/service.Decider logs "degraded decision: <what>" at WARN for each
	// dependency a decision did without.
	pattern, a := filterAlarm(t, tpl, "DecideFunctionLogGroup", "DegradedDecisions")
	for _, want := range []string{`$.level = "WARN"`, `$.msg = "degraded decision:*"`} {
		if !strings.Contains(pattern, want) {
			t.Errorf("degraded decisions filter %q lacks %s", pattern, want)
		}
	}
	if a.props["Statistic"] != "Sum" || a.props["ComparisonOperator"] != "GreaterThanThreshold" || a.props["TreatMissingData"] != "notBreaching" {
		t.Errorf("%s = %v, want Sum > threshold, missing data not breaching", a.id, a.props)
	}
}

func TestBatchRunMissingAlarm(t *testing.T) {
	tpl := loadProject(t)
	// score-batch logs "run finished" with dryRun false when a real run is complete.
	pattern, a := filterAlarm(t, tpl, "ScoreBatchFunctionLogGroup", "BatchRunsFinished")
	for _, want := range []string{`$.msg = "run finished"`, `$.dryRun IS FALSE`} {
		if !strings.Contains(pattern, want) {
			t.Errorf("batch runs filter %q lacks %s", pattern, want)
		}
	}
	p := a.props
	// No finished run in BatchAlarmHours consecutive hours, an hour without data being
	// an hour without a run.
	if p["Period"] != 3600 || ref(p["EvaluationPeriods"]) != "BatchAlarmHours" || ref(p["DatapointsToAlarm"]) != "BatchAlarmHours" ||
		p["ComparisonOperator"] != "LessThanThreshold" || p["Threshold"] != 1 || p["TreatMissingData"] != "breaching" {
		t.Errorf("%s = %v, want fewer than 1 finished run in each of BatchAlarmHours hours, missing data breaching", a.id, p)
	}
	// CloudWatch evaluates at most 7 days of hourly periods.
	param, _ := tpl.parameter("BatchAlarmHours")
	if max, _ := param["MaxValue"].(int); max == 0 || max > 168 {
		t.Errorf("BatchAlarmHours MaxValue = %v, want at most 168", param["MaxValue"])
	}
}
