// Package decision is nextbest's decision core: the catalog of actions with its
// engagement and contact policies, the propensity models, and the arbitration that
// turns them into one answer for one customer on one channel.
//
// The package is pure Go. It performs no I/O and imports nothing from AWS or Lambda:
// the caller supplies the profile, the model state, the clock reading and the decision
// id, so the same inputs always give the same decision. Adapters for DynamoDB and SQS
// live in sibling packages and satisfy the small interfaces the functions define.
package decision
