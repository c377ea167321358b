// Package weather is the weather context feed of nextbest: the current weather per configured
// region, so that rules and predictors can read context.weather.temperature,
// context.weather.precipitation and context.weather.sunshine (the "barbecue effect").
//
// # Off the decision path
//
// Weather is never fetched while deciding. A scheduled job calls a Provider's Current with every
// configured Region and stores the resulting Snapshot as one JSON document; decisions load that
// document into memory and call Snapshot.For with the customer's region, the decision's clock
// and the largest age they accept. For answers nothing when the region is unknown, failed to
// fetch, or its observation is older than that age: stale weather does not drive decisions.
//
// # Units
//
// Conditions hold, and Conditions.Map hands rules, the following values (all float64):
//
//	temperature    air temperature 2 m above ground, °C
//	precipitation  precipitation (rain, showers, snow as water) as a rate, mm per hour
//	sunshine       sunshine as minutes per hour, 0..60
//	observedAt     the model time the values belong to, RFC 3339 in UTC (a string)
//
// Open-Meteo's current conditions come from 15-minutely model data: precipitation is the sum in
// millimetres and sunshine_duration the sum in seconds over the preceding interval (current.interval
// seconds, normally 900). OpenMeteo scales both to one hour so that a rule's thresholds do not
// depend on the interval:
//
//	PrecipitationMm = precipitation × 3600 / interval                (mm per hour)
//	SunshineMinutes = sunshine_duration × 60 / interval, at most 60 (minutes per hour)
//
// For example 450 s of sunshine in a 900 s interval is half the interval sunny: 30 minutes per
// hour; 0.1 mm in 900 s is 0.4 mm per hour. A sunshine_duration above the interval cannot be
// right and is rejected.
//
// # Failures
//
// OpenMeteo asks for up to BatchSize regions in one request. Whatever fails a request (the
// transport, an HTTP error, a body that is not JSON or has the wrong number of locations) fails
// every region of that batch; other batches are unaffected. A location that is well formed
// except for its own values (a missing field, a non-finite number, wrong units) fails only its
// region. Failed regions are listed in Snapshot.Failed with the error text, and Current returns
// an error only when the region list is invalid or no region at all could be fetched, so that a
// job keeps its previous snapshot rather than store an empty one.
package weather
