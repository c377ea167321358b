// Command echo is a minimal Lambda function for the localstack integration tests:
// it returns its JSON payload unchanged, so a test can check a round trip through
// the Runtime Interface Emulator without any project code involved.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

func echo(_ context.Context, payload json.RawMessage) (json.RawMessage, error) {
	return payload, nil
}

func main() {
	lambda.Start(echo)
}
