package template

import (
	"fmt"
	"maps"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"testing"
)

// Least privilege, checked on the template itself: no IAM statement may allow an action
// on every resource ("*"), nor on a resource pattern that ends in a wildcard, unless the
// pattern is listed below with the reason it cannot name its resources one by one.
//
// A listed pattern must be scoped to this stack's account and region
// (arn:${AWS::Partition}:SERVICE:${AWS::Region}:${AWS::AccountId}:...) and hold one
// wildcard, at its end, after a '/' or ':': the resources of one kind under one parent
// that the stack owns or names. Deny statements are not checked: they only take away.
//
// Patterns are written as the statement's resource resolves without a deployment:
// intrinsics stay as ${Name}, and a log group's Arn attribute (which CloudFormation gives
// with a trailing ":*", the group's log streams) is spelt out.
var wildcardAllowed = map[string]string{
	logStreamsOf("DecideFunctionLogGroup"):         "the log streams of decide's own log group: Lambda creates one per execution environment, under names it chooses then",
	logStreamsOf("RecordResponseFunctionLogGroup"): "the log streams of record-response's own log group (see DecideFunctionLogGroup)",
	logStreamsOf("ScoreBatchFunctionLogGroup"):     "the log streams of score-batch's own log group (see DecideFunctionLogGroup)",
	logStreamsOf("SendMessageFunctionLogGroup"):    "the log streams of send-message's own log group (see DecideFunctionLogGroup)",
	"arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:endpoint/${PushApplication}/*": "the endpoints of the one SNS platform application push notifications go to: " +
		"one per device, created as devices register, and named in the customers' profiles (pushEndpointArn)",
}

func logStreamsOf(logGroup string) string {
	return "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${" + logGroup + "}:*"
}

func TestNoWildcardResources(t *testing.T) {
	tpl := loadProject(t)
	used, problems := tpl.checkLeastPrivilege()
	for _, p := range problems {
		t.Error(p)
	}
	for _, pattern := range slices.Sorted(maps.Keys(wildcardAllowed)) {
		if !used[pattern] {
			t.Errorf("allow-listed wildcard %s is granted by no statement: remove it from wildcardAllowed", pattern)
		}
	}
}

// The allow-list itself holds only what its comment promises.
func TestWildcardAllowListIsScoped(t *testing.T) {
	scoped := regexp.MustCompile(`^arn:\$\{AWS::Partition\}:[a-z0-9-]+:\$\{AWS::Region\}:\$\{AWS::AccountId\}:[^*?]*[/:]\*$`)
	for pattern, reason := range wildcardAllowed {
		if !scoped.MatchString(pattern) {
			t.Errorf("allow-listed %s is not scoped to this account and region with one trailing wildcard", pattern)
		}
		if strings.TrimSpace(reason) == "" {
			t.Errorf("allow-listed %s gives no reason", pattern)
		}
	}
}

