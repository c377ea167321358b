// Package localstack runs a real local stand-in for the AWS services nextbest uses,
// for integration tests and the demo. Nothing here talks to AWS.
//
// Start launches two servers on free 127.0.0.1 ports, in parallel, and returns once
// each has answered a real API call:
//
//   - DynamoDB Local 2.6.1 (the official engine, in memory, -sharedDb so every
//     credential and region sees the same tables) from <cache>/dynamodb-local. It has
//     no bind-address option, so unlike the others it listens on all interfaces.
//   - ElasticMQ 1.6.11 (an SQS-compatible server; queue URLs name the port it
//     listens on) from <cache>/elasticmq, configured by <cache>/elasticmq/elasticmq.conf.
//
// StartFunction runs one Lambda bootstrap binary under the AWS Lambda Runtime
// Interface Emulator that ships inside aws-sam-cli 1.170.0 (<cache>/bin/aws-lambda-rie).
// The emulator keeps the runtime warm between invocations, so only the first Invoke
// pays the cold start. It does not serve concurrent invocations: a second request
// while one is running makes it panic (ReserveFailed: AlreadyReserved), so
// Function.Invoke serialises calls; run several Functions for parallelism. The emulator
// hands its own environment to the bootstrap, adding AWS_LAMBDA_RUNTIME_API and
// setting empty AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN unless
// they are given, so pass Stack.Env (which has dummy credentials) to StartFunction.
//
// Every process writes its stdout and stderr to its own file in LogDir (default
// <cache>/logs): dynamodb-local-<port>.log, elasticmq-<port>.log and
// lambda-<function>-<port>.log; errors name the file. Each runs in its own process
// group, so Close kills the whole tree. The cache is <repo root>/.cache unless
// Config.CacheDir says otherwise; `make tools` installs everything into it (versions
// are pinned in infra/tools.mk).
// Java 17+ must be on PATH. Typical timings on 2 cores: DynamoDB Local answers after
// 1-1.6 s, ElasticMQ after 1.5-2.3 s, both together after 2.5-3.9 s; Close takes 0.4 s.
package localstack
