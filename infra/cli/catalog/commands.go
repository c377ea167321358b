package catalog

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/nextbest/nextbest/infra/catalogcheck"
	"github.com/nextbest/nextbest/infra/cli"
	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/dynamo"
)

// catalogStore is what the commands need of the catalog table (*dynamo.Store).
type catalogStore interface {
	LiveCatalogVersion(ctx context.Context) (string, error)
	CatalogSource(ctx context.Context, version string) ([]byte, error)
	ListCatalogVersions(ctx context.Context) ([]dynamo.CatalogVersion, error)
	PublishCatalogFrom(ctx context.Context, from string, source []byte, now time.Time) (string, error)
	RollbackCatalogFrom(ctx context.Context, from, version string, now time.Time) error
}

// app runs the subcommands.
type app struct {
	store catalogStore // nil for validate
	in    *bufio.Reader
	out   io.Writer
	now   func() time.Time
	yes   bool                 // do not ask for confirmation
	check catalogcheck.Options // Now is set when a catalog is checked
	// json prints the result as JSON on stdout; out then gets the rest (stderr), or
	// nothing for the commands whose whole result is the JSON.
	json    bool
	stdout  io.Writer
	diffOut io.Writer // diff --json: where the changes go as JSON instead of text
}

func (a *app) validate(file string) error {
	src, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var r *catalogcheck.Report
	if a.json {
		r = a.checkNow(file, src)
		if err := cli.WriteJSON(a.stdout, validationJSON(file, r)); err != nil {
			return err
		}
	} else {
		r = a.printValidation(file, src)
	}
	if !r.OK() {
		return cli.ErrReported
	}
	return nil
}

// checkNow validates a catalog at the command's clock.
func (a *app) checkNow(file string, src []byte) *catalogcheck.Report {
	opt := a.check
	opt.Now = a.now()
	return catalogcheck.Validate(file, src, opt)
}

// printValidation validates and prints the findings.
func (a *app) printValidation(file string, src []byte) *catalogcheck.Report {
	r := a.checkNow(file, src)
	for _, e := range r.Errors {
		fmt.Fprintln(a.out, "error:", e)
	}
	for _, w := range r.Warnings {
		fmt.Fprintln(a.out, "warning:", w)
	}
	switch {
	case r.Catalog == nil:
		fmt.Fprintf(a.out, "%s: invalid: %d problem(s)\n", file, len(r.Errors))
	case !r.OK():
		fmt.Fprintf(a.out, "%s: invalid: %d problem(s); reachability probed with %s\n", file, len(r.Errors), r.Probes)
	default:
		fmt.Fprintf(a.out, "%s: valid: %d actions, %d warning(s); reachability probed with %s\n",
			file, r.Catalog.ActionCount(), len(r.Warnings), r.Probes)
	}
	return r
}

// live returns the live version and its source, or "" when nothing is published.
func (a *app) live(ctx context.Context) (string, []byte, error) {
	version, err := a.store.LiveCatalogVersion(ctx)
	if decision.ErrorCode(err) == decision.ENotFound {
		return "", nil, nil
	}
	if err != nil {
		return "", nil, err
	}
	src, err := a.store.CatalogSource(ctx, version)
	return version, src, err
}

// compare prints the changes from one source to another.
func (a *app) compare(fromName string, fromSrc []byte, toName string, toSrc []byte) error {
	cmp, err := catalogcheck.Compare(fromName, fromSrc, toName, toSrc)
	if err != nil {
		return err
	}
	for _, note := range cmp.Notes {
		fmt.Fprintln(a.out, "note:", note)
	}
	if a.diffOut != nil {
		return cli.WriteJSON(a.diffOut, diffResult{From: cmp.From, To: cmp.To, Changes: cmp.Changes})
	}
	printDiff(a.out, cmp)
	return nil
}

// printDiff writes the changes from one catalog to another, or that there are none.
func printDiff(w io.Writer, cmp catalogcheck.Comparison) {
	if len(cmp.Changes) == 0 {
		fmt.Fprintf(w, "no changes from %s to %s\n", cmp.From, cmp.To)
		return
	}
	fmt.Fprintf(w, "changes from %s to %s:\n", cmp.From, cmp.To)
	for _, c := range cmp.Changes {
		fmt.Fprintln(w, "  "+c.Head())
		for _, d := range c.Details {
			fmt.Fprintln(w, "      "+d)
		}
	}
}