// The check catches every way a wildcard or an unreadable grant can get in.
func TestLeastPrivilegeCheckCatches(t *testing.T) {
	const role = `
  R:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {}
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement:
`
	params := `
Conditions:
  C: !Equals [a, b]
Parameters:
  Free: {Type: String}
  Dotted: {Type: String, AllowedPattern: "^a.b$"}
  Starry: {Type: String, AllowedPattern: "^[a-z*]+$"}
  Negated: {Type: String, AllowedPattern: "^[^/]+$"}
  Safe: {Type: String, AllowedPattern: "^[a-z]+(/[a-z]+)?$"}
  Listed: {Type: String, AllowedValues: [a, "b*"]}
Resources:
  Group: {Type: AWS::Logs::LogGroup}
  Table: {Type: AWS::DynamoDB::Table}`
	tests := []struct {
		name, resources, want string
	}{
		{"star", role + `              - {Effect: Allow, Action: [s3:GetObject], Resource: "*"}`, `Resource "*"`},
		{"star in a list", role + `              - {Effect: Allow, Action: [s3:GetObject], Resource: [!GetAtt Table.Arn, "*"]}`, `Resource "*"`},
		{"star under Fn::If", role + `              - !If [C, !Ref AWS::NoValue, {Effect: Allow, Action: [sns:Publish], Resource: "*"}]`, `Resource "*"`},
		{"bucket objects", role + `              - {Effect: Allow, Action: [s3:GetObject], Resource: "arn:aws:s3:::b/*"}`, "not allow-listed"},
		{"table indexes", role + `              - {Effect: Allow, Action: [dynamodb:Query], Resource: !Sub "${Table.Arn}/index/*"}`, "not allow-listed"},
		{"another log group", role + `              - {Effect: Allow, Action: [logs:PutLogEvents], Resource: !GetAtt Group.Arn}`, "log-group:${Group}:*"},
		{"wildcard action", role + `              - {Effect: Allow, Action: ["dynamodb:*"], Resource: !GetAtt Table.Arn}`, "wildcard action"},
		{"NotResource", role + `              - {Effect: Allow, Action: [s3:GetObject], NotResource: !GetAtt Table.Arn}`, "NotResource"},
		{"no resource", role + `              - {Effect: Allow, Action: [s3:GetObject]}`, "no Resource"},
		{"free parameter", role + `              - {Effect: Allow, Action: [s3:GetObject], Resource: !Ref Free}`, "neither AllowedValues nor AllowedPattern"},
		{"any character", role + `              - {Effect: Allow, Action: [s3:GetObject], Resource: !Sub "arn:aws:s3:::${Dotted}"}`, "any character"},
		{"star in a class", role + `              - {Effect: Allow, Action: [s3:GetObject], Resource: !Ref Starry}`, "allows '*'"},
		{"negated class", role + `              - {Effect: Allow, Action: [s3:GetObject], Resource: !Ref Negated}`, "allows '*'"},
		{"allowed value", role + `              - {Effect: Allow, Action: [s3:GetObject], Resource: !Ref Listed}`, `allows "b*"`},
		{"managed policy", `
  R:
    Type: AWS::IAM::Role
    Properties:
      ManagedPolicyArns: [arn:aws:iam::aws:policy/AdministratorAccess]`, "ManagedPolicyArns"},
		{"SAM policy template", `
  F:
    Type: AWS::Serverless::Function
    Properties:
      Role: !GetAtt R.Arn
      Policies: [{DynamoDBCrudPolicy: {TableName: !Ref Table}}]
  R: {Type: AWS::IAM::Role, Properties: {}}`, "not an inline policy document"},
		{"function without a role", `
  F:
    Type: AWS::Serverless::Function
    Properties: {Policies: [{Statement: [{Effect: Allow, Action: [s3:GetObject], Resource: !GetAtt Table.Arn}]}]}`, "has no Role"},
	}
	for _, tt := range tests {
		tpl := mustParse(t, params+tt.resources+"\n")
		_, problems := tpl.checkLeastPrivilege()
		if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, tt.want) }) {
			t.Errorf("%s: problems = %q, want one containing %q", tt.name, problems, tt.want)
		}
	}
	ok := mustParse(t, params+role+`              - {Effect: Allow, Action: [s3:GetObject], Resource: [!GetAtt Table.Arn, !Sub "${Table.Arn}/index/byX", !Sub "arn:aws:s3:::${Safe}"]}
              - {Effect: Deny, Action: ["s3:*"], Resource: "*"}
`)
	if _, problems := ok.checkLeastPrivilege(); len(problems) > 0 {
		t.Errorf("concrete resources and a Deny: problems = %q, want none", problems)
	}
}

