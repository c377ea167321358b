package service

import (
	"time"
)

// maxDelay is SQS's longest per-message delay.
const maxDelay = 15 * time.Minute

// delayUntil returns the SQS delay that holds a message back until at, capped at
// SQS's 15 minutes: a message due later is held for 15 minutes and looked at again.
func delayUntil(at, now time.Time) int32 {
	d := min(at.Sub(now), maxDelay)
	if d <= 0 {
		return 0
	}
	return int32((d + time.Second - 1) / time.Second)
}

// OutboundMessage is what score-batch puts on a channel's queue and send-message
// delivers. It carries references, not content: send-message renders the treatment
// from the profile as it is at sending time.
type OutboundMessage struct {
	DecisionID  string    `json:"decisionId"`
	RunID       string    `json:"runId"`
	CustomerID  string    `json:"customerId"`
	ActionID    string    `json:"actionId"`
	TreatmentID string    `json:"treatmentId"`
	Channel     string    `json:"channel"`
	PlannedAt   time.Time `json:"plannedAt"`
	// SendAt, when set, is the customer's best send time on the channel; send-message
	// puts a message that arrives earlier back on its queue until it is due.
	SendAt time.Time `json:"sendAt,omitzero"`
	// DelaySeconds schedules delivery up to SQS's 15-minute limit.
	DelaySeconds int32 `json:"-"`
}
