// Package seed generates synthetic customers for the demo, the local stack and the
// benchmarks, and the synthetic "true" behaviour the demo uses to simulate their
// responses. Nothing here describes real people: every attribute is drawn from the
// distributions below, and ResponseProbability is an invented model whose only purpose
// is to give the adaptive engine something real to learn.
//
// # Determinism
//
// Profiles(seed, n, now) is a pure function of its arguments: customer i (id C000001
// for i = 0) is drawn from its own PCG stream (math/rand/v2) seeded with (seed, i), so
// the same seed always gives the same customers, Profiles(seed, 10, now) is a prefix of
// Profiles(seed, 1000, now), and a different seed gives a different base. The clock is
// never read: contact history is placed relative to now.
//
// # Attributes
//
// Attributes hold the types a profile has after a DynamoDB round trip: float64 for every
// number, []any of strings for lists, bool for flags, string otherwise.
//
//	segment          youth 18%, family 35%, professional 27%, senior 20%
//	age              by segment: youth 18–25, family 28–55, professional 24–62, senior 65–86
//	firstName        a French or Belgian first name; absent for 5% of customers
//	tenureMonths     exponential, mean 14 (youth), 40 (professional), 48 (family), 84 (senior),
//	                 capped by the years since the customer turned 18 and by 240
//	region, timeZone 8 regions of France (Europe/Paris) and Belgium (Europe/Brussels)
//	language         fr, except Flanders (nl), half of Brussels (nl) and 3% en
//	productsHeld     mobile about 90%; fibre 25% (youth) to 65% (family); tv for 55% of fibre
//	                 customers; landline 60% of seniors, 15% of others; device-insurance
//	                 25% of mobile customers; family-plan 45% of families with mobile
//	monthlySpend     sum of the products' prices plus noise, whole euros
//	dataUsageGb      log-normal, median 28 (youth), 18 (professional), 14 (family), 3 (senior);
//	                 0 without a mobile line
//	openComplaint    6%
//	churnRisk        logistic: higher for youth and open complaints, lower with tenure and
//	                 with each extra product held (bundles are sticky); 0..1
//	digitalScore     falls with age (seniors are less digital); 0..1
//	lastPurchaseDays exponential, mean 180, at most the tenure
//
// # Consents and history
//
// Consents hold email (70%), sms (50%) and push (about 40%, more likely for digital
// customers). About 15% of customers have 1–4 outbound impressions on consented channels
// in the 10 days before now, so contact caps have something to bite on; 5% of them were
// rejected, and others clicked with the customer's ResponseProbability.
package seed
