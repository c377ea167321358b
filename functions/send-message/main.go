// Command send-message delivers the planned messages from the channel queues.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/nextbest/nextbest/shared/platform"
	"github.com/nextbest/nextbest/shared/service"
	"github.com/nextbest/nextbest/shared/ses"
	"github.com/nextbest/nextbest/shared/sink"
	"github.com/nextbest/nextbest/shared/smsvoice"
	"github.com/nextbest/nextbest/shared/sns"
	"github.com/nextbest/nextbest/shared/sqs"
)

func main() {
	logger := platform.NewLogger()
	deps, err := platform.Load(context.Background(), logger, sqs.QueueEnvNames()...)
	if err != nil {
		logger.Error("start-up failed", "error", err)
		os.Exit(1)
	}
	providers, err := newProviders(logger, deps.AWS, os.Getenv)
	if err != nil {
		logger.Error("start-up failed", "error", err)
		os.Exit(1)
	}
	h := &handler{log: logger, sender: &service.Sender{
		Catalog:   deps.Catalog,
		Customers: deps.Store,
		Seen:      deps.Store,
		Recorder:  &service.Recorder{Catalog: deps.Catalog, Models: deps.Models, Decisions: deps.Store, Responses: deps.Store, Now: deps.Now},
		Providers: providers,
		Defer:     sqs.NewOutbox(awssqs.NewFromConfig(deps.AWS), sqs.QueueURLs(deps.Env)),
		Leases:    deps.Store,
		Now:       deps.Now,
	}}
	lambda.Start(h.handle)
}

// newProviders picks the delivery providers from DELIVERY_PROVIDER: "log" (the
// default) records deliveries in the log only; "sink" appends them to the file
// SINK_PATH, as the local stack and tests do; "aws" sends e-mail through SES from
// SES_FROM (with the optional SES_CONFIGURATION_SET), SMS through AWS End User
// Messaging SMS from the origination identity SMS_ORIGINATION_IDENTITY, and push
// through SNS to the customers' platform endpoints.
//
// With "aws" and no SMS_ORIGINATION_IDENTITY there is no SMS provider: an SMS message
// then fails as any message on a channel without a provider does, and reaches the SMS
// dead-letter queue after the queue's maximum receive count, rather than being
// counted as delivered or skipped.
func newProviders(logger *slog.Logger, cfg aws.Config, getenv func(string) string) (map[string]service.Provider, error) {
	every := func(p service.Provider) map[string]service.Provider {
		return map[string]service.Provider{"email": p, "sms": p, "push": p}
	}
	switch mode := getenv("DELIVERY_PROVIDER"); mode {
	case "", "log":
		return every(&sink.Log{Logger: logger}), nil
	case "sink":
		path := getenv("SINK_PATH")
		if path == "" {
			return nil, fmt.Errorf("DELIVERY_PROVIDER=sink needs SINK_PATH")
		}
		return every(&sink.File{Path: path}), nil
	case "aws":
		from := getenv("SES_FROM")
		if from == "" {
			return nil, fmt.Errorf("DELIVERY_PROVIDER=aws needs SES_FROM, a verified SES identity")
		}
		providers := map[string]service.Provider{
			"email": &ses.Provider{Client: sesv2.NewFromConfig(cfg), From: from, ConfigurationSet: getenv("SES_CONFIGURATION_SET")},
			"push":  &sns.Push{Client: awssns.NewFromConfig(cfg)},
		}
		if identity := getenv(smsOriginationIdentityEnv); identity != "" {
			providers["sms"] = &smsvoice.Provider{Client: pinpointsmsvoicev2.NewFromConfig(cfg), OriginationIdentity: identity}
		} else {
			logger.Warn("no SMS provider: " + smsOriginationIdentityEnv + " is empty, so SMS messages fail and reach the SMS dead-letter queue")
		}
		return providers, nil
	default:
		return nil, fmt.Errorf("unknown DELIVERY_PROVIDER %q (want log, sink or aws)", mode)
	}
}

// smsOriginationIdentityEnv names the End User Messaging origination identity (a
// pool, phone number or sender ID, by ARN) SMS are sent from; the template sets it
// from its SmsOriginationIdentity parameter.
const smsOriginationIdentityEnv = "SMS_ORIGINATION_IDENTITY"