// checkLeastPrivilege walks every policy statement of every function, role and policy
// of the template, both branches of every Fn::If, and returns what it found wrong and
// which allow-listed patterns were granted.
func (t *Template) checkLeastPrivilege() (used map[string]bool, problems []string) {
	used = map[string]bool{}
	report := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	for _, id := range slices.Sorted(maps.Keys(t.resources)) {
		props, err := t.properties(id)
		if err != nil {
			report("%v", err)
			continue
		}
		var documents []struct {
			where string
			doc   any
		}
		switch t.resources[id]["Type"] {
		case "AWS::Serverless::Function":
			// Without a Role, SAM generates one with the managed AWSLambdaBasicExecutionRole,
			// whose log permissions are on "*".
			if _, ok := props["Role"]; !ok {
				report("%s has no Role: SAM would generate one carrying AWSLambdaBasicExecutionRole (logs on \"*\")", id)
			}
			policies, _ := props["Policies"].([]any)
			if raw, ok := props["Policies"]; ok && policies == nil {
				report("%s.Policies %v is not a list of inline policy documents", id, raw)
			}
			for i, p := range policies {
				m, ok := p.(map[string]any)
				if _, hasStatement := m["Statement"]; !ok || !hasStatement {
					report("%s.Policies[%d] is not an inline policy document (a managed policy or a SAM policy template cannot be checked here): %v", id, i, p)
					continue
				}
				documents = append(documents, struct {
					where string
					doc   any
				}{fmt.Sprintf("%s.Policies[%d]", id, i), m})
			}
		case "AWS::IAM::Role":
			if arns, ok := props["ManagedPolicyArns"].([]any); ok && len(arns) > 0 {
				report("%s has ManagedPolicyArns %v: managed policies cannot be checked here; write the statements inline", id, arns)
			}
			policies, _ := props["Policies"].([]any)
			for i, p := range policies {
				m, _ := p.(map[string]any)
				documents = append(documents, struct {
					where string
					doc   any
				}{fmt.Sprintf("%s.Policies[%d].PolicyDocument", id, i), m["PolicyDocument"]})
			}
		case "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::RolePolicy", "AWS::IAM::UserPolicy", "AWS::IAM::GroupPolicy":
			documents = append(documents, struct {
				where string
				doc   any
			}{id + ".PolicyDocument", props["PolicyDocument"]})
		}
		for _, d := range documents {
			doc, ok := d.doc.(map[string]any)
			if !ok {
				report("%s is not a policy document", d.where)
				continue
			}
			eachStatement(doc["Statement"], d.where+".Statement", func(s any, where string) {
				t.checkStatement(s, where, used, report)
			})
		}
	}
	return used, problems
}

// eachStatement calls fn on every statement of a Statement value: a statement, a list
// of them, or an Fn::If of either (both branches; AWS::NoValue is none).
func eachStatement(v any, where string, fn func(s any, where string)) {
	if name, arg, ok := intrinsic(v); ok {
		switch {
		case name == "Ref" && arg == "AWS::NoValue":
		case name == "Fn::If":
			args, _ := arg.([]any)
			if len(args) != 3 {
				fn(v, where)
				return
			}
			eachStatement(args[1], fmt.Sprintf("%s (if %v)", where, args[0]), fn)
			eachStatement(args[2], fmt.Sprintf("%s (unless %v)", where, args[0]), fn)
		default:
			fn(v, where)
		}
		return
	}
	if list, ok := v.([]any); ok {
		for i, s := range list {
			eachStatement(s, fmt.Sprintf("%s[%d]", where, i), fn)
		}
		return
	}
	fn(v, where)
}

func (t *Template) checkStatement(v any, where string, used map[string]bool, report func(string, ...any)) {
	s, ok := v.(map[string]any)
	if !ok {
		report("%s: %v is not a statement", where, v)
		return
	}
	if sid, ok := s["Sid"].(string); ok {
		where += " " + sid
	}
	switch s["Effect"] {
	case "Deny":
		return // A Deny only takes away.
	case "Allow":
	default:
		report("%s: Effect %v is neither a literal Allow nor Deny", where, s["Effect"])
		return
	}
	for _, key := range []string{"NotResource", "NotAction"} {
		if _, ok := s[key]; ok {
			report("%s allows with %s: everything but what it names", where, key)
		}
	}
	actions, ok := s["Action"].([]any)
	if !ok {
		actions = []any{s["Action"]}
	}
	for _, a := range actions {
		name, isString := a.(string)
		if !isString || strings.ContainsAny(name, "*?") {
			report("%s allows a wildcard action or an unreadable one: %v", where, a)
		}
	}
	raw, ok := s["Resource"]
	if !ok {
		report("%s has no Resource", where)
		return
	}
	resources, ok := raw.([]any)
	if !ok {
		resources = []any{raw}
	}
	for _, r := range resources {
		pattern, err := t.resourcePattern(r)
		switch {
		case err != nil:
			report("%s: %v", where, err)
		case pattern == "*":
			report(`%s allows Resource "*"`, where)
		case strings.ContainsAny(pattern, "*?"):
			if _, ok := wildcardAllowed[pattern]; !ok {
				report("%s allows %s, a wildcard that is not allow-listed", where, pattern)
				continue
			}
			used[pattern] = true
		}
	}
}

