// Package platform holds what every function's main needs once at start-up: its
// settings from the environment, the AWS configuration, the store and caches every
// function shares, and a JSON logger that tags each line with the Lambda request id.
package platform

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/dynamo"
	"github.com/nextbest/nextbest/shared/service"
)

// Env reads the named environment variables, failing with the names of all that are
// missing so a misconfigured deployment is fixed in one go.
func Env(names ...string) (map[string]string, error) {
	values := make(map[string]string, len(names))
	var missing []string
	for _, n := range names {
		v := os.Getenv(n)
		if v == "" {
			missing = append(missing, n)
		}
		values[n] = v
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("missing environment variables: %s", strings.Join(missing, ", "))
	}
	return values, nil
}

// AWSConfig loads the SDK configuration from the environment. Endpoint overrides such
// as AWS_ENDPOINT_URL_DYNAMODB are honoured by the SDK itself, which is how the local
// stack redirects the functions without code of ours.
func AWSConfig(ctx context.Context) (aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load aws config: %w", err)
	}
	return cfg, nil
}

// NewLogger returns a JSON logger at the level named by LOG_LEVEL (debug, info, warn,
// error; info when unset) and installs it as the default.
func NewLogger() *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(os.Getenv("LOG_LEVEL"))); err != nil {
		level = slog.LevelInfo
	}
	logger := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(logger)
	return logger
}

// RequestLogger tags the logger with the invocation's request id, so every line of
// one invocation can be found together. Log lines must never carry personal data:
// customer ids are pseudonymous keys, attributes and content are never logged.
func RequestLogger(ctx context.Context, logger *slog.Logger) *slog.Logger {
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		return logger.With("requestId", lc.AwsRequestID)
	}
	return logger
}

// Duration reads an optional duration setting such as "30s", falling back to def when
// the variable is unset.
func Duration(name string, def time.Duration) (time.Duration, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%s=%q: want a duration such as 30s", name, v)
	}
	return d, nil
}

// Deps are what every function builds once at start-up: the AWS configuration, the
// DynamoDB store, the cached catalog and models, and the clock and id source every
// decision, plan and record is made with.
type Deps struct {
	AWS     aws.Config
	Env     map[string]string
	Store   *dynamo.Store
	Catalog *service.Snapshot[*decision.Catalog]
	Models  *service.Snapshot[*decision.Models]
	// Weather caches the weather feed's last stored observations.
	Weather *service.Snapshot[decision.ContextFeed]
	// Challengers loads the catalog version a challenger decides with.
	Challengers *service.Challengers
	// Now is the wall clock, or the local stack's clock (ClockEnv).
	Now func() time.Time
	// NewID makes decision ids: random, or a seeded sequence locally (SeedEnv).
	NewID func() string
}

// Load reads the table names and the named extra variables from the environment, the
// optional cache bounds CATALOG_MAX_AGE, MODELS_MAX_AGE and FEEDS_MAX_AGE, the clock and id settings
// honoured against local stand-ins (ClockEnv, SeedEnv), and the AWS configuration.
// Settings found where they are not honoured are logged as warnings to logger.
func Load(ctx context.Context, logger *slog.Logger, extraEnv ...string) (*Deps, error) {
	env, err := Env(append(slices.Clone(dynamo.TableEnv), extraEnv...)...)
	if err != nil {
		return nil, err
	}
	local := IsLocalEndpoint(os.Getenv("AWS_ENDPOINT_URL_DYNAMODB"))
	now, warning, err := Clock(os.Getenv, local)
	if err != nil {
		return nil, err
	}
	if warning != nil {
		logger.Warn("setting ignored", "error", warning)
	}
	newID, warning, err := IDs(os.Getenv, local)
	if err != nil {
		return nil, err
	}
	if warning != nil {
		logger.Warn("setting ignored", "error", warning)
	}
	catalogAge, err := Duration("CATALOG_MAX_AGE", service.DefaultCatalogMaxAge)
	if err != nil {
		return nil, err
	}
	modelsAge, err := Duration("MODELS_MAX_AGE", service.DefaultModelsMaxAge)
	if err != nil {
		return nil, err
	}
	feedsAge, err := Duration("FEEDS_MAX_AGE", service.DefaultFeedMaxAge)
	if err != nil {
		return nil, err
	}
	cfg, err := AWSConfig(ctx)
	if err != nil {
		return nil, err
	}
	store := dynamo.New(dynamo.NewClient(cfg), dynamo.TablesFromEnv(env))
	return &Deps{
		AWS:         cfg,
		Env:         env,
		Store:       store,
		Catalog:     service.NewCatalogSnapshot(store, catalogAge, now),
		Models:      service.NewModelsSnapshot(store, modelsAge, now),
		Weather:     service.NewWeatherSnapshot(store, feedsAge, now),
		Challengers: &service.Challengers{Source: store},
		Now:         now,
		NewID:       newID,
	}, nil
}
