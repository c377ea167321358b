// Package sqs puts outbound messages on the per-channel SQS queues.
package sqs

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/nextbest/nextbest/shared/service"
)

var _ service.Outbox = (*Outbox)(nil)

// QueueEnv maps each outbound channel to the environment variable template.yaml sets
// to its queue URL.
var QueueEnv = map[string]string{"email": "EMAIL_QUEUE_URL", "sms": "SMS_QUEUE_URL", "push": "PUSH_QUEUE_URL"}

// Outbox sends messages to the queue of their channel.
type Outbox struct {
	client    *awssqs.Client
	queueURLs map[string]string
}

// NewOutbox returns an outbox over the given channel → queue URL map.
func NewOutbox(client *awssqs.Client, queueURLs map[string]string) *Outbox {
	return &Outbox{client: client, queueURLs: queueURLs}
}

// maxBatch is SQS's limit of messages per SendMessageBatch call.
const maxBatch = 10

// Enqueue sends messages to the channel's queue in batches of ten, retrying entries
// SQS reports as failed once before giving up with their count.
func (o *Outbox) Enqueue(ctx context.Context, channel string, messages []service.OutboundMessage) error {
	url, ok := o.queueURLs[channel]
	if !ok {
		return fmt.Errorf("enqueue: no queue for channel %q", channel)
	}
	for start := 0; start < len(messages); start += maxBatch {
		chunk := messages[start:min(start+maxBatch, len(messages))]
		entries := make([]types.SendMessageBatchRequestEntry, len(chunk))
		for i, m := range chunk {
			body, err := json.Marshal(m)
			if err != nil {
				return fmt.Errorf("enqueue %s: %w", m.DecisionID, err)
			}
			entries[i] = types.SendMessageBatchRequestEntry{
				Id:           aws.String(strconv.Itoa(i)),
				MessageBody:  aws.String(string(body)),
				DelaySeconds: m.DelaySeconds,
			}
		}
		if err := o.sendBatch(ctx, url, entries); err != nil {
			return fmt.Errorf("enqueue on %s: %w", channel, err)
		}
	}
	return nil
}

func (o *Outbox) sendBatch(ctx context.Context, url string, entries []types.SendMessageBatchRequestEntry) error {
	for attempt := 0; attempt < 2 && len(entries) > 0; attempt++ {
		out, err := o.client.SendMessageBatch(ctx, &awssqs.SendMessageBatchInput{QueueUrl: &url, Entries: entries})
		if err != nil {
			return err
		}
		failed := map[string]bool{}
		for _, f := range out.Failed {
			failed[aws.ToString(f.Id)] = true
		}
		var retry []types.SendMessageBatchRequestEntry
		for _, e := range entries {
			if failed[aws.ToString(e.Id)] {
				retry = append(retry, e)
			}
		}
		entries = retry
	}
	if len(entries) > 0 {
		return fmt.Errorf("%d messages failed twice", len(entries))
	}
	return nil
}
