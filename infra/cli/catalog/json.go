package catalog

import (
	"time"

	"github.com/nextbest/nextbest/infra/catalogcheck"
	"github.com/nextbest/nextbest/infra/cli"
	"github.com/nextbest/nextbest/shared/dynamo"
)

// The --json shapes of the catalog commands (docs/cli.md). They are types of their own,
// not the internal ones, so that refactoring the commands does not change what scripts
// read.

// validationResult is `catalog validate --json`.
type validationResult struct {
	File     string   `json:"file"`
	Valid    bool     `json:"valid"`
	Actions  int      `json:"actions"` // 0 when the catalog does not compile
	Errors   []string `json:"errors"`
	Warnings []string `json:"warnings"`
	Probes   string   `json:"probes,omitempty"`
}

func validationJSON(file string, r *catalogcheck.Report) validationResult {
	v := validationResult{File: file, Valid: r.OK(), Errors: r.Errors, Warnings: r.Warnings, Probes: r.Probes}
	if r.Catalog != nil {
		v.Actions = r.Catalog.ActionCount()
	}
	if v.Errors == nil {
		v.Errors = []string{}
	}
	if v.Warnings == nil {
		v.Warnings = []string{}
	}
	return v
}

// diffResult is `catalog diff --json`.
type diffResult struct {
	From    string                `json:"from"`
	To      string                `json:"to"`
	Changes []catalogcheck.Change `json:"changes"`
}

// changeResult is `catalog publish --json` and `catalog rollback --json`: the live
// version after the command, and before it ("" when nothing had been published).
type changeResult struct {
	Changed  bool   `json:"changed"`
	Version  string `json:"version"`
	Previous string `json:"previous"`
}

// versionJSON is one element of `catalog versions --json`.
type versionJSON struct {
	Version        string     `json:"version"`
	PublishedAt    time.Time  `json:"publishedAt"`
	Live           bool       `json:"live"`
	RolledBackFrom string     `json:"rolledBackFrom,omitempty"`
	RolledBackAt   *time.Time `json:"rolledBackAt,omitempty"`
}

func versionsJSON(vs []dynamo.CatalogVersion) []versionJSON {
	out := make([]versionJSON, 0, len(vs))
	for _, v := range vs {
		j := versionJSON{Version: v.Version, PublishedAt: v.PublishedAt, Live: v.Live, RolledBackFrom: v.RolledBackFrom}
		if !v.RolledBackAt.IsZero() {
			at := v.RolledBackAt
			j.RolledBackAt = &at
		}
		out = append(out, j)
	}
	return out
}

// result prints a publish or rollback result as JSON when asked to.
func (a *app) result(r changeResult) error {
	if !a.json {
		return nil
	}
	return cli.WriteJSON(a.stdout, r)
}
