//go:build integration

package customers

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/nextbest/nextbest/infra/customers"
	"github.com/nextbest/nextbest/infra/local"
	"github.com/nextbest/nextbest/infra/local/localtest"
	"github.com/nextbest/nextbest/shared/platform"
)

const root = "../../.."

func TestMain(m *testing.M) {
	os.Exit(localtest.RunTests(m, root))
}

// stack is a storage of the test's own with the demo catalog published, and the
// command's environment pointed at it, as `source .cache/up.env` does after `make up`.
func stack(t *testing.T) *local.Env {
	t.Helper()
	env := localtest.Storage(t)
	localtest.PublishDemoCatalog(t, env)
	for k, v := range env.Stack.Env() {
		t.Setenv(k, v)
	}
	tables := env.Tables()
	t.Setenv("CUSTOMERS_TABLE", tables.Customers)
	t.Setenv("DECISIONS_TABLE", tables.Decisions)
	t.Setenv("CATALOG_TABLE", tables.Catalog)
	t.Setenv(platform.ClockEnv, localtest.Start(t).Format(time.RFC3339))
	return env
}

func command(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errOut, os.Getenv)
	return code, out.String(), errOut.String()
}

// TestImportFromS3ExportErase is the README's "Bring your own customers" from the
// operator's side: a hand-kept CRM export (semicolons, French headers, decimal commas,
// seven faulty rows) imported from the stack's S3 bucket, imported again (nothing
// changes), one customer exported, then erased.
func TestImportFromS3ExportErase(t *testing.T) {
	env := stack(t)
	ctx := context.Background()
	file, err := os.ReadFile(filepath.Join(root, "docs/examples/clients.csv"))
	if err != nil {
		t.Fatal(err)
	}
	bucket := env.Resources.Buckets["ImportBucket"]
	if _, err := env.S3.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("crm/clients.csv"), Body: bytes.NewReader(file)}); err != nil {
		t.Fatal(err)
	}
	mapping := filepath.Join(root, "docs/examples/clients.mapping.yaml")
	rejects := filepath.Join(t.TempDir(), "rejects.csv")
	uri := "s3://" + bucket + "/crm/clients.csv"

	code, out, errOut := command(t, "", "import", "--mapping", mapping, "--rejects", rejects, uri)
	if code != 1 || !strings.Contains(out, "1000 rows read, 993 written, 0 unchanged, 7 rejected") {
		t.Fatalf("import = %d\n%s%s\nwant exit 1 (rows were rejected) and 993 of 1000 rows written", code, out, errOut)
	}
	lines := readRejects(t, rejects)
	want := map[string]string{
		"101": `age (column age): "quarante-deux" is not a number`,
		"201": `attribute "segment": "étudiant" is not an allowed value`,
		"301": `consent email: "peut-être" is neither yes nor no`,
		"401": "customer CL-00042 already appears on line 43",
		"501": "9 cells, the header has 17",
		"601": "customer id (column no_client) is required",
		"701": `attribute "region": "Bretagne" is not an allowed value`,
	}
	if len(lines) != len(want) {
		t.Errorf("rejects file = %v, want %d rows", lines, len(want))
	}
	for line, reason := range want {
		if !strings.Contains(lines[line], reason) {
			t.Errorf("reject of line %s = %q, want it to say %q", line, lines[line], reason)
		}
	}

	code, out, _ = command(t, "", "import", "--mapping", mapping, "--rejects", rejects, "--json", uri)
	var counts struct{ Read, Written, Unchanged, Rejected int }
	if err := json.Unmarshal([]byte(out), &counts); code != 1 || err != nil || counts.Read != 1000 || counts.Written != 0 || counts.Unchanged != 993 || counts.Rejected != 7 {
		t.Errorf("the same import again, --json = %d, %+v, %v\n%s\nwant 993 unchanged and nothing written", code, counts, err, out)
	}

	p, err := env.Store.LoadCustomer(ctx, "CL-00002", env.Now())
	if err != nil || !p.Known || p.TimeZone != "Europe/Brussels" || p.Attributes["monthlySpend"] != 42.97 || p.Attributes["language"] != "nl" ||
		!p.Consents["email"] || p.Consents["sms"] {
		t.Errorf("LoadCustomer(CL-00002) = %+v, %v; want the row as mapped: Brussels, 42.97 a month, Dutch, e-mail yes, SMS no", p, err)
	}

	code, out, errOut = command(t, "", "export", "--customer", "CL-00002")
	var doc customers.Document
	if err := json.Unmarshal([]byte(out), &doc); code != 0 || err != nil {
		t.Fatalf("export = %d %v\n%s%s", code, err, out, errOut)
	}
	if !doc.Known || doc.Profile == nil || doc.Profile.Attributes["firstName"] != "Inès" || strings.Join(doc.PersonalAttributes, ",") != "age,firstName" {
		t.Errorf("export = %+v, want CL-00002's profile with firstName and age marked personal", doc)
	}

	if code, out, _ := command(t, "n\n", "erase", "--customer", "CL-00002"); code != 0 || !strings.Contains(out, "nothing erased") {
		t.Errorf("erase answered no = %d %s, want nothing erased", code, out)
	}
	if code, out, _ := command(t, "", "erase", "--customer", "CL-00002", "--yes"); code != 0 || !strings.Contains(out, "customer CL-00002 erased: 1 items deleted") {
		t.Errorf("erase -yes = %d %s, want the profile deleted", code, out)
	}
	if code, out, _ := command(t, "", "erase", "--customer", "CL-00002", "--yes", "--json"); code != 0 || !strings.Contains(out, `"deleted": 0`) {
		t.Errorf("erase --yes --json again = %d %s, want nothing left to delete", code, out)
	}
	if left := localtest.ItemsMentioning(t, env, "CL-00002"); len(left) > 0 {
		t.Errorf("after the erasure, items still mention CL-00002: %v", left)
	}
}

func readRejects(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range rows[1:] {
		out[r[0]] = r[2]
	}
	return out
}