func (a *app) diff(ctx context.Context, file string) error {
	src, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	version, live, err := a.live(ctx)
	if err != nil {
		return err
	}
	if a.json {
		a.diffOut = a.stdout
	}
	return a.compare("live version "+version, live, file, src)
}

func (a *app) publish(ctx context.Context, file string) error {
	src, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	if r := a.printValidation(file, src); !r.OK() {
		return cli.ErrReported
	}
	version, live, err := a.live(ctx)
	if err != nil {
		return err
	}
	if live != nil && bytes.Equal(live, src) {
		fmt.Fprintf(a.out, "%s is identical to live version %s: nothing to publish\n", file, version)
		return a.result(changeResult{Version: version, Previous: version})
	}
	if err := a.compare("live version "+version, live, file, src); err != nil {
		return err
	}
	if !a.confirm(fmt.Sprintf("publish %s and make it live?", file)) {
		fmt.Fprintln(a.out, "not published")
		return nil
	}
	// Over the version the operator saw the difference from, or not at all.
	published, err := a.store.PublishCatalogFrom(ctx, version, src, a.now())
	if err != nil {
		return err
	}
	fmt.Fprintf(a.out, "published version %s; %s\n", published, catalogcheck.Freshness())
	return a.result(changeResult{Changed: true, Version: published, Previous: version})
}

func (a *app) versions(ctx context.Context) error {
	vs, err := a.store.ListCatalogVersions(ctx)
	if err != nil {
		return err
	}
	if a.json {
		return cli.WriteJSON(a.stdout, versionsJSON(vs))
	}
	if len(vs) == 0 {
		fmt.Fprintln(a.out, "no catalog has been published")
		return nil
	}
	fmt.Fprintf(a.out, "  %8s  %-20s\n", "VERSION", "PUBLISHED")
	for _, v := range vs {
		mark, note := " ", ""
		if v.Live {
			mark, note = "*", "  live"
			if !v.RolledBackAt.IsZero() {
				note += fmt.Sprintf(" (rolled back from version %s at %s)", v.RolledBackFrom, v.RolledBackAt.Format(time.RFC3339))
			}
		}
		fmt.Fprintf(a.out, "%s %8s  %-20s%s\n", mark, v.Version, v.PublishedAt.Format(time.RFC3339), note)
	}
	return nil
}

func (a *app) rollback(ctx context.Context, version string) error {
	current, live, err := a.live(ctx)
	if err != nil {
		return err
	}
	if live == nil {
		return decision.Errorf(decision.ENotFound, "no catalog has been published")
	}
	target, err := a.store.CatalogSource(ctx, version)
	if err != nil {
		return err
	}
	if strings.TrimLeft(strings.TrimSpace(version), "0") == current {
		fmt.Fprintf(a.out, "version %s is already live: nothing to roll back\n", current)
		return a.result(changeResult{Version: current, Previous: current})
	}
	// The functions compile the live catalog with their own code: a version written
	// for an older catalog format must not become live.
	name := "version " + version
	if _, err := decision.ParseCatalog(name, target); err != nil {
		for _, e := range catalogcheck.CompileErrors(name, err) {
			fmt.Fprintln(a.out, "error:", e)
		}
		fmt.Fprintf(a.out, "%s does not compile with the current catalog format, so the functions could not load it: not rolled back\n", name)
		return cli.ErrReported
	}
	if err := a.compare("live version "+current, live, name, target); err != nil {
		return err
	}
	if !a.confirm(fmt.Sprintf("make version %s live again instead of version %s?", version, current)) {
		fmt.Fprintln(a.out, "not rolled back")
		return nil
	}
	if err := a.store.RollbackCatalogFrom(ctx, current, version, a.now()); err != nil {
		return err
	}
	fmt.Fprintf(a.out, "version %s is live again (was version %s); %s\n", version, current, catalogcheck.Freshness())
	return a.result(changeResult{Changed: true, Version: version, Previous: current})
}

// confirm asks a yes/no question unless -yes was given; anything but y or yes is no.
func (a *app) confirm(question string) bool {
	if a.yes {
		return true
	}
	fmt.Fprintf(a.out, "%s [y/N] ", question)
	answer, _ := a.in.ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "y", "yes":
		return true
	}
	return false
}
