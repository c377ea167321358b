// Package local runs nextbest on one machine without AWS: it starts DynamoDB Local and
// the SQS server (package localstack), creates the tables and queues from
// template.yaml's own resource definitions (package template), seeds a catalog and a
// synthetic customer base, runs each function's built bootstrap under the Lambda
// Runtime Interface Emulator, and stands in for the two AWS services that feed the
// functions: a front door mapping the HTTP API's routes onto decide and
// record-response, as `sam local start-api` would, and a poller feeding the channel
// queues to send-message, as Lambda's SQS event source mapping does.
package local
