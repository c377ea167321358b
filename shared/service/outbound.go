package service

import (
	"time"
)

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
	// DelaySeconds schedules delivery up to SQS's 15-minute limit.
	DelaySeconds int32 `json:"-"`
}