// resourcePattern writes a statement's resource as it resolves without a deployment
// (see wildcardAllowed). Parameters may take part only when no value they accept holds
// a wildcard.
func (t *Template) resourcePattern(v any) (string, error) {
	if s, ok := v.(string); ok {
		return s, nil
	}
	name, arg, ok := intrinsic(v)
	if !ok {
		return "", fmt.Errorf("resource %v is neither text nor an intrinsic function", v)
	}
	switch name {
	case "Fn::GetAtt":
		ref, _ := arg.([]any)
		if len(ref) != 2 {
			return "", fmt.Errorf("resource %v: malformed Fn::GetAtt", v)
		}
		id, _ := ref[0].(string)
		attr, _ := ref[1].(string)
		return t.attributePattern(id, attr), nil
	case "Ref":
		ref, _ := arg.(string)
		return t.refPattern(ref)
	case "Fn::Sub":
		src, isString := arg.(string)
		if !isString {
			return "", fmt.Errorf("resource %v: only the one-string form of Fn::Sub is read here", v)
		}
		var err error
		out := subVariable.ReplaceAllStringFunc(src, func(m string) string {
			inner := m[2 : len(m)-1]
			if id, attr, dotted := strings.Cut(inner, "."); dotted {
				return t.attributePattern(id, attr)
			}
			s, rerr := t.refPattern(inner)
			if rerr != nil && err == nil {
				err = rerr
			}
			return s
		})
		return out, err
	}
	return "", fmt.Errorf("resource %v: %s is not read here; name resources with text, Ref, Fn::GetAtt or Fn::Sub", v, name)
}

// attributePattern is a resource attribute as a pattern. CloudFormation gives a log
// group's Arn with a trailing ":*", which covers the group's log streams.
func (t *Template) attributePattern(id, attr string) string {
	if attr == "Arn" && t.resources[id]["Type"] == "AWS::Logs::LogGroup" {
		return logStreamsOf(id)
	}
	return "${" + id + "." + attr + "}"
}

func (t *Template) refPattern(name string) (string, error) {
	if p, ok := t.parameter(name); ok {
		if err := wildcardFree(p); err != nil {
			return "", fmt.Errorf("parameter %s %w", name, err)
		}
	}
	return "${" + name + "}", nil
}

// wildcardFree reports whether no value a parameter accepts can hold '*' or '?'. An
// AllowedPattern proves it when it matches no character it does not list (no '.' and
// no negated class) and lists neither.
func wildcardFree(p map[string]any) error {
	if values, ok := p["AllowedValues"].([]any); ok {
		for _, v := range values {
			if s, _ := scalar(v); strings.ContainsAny(s, "*?") {
				return fmt.Errorf("allows %q", s)
			}
		}
		return nil
	}
	pattern, ok := p["AllowedPattern"].(string)
	if !ok {
		return fmt.Errorf("has neither AllowedValues nor AllowedPattern, so it may hold a wildcard")
	}
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return fmt.Errorf("AllowedPattern %q: %w", pattern, err)
	}
	var check func(re *syntax.Regexp) error
	check = func(re *syntax.Regexp) error {
		switch re.Op {
		case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
			return fmt.Errorf("AllowedPattern %q matches any character", pattern)
		case syntax.OpLiteral:
			if slices.ContainsFunc(re.Rune, func(r rune) bool { return r == '*' || r == '?' }) {
				return fmt.Errorf("AllowedPattern %q allows '*' or '?'", pattern)
			}
		case syntax.OpCharClass:
			for i := 0; i+1 < len(re.Rune); i += 2 {
				for _, c := range []rune{'*', '?'} {
					if re.Rune[i] <= c && c <= re.Rune[i+1] {
						return fmt.Errorf("AllowedPattern %q allows '%c'", pattern, c)
					}
				}
			}
		}
		for _, sub := range re.Sub {
			if err := check(sub); err != nil {
				return err
			}
		}
		return nil
	}
	return check(re)
}
