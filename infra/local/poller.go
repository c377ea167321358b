package local

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// channelQueues are the queues that feed send-message, by channel.
var channelQueues = map[string]string{"email": "EmailQueue", "sms": "SmsQueue", "push": "PushQueue"}

// DrainStats counts what one channel's queue drain did.
type DrainStats struct {
	Messages int // Messages handed to send-message.
	Failed   int // Messages send-message reported as failed (left for redelivery).
	Batches  int
}

// DrainQueues feeds every channel queue to send-message in batches of ten until the
// queues are empty, deleting the messages the function handled and leaving the ones
// it reported as failed to become visible again, as Lambda's SQS event source mapping
// does with ReportBatchItemFailures.
func (e *Env) DrainQueues(ctx context.Context) (map[string]DrainStats, error) {
	stats := map[string]DrainStats{}
	for channel, queue := range channelQueues {
		s, err := e.drainQueue(ctx, queue)
		if err != nil {
			return nil, fmt.Errorf("drain %s: %w", channel, err)
		}
		stats[channel] = s
	}
	return stats, nil
}

func (e *Env) drainQueue(ctx context.Context, queue string) (DrainStats, error) {
	var stats DrainStats
	url, arn := e.Resources.QueueURLs[queue], e.Resources.QueueARNs[queue]
	for {
		out, err := e.SQS.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{
			QueueUrl:                    &url,
			MaxNumberOfMessages:         10,
			WaitTimeSeconds:             0,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		})
		if err != nil {
			return stats, err
		}
		if len(out.Messages) == 0 {
			return stats, nil
		}
		failed, err := e.invokeSendMessage(ctx, out.Messages, arn)
		if err != nil {
			return stats, err
		}
		stats.Batches++
		stats.Messages += len(out.Messages)
		stats.Failed += len(failed)
		var done []types.DeleteMessageBatchRequestEntry
		for i, m := range out.Messages {
			if !failed[aws.ToString(m.MessageId)] {
				done = append(done, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
			}
		}
		if len(done) > 0 {
			if _, err := e.SQS.DeleteMessageBatch(ctx, &awssqs.DeleteMessageBatchInput{QueueUrl: &url, Entries: done}); err != nil {
				return stats, err
			}
		}
	}
}

// invokeSendMessage calls send-message with an SQS event and returns the ids of the
// messages it reported as failed. A function error fails the whole batch, as Lambda
// would.
func (e *Env) invokeSendMessage(ctx context.Context, msgs []types.Message, queueARN string) (map[string]bool, error) {
	event := events.SQSEvent{Records: make([]events.SQSMessage, len(msgs))}
	for i, m := range msgs {
		attrs := map[string]string{}
		for k, v := range m.Attributes {
			attrs[k] = v
		}
		event.Records[i] = events.SQSMessage{
			MessageId: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle), Body: aws.ToString(m.Body),
			Md5OfBody: aws.ToString(m.MD5OfBody), Attributes: attrs, EventSource: "aws:sqs", EventSourceARN: queueARN,
			AWSRegion: "us-east-1",
		}
	}
	payload, _ := json.Marshal(event)
	out, err := e.Invoke(ctx, "SendMessageFunction", payload)
	if err != nil {
		return nil, err
	}
	var resp events.SQSEventResponse
	failed := map[string]bool{}
	if err := json.Unmarshal(out, &resp); err != nil {
		return nil, fmt.Errorf("send-message answered %s", out)
	}
	for _, f := range resp.BatchItemFailures {
		failed[f.ItemIdentifier] = true
	}
	return failed, nil
}
