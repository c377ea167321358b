package sink_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/nextbest/nextbest/shared/service"
	"github.com/nextbest/nextbest/shared/sink"
)

func TestFileAppendsOneJSONLinePerDelivery(t *testing.T) {
	path := filepath.Join(t.TempDir(), "deliveries.jsonl")
	f := &sink.File{Path: path}
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := service.Delivery{MessageID: string(rune('a' + i%26)), Channel: "email", Content: map[string]string{"subject": "Hello"}}
			if err := f.Deliver(context.Background(), d); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	lines := 0
	for sc := bufio.NewScanner(file); sc.Scan(); lines++ {
		var d service.Delivery
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil || d.Channel != "email" {
			t.Fatalf("line %d = %q (%v), want a delivery", lines+1, sc.Text(), err)
		}
	}
	if lines != 50 {
		t.Errorf("sink holds %d lines, want one per delivery (50)", lines)
	}
}
