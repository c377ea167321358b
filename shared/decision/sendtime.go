package decision

import "time"

// minSendTimeEvidence is how many positive responses on a channel a customer needs
// before their hour is trusted over the batch's own schedule.
const minSendTimeEvidence = 2

// SendTime returns when a message on the channel is most likely to be answered: the
// next start of the local hour of day at which the customer's recorded positive
// responses on that channel were most frequent (ties go to the earlier hour), in the
// customer's time zone. A customer with fewer than two such responses in the loaded
// history gets now, and learned is false: the batch's schedule (template.yaml's
// BatchSchedule) is then the send time, the documented default. When the best hour
// is the current one, the answer is now.
func (c *Catalog) SendTime(p Profile, channel string, now time.Time) (at time.Time, learned bool) {
	loc := c.location(p.TimeZone)
	var byHour [24]int
	total := 0
	for _, e := range p.History {
		if e.Kind == KindResponse && e.Channel == channel && !e.At.After(now) && c.IsSuccess(e.ActionID, e.Outcome) {
			byHour[e.At.In(loc).Hour()]++
			total++
		}
	}
	if total < minSendTimeEvidence {
		return now, false
	}
	best := 0
	for h, n := range byHour {
		if n > byHour[best] {
			best = h
		}
	}
	local := now.In(loc)
	if local.Hour() == best {
		return now, true
	}
	next := time.Date(local.Year(), local.Month(), local.Day(), best, 0, 0, 0, loc)
	if next.Before(local) {
		next = time.Date(local.Year(), local.Month(), local.Day()+1, best, 0, 0, 0, loc)
	}
	return next, true
}
