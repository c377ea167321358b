// Package adaptive is the online propensity model of nextbest: one model per action (and
// channel, if the catalog says so) that learns from every response, explains its scores by
// predictor, knows how much evidence it has, and explores actions it knows little about.
//
// # Kinds
//
// A model is of one kind (Config.Kind, kinds.go): NaiveBayes, described below, or Logistic,
// an online logistic regression over the same bins blended with naive Bayes while positives
// are few (logistic.go). Every kind keeps the naive Bayes counters, so reports, evidence and
// exploration read the same for both; a kind adds its own counters, kept by the same rules.
//
// # Model
//
// The naive Bayes model is a classifier over binned predictors. Each predictor value falls in a
// bin; each bin's response rate, shrunk towards the model's base rate, gives a log-odds
// contribution; the raw score is the base log-odds plus the contributions of the active
// predictors. Because naive Bayes double-counts correlated predictors, the raw score is then
// mapped to a calibrated propensity by a monotone calibration table (see Calibration below).
//
// # State is a set of counters that only grow
//
// Everything the model knows is a set of named integer counters (a State). Learning from one
// response never overwrites anything: Model.Update returns a Delta, a list of counters to add 1
// to, and Model.Apply adds them. Addition commutes, so a store can persist each Delta with
// DynamoDB's atomic ADD, spread a hot model over several shard items and sum the shards on read:
// whatever the order or the interleaving of concurrent writers, the merged State is the same and
// nothing is lost or doubled. Key.String gives the counter name to persist, ParseKey reads it
// back:
//
//	<bucket>/*/<outcome>/                total responses of the model
//	<bucket>/<predictor>/<outcome>/<bin> responses whose predictor value fell in <bin>
//	<bucket>/~cal/<outcome>/<bin>        responses whose raw score fell in calibration <bin>
//	<bucket>/~z.<predictor>/neg/<bin>    the logistic kind's FTRL sums, z and (~n.) n, in
//	<bucket>/~n.<predictor>/neg/<bin>    integer millionths ("*" for the bias; Key.IsSum)
//
// <bucket> is the time bucket (see Memory), <outcome> is "pos" or "neg", <bin> is the symbol
// itself for a symbolic predictor (the empty string when missing; OtherSymbol beyond the
// predictor's MaxSymbols or MaxSymbolBytes), the index of the fine bin for
// a numeric one ("na" when missing). The bin comes last so a symbol may contain any character.
//
// # Adaptive binning without a global pass
//
// A numeric predictor has fixed fine-grained candidate edges (Predictor.Bins), set when the
// model is configured, for example from the quantiles of its first observations (QuantileEdges).
// Counters are kept per fine bin. When a Snapshot is compiled, adjacent fine bins are merged from
// left to right until each group holds at least Config.MinBinEvidence responses; then adjacent
// groups whose response rates do not differ significantly (chi-square below
// Config.MinBinChiSquare, ChiMerge) are merged, so bins are fine where the data show the rate
// changing and coarse where evidence is thin. Symbols with fewer than MinBinEvidence
// responses are pooled in one "rare" group, which also scores unseen symbols. Merging only sums
// counters, so it is recomputed from the counts at every compilation and stays lossless.
//
// # Memory
//
// Counters carry a time bucket (Memory.Bucket wide, for example a week). A Snapshot weighs each
// bucket by its age: buckets older than Memory.Window buckets get weight 0 and, with a
// Memory.HalfLife, a bucket k buckets old gets weight 0.5^(k/HalfLife). The decay is applied at
// read time, so writers still only ADD to the current bucket and concurrency stays lossless; a
// store may delete whole buckets once they are outside the window. With Bucket zero every
// response lands in bucket 0 and the model never forgets (right for stationary data).
//
// # Calibration
//
// Every Update also counts the response in a calibration bin chosen by the raw score the model
// gave it before learning from it (a test-then-train table). Compiling a Snapshot pools those bins
// into a monotone curve (pool adjacent violators) and the propensity is the curve's value,
// blended with the raw score by the calibration evidence (weight n/(n+CalibrationStrength)). The
// mapping is strictly increasing, so calibration never changes the ranking of customers.
//
// # Predictor performance and inactivation
//
// The AUC of one binned predictor is computed exactly from its groups' counts (ranking the groups
// by response rate). Once a predictor has MinEvidenceToInactivate responses and its AUC is below
// Config.MinAUC it is inactive: it no longer contributes to scores. It stays counted, so it comes
// back if its AUC rises.
//
// # Exploration
//
// Score.Sample draws a propensity from Beta(p·n, (1−p)·n), where p is the calibrated propensity
// and n the effective sample size: the model's evidence plus the prior strength. A new action
// (n small) draws widely around its prior and so gets shown now and then even when its mean is
// lower than the competition's (Thompson sampling); as evidence grows the draws concentrate on p
// and the ranking converges to the propensity ranking.
//
// The package does no I/O, holds no clock and takes its randomness as a *rand.Rand, so it is
// deterministic under test.
package adaptive
