package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/nextbest/nextbest/infra/localstack"
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

// DrainWork feeds the work queue to ScoreBatchFunction, one item per invocation as
// template.yaml's event source mapping does, until the queue is empty: the items of
// fanned-out runs, including the second-pass items the first pass enqueues.
func (e *Env) DrainWork(ctx context.Context) (DrainStats, error) {
	return e.drain(ctx, "WorkQueue", "ScoreBatchFunction", e.Functions["ScoreBatchFunction"], 1)
}

func (e *Env) drainQueue(ctx context.Context, queue string) (DrainStats, error) {
	fns, err := e.sendMessageProcesses(ctx)
	if err != nil {
		return DrainStats{}, err
	}
	var mu sync.Mutex
	var total DrainStats
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Go(func() {
			s, err := e.drain(ctx, queue, "SendMessageFunction", fn, 10)
			mu.Lock()
			defer mu.Unlock()
			total.Messages += s.Messages
			total.Failed += s.Failed
			total.Batches += s.Batches
			errs[i] = err
		})
	}
	wg.Wait()
	return total, errors.Join(errs...)
}

// sendMessageProcesses are the send-message processes a drain feeds: the
// environment's own, and Options.Senders-1 more, started on first use.
func (e *Env) sendMessageProcesses(ctx context.Context) ([]*localstack.Function, error) {
	for len(e.senders) < e.opts.Senders-1 {
		fn, err := e.StartFunction(ctx, "SendMessageFunction", fmt.Sprintf("SendMessageFunction-%d", len(e.senders)+2))
		if err != nil {
			return nil, err
		}
		e.senders = append(e.senders, fn)
	}
	return append([]*localstack.Function{e.Functions["SendMessageFunction"]}, e.senders...), nil
}

func (e *Env) closeSenders() {
	for _, fn := range e.senders {
		fn.Close()
	}
	e.senders = nil
}

// drain receives batches of up to batchSize messages from a queue and hands each
// batch to a process of the function until the queue has no visible message.
func (e *Env) drain(ctx context.Context, queue, function string, fn *localstack.Function, batchSize int32) (DrainStats, error) {
	var stats DrainStats
	url, arn := e.Resources.QueueURLs[queue], e.Resources.QueueARNs[queue]
	for {
		out, err := e.SQS.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{
			QueueUrl:                    &url,
			MaxNumberOfMessages:         batchSize,
			WaitTimeSeconds:             0,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		})
		if err != nil {
			return stats, err
		}
		if len(out.Messages) == 0 {
			return stats, nil
		}
		failed, err := e.invokeSQS(ctx, function, fn, out.Messages, arn)
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

func (e *Env) invokeSQS(ctx context.Context, function string, fn *localstack.Function, msgs []types.Message, queueARN string) (map[string]bool, error) {
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
	out, err := e.invokeOn(ctx, function, fn, payload)
	if err != nil {
		return nil, err
	}
	var resp events.SQSEventResponse
	failed := map[string]bool{}
	if err := json.Unmarshal(out, &resp); err != nil {
		return nil, fmt.Errorf("%s answered %s", function, out)
	}
	for _, f := range resp.BatchItemFailures {
		failed[f.ItemIdentifier] = true
	}
	return failed, nil
}

// SetVisibilityTimeout changes how long a received message stays hidden, so that a
// test sees a failed message again within seconds rather than the template's minutes.
func (e *Env) SetVisibilityTimeout(ctx context.Context, queue string, seconds int) error {
	url, ok := e.Resources.QueueURLs[queue]
	if !ok {
		return fmt.Errorf("no queue %s", queue)
	}
	_, err := e.SQS.SetQueueAttributes(ctx, &awssqs.SetQueueAttributesInput{
		QueueUrl:   &url,
		Attributes: map[string]string{string(types.QueueAttributeNameVisibilityTimeout): strconv.Itoa(seconds)},
	})
	if err != nil {
		return fmt.Errorf("set visibility timeout of %s: %w", queue, err)
	}
	return nil
}

// QueueDepth counts a queue's messages, visible, in flight and delayed.
func (e *Env) QueueDepth(ctx context.Context, queue string) (int, error) {
	url, ok := e.Resources.QueueURLs[queue]
	if !ok {
		return 0, fmt.Errorf("no queue %s", queue)
	}
	names := []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages,
		types.QueueAttributeNameApproximateNumberOfMessagesNotVisible, types.QueueAttributeNameApproximateNumberOfMessagesDelayed}
	out, err := e.SQS.GetQueueAttributes(ctx, &awssqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: names})
	if err != nil {
		return 0, fmt.Errorf("depth of %s: %w", queue, err)
	}
	total := 0
	for _, name := range names {
		n, _ := strconv.Atoi(out.Attributes[string(name)])
		total += n
	}
	return total, nil
}
