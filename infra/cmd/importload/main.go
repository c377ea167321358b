// Command importload measures the bulk import into DynamoDB Local: it writes a CSV of
// synthetic customers in the format of docs/examples/clients.csv, starts the local
// storage, publishes the demo catalog, and imports the file twice, reporting rows per
// second for the first import (every row written) and the second (every row unchanged).
//
//	go run ./infra/cmd/importload -customers 100000
//
// It expects the tools (`make tools`).
package main

import (
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nextbest/nextbest/infra/customers"
	"github.com/nextbest/nextbest/infra/local"
	"github.com/nextbest/nextbest/infra/seed"
	"github.com/nextbest/nextbest/shared/decision"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run() error {
	n := flag.Int("customers", 100000, "customers in the file")
	workers := flag.Int("workers", 8, "batches written at once")
	rootFlag := flag.String("root", ".", "repository root")
	flag.Parse()
	root, err := filepath.Abs(*rootFlag)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start, err := local.StartInstant(os.Getenv)
	if err != nil {
		return err
	}
	file := filepath.Join(os.TempDir(), fmt.Sprintf("nextbest-importload-%d.csv", *n))
	if err := writeFile(file, seed.Profiles(42, *n, start)); err != nil {
		return err
	}
	defer os.Remove(file)

	env, err := local.StartStorage(ctx, local.Options{Root: root, Prefix: "importload-", Start: start,
		Progress: func(format string, args ...any) { fmt.Printf("· "+format+"\n", args...) }})
	if err != nil {
		return err
	}
	defer env.Close()
	src, err := os.ReadFile(filepath.Join(root, "infra/catalog/demo.yaml"))
	if err != nil {
		return err
	}
	catalog, err := decision.ParseCatalog("demo.yaml", src)
	if err != nil {
		return err
	}
	if _, err := env.Store.PublishCatalog(ctx, src, env.Now()); err != nil {
		return err
	}
	data, err := os.ReadFile(filepath.Join(root, "docs/examples/clients.mapping.yaml"))
	if err != nil {
		return err
	}
	mapping, err := customers.ParseMapping(data)
	if err != nil {
		return err
	}
	if err := mapping.Check(catalog, file); err != nil {
		return err
	}
	for _, pass := range []string{"first import (every row new)", "same file again (every row unchanged)"} {
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		im := &customers.Importer{Catalog: catalog, Mapping: mapping, Store: env.Store, Now: env.Now, Workers: *workers}
		began := time.Now()
		counts, err := im.Run(ctx, f)
		f.Close()
		if err != nil {
			return err
		}
		took := time.Since(began)
		fmt.Printf("%s: %d rows, %d written, %d unchanged, %d rejected in %.1fs: %.0f rows/s\n",
			pass, counts.Read, counts.Written, counts.Unchanged, counts.Rejected, took.Seconds(), float64(counts.Read)/took.Seconds())
	}
	return nil
}

// writeFile writes profiles as a CRM export like docs/examples/clients.csv.
func writeFile(path string, profiles []decision.Profile) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := csv.NewWriter(f)
	w.Comma = ';'
	w.Write(strings.Split("no_client;prenom;age;segment;region;langue;anciennete_mois;produits;depense_mensuelle;data_go;reclamation;risque_depart;score_digital;optin_email;optin_sms;optin_push;fuseau", ";"))
	num := func(v any) string {
		f, _ := v.(float64)
		return strings.Replace(strconv.FormatFloat(f, 'f', -1, 64), ".", ",", 1)
	}
	yes := func(b bool) string {
		if b {
			return "oui"
		}
		return "non"
	}
	for _, p := range profiles {
		a := p.Attributes
		var products []string
		for _, x := range a["productsHeld"].([]any) {
			products = append(products, x.(string))
		}
		name, _ := a["firstName"].(string)
		w.Write([]string{"CL-" + p.CustomerID, name, num(a["age"]), a["segment"].(string), a["region"].(string), a["language"].(string),
			num(a["tenureMonths"]), strings.Join(products, "+"), num(a["monthlySpend"]), num(a["dataUsageGb"]), yes(a["openComplaint"].(bool)),
			num(a["churnRisk"]), num(a["digitalScore"]), yes(p.Consents["email"]), yes(p.Consents["sms"]), yes(p.Consents["push"]), p.TimeZone})
	}
	w.Flush()
	return w.Error()
}
