// Package sqs puts outbound messages on the per-channel SQS queues, and a fanned-out
// batch run's work items on the work queue.
package sqs

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
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

// QueueEnvNames lists QueueEnv's variable names, sorted, for platform.Load.
func QueueEnvNames() []string {
	return slices.Sorted(maps.Values(QueueEnv))
}

// QueueURLs picks the channel → queue URL map out of environment values read with
// QueueEnvNames.
func QueueURLs(env map[string]string) map[string]string {
	urls := make(map[string]string, len(QueueEnv))
	for channel, name := range QueueEnv {
		urls[channel] = env[name]
	}
	return urls
}

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
	entries := make([]types.SendMessageBatchRequestEntry, len(messages))
	for i, m := range messages {
		body, err := json.Marshal(m)
		if err != nil {
			return fmt.Errorf("enqueue %s: %w", m.DecisionID, err)
		}
		entries[i] = types.SendMessageBatchRequestEntry{MessageBody: aws.String(string(body)), DelaySeconds: m.DelaySeconds}
	}
	if err := sendAll(ctx, o.client, url, entries); err != nil {
		return fmt.Errorf("enqueue on %s: %w", channel, err)
	}
	return nil
}

var _ service.WorkQueue = (*WorkQueue)(nil)

// WorkQueueEnv is the environment variable template.yaml sets to the work queue's URL.
const WorkQueueEnv = "WORK_QUEUE_URL"

// WorkQueue puts a fanned-out run's work items on the queue that invokes the workers.
type WorkQueue struct {
	client *awssqs.Client
	url    string
}

// NewWorkQueue returns the work queue at url.
func NewWorkQueue(client *awssqs.Client, url string) *WorkQueue {
	return &WorkQueue{client: client, url: url}
}

// EnqueueWork sends the items in batches of ten.
func (w *WorkQueue) EnqueueWork(ctx context.Context, items []service.WorkItem) error {
	entries := make([]types.SendMessageBatchRequestEntry, len(items))
	for i, item := range items {
		body, err := json.Marshal(item)
		if err != nil {
			return fmt.Errorf("enqueue work: %w", err)
		}
		entries[i] = types.SendMessageBatchRequestEntry{MessageBody: aws.String(string(body))}
	}
	if err := sendAll(ctx, w.client, w.url, entries); err != nil {
		return fmt.Errorf("enqueue work: %w", err)
	}
	return nil
}

// sendAll sends entries in batches of ten, naming each entry by its position.
func sendAll(ctx context.Context, client *awssqs.Client, url string, entries []types.SendMessageBatchRequestEntry) error {
	for start := 0; start < len(entries); start += maxBatch {
		chunk := entries[start:min(start+maxBatch, len(entries))]
		for i := range chunk {
			chunk[i].Id = aws.String(strconv.Itoa(i))
		}
		if err := sendBatch(ctx, client, url, chunk); err != nil {
			return err
		}
	}
	return nil
}

// sendBatch sends up to ten entries, retrying those SQS reports as failed once
// before giving up with their count.
func sendBatch(ctx context.Context, client *awssqs.Client, url string, entries []types.SendMessageBatchRequestEntry) error {
	for attempt := 0; attempt < 2 && len(entries) > 0; attempt++ {
		out, err := client.SendMessageBatch(ctx, &awssqs.SendMessageBatchInput{QueueUrl: &url, Entries: entries})
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
