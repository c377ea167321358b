package customers

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// line is one record of a file with the line it starts on, or why it could not be read.
type line struct {
	number int
	record record
	err    error
}

// csvRecord is a CSV row keyed by the header's column names.
type csvRecord struct {
	columns map[string]int
	cells   []string
}

func (r csvRecord) get(column string) (any, bool) {
	i, ok := r.columns[column]
	if !ok || i >= len(r.cells) {
		return nil, false
	}
	return r.cells[i], true
}

// jsonRecord is one JSON object; a dotted column reads a nested object.
type jsonRecord map[string]any

func (r jsonRecord) get(column string) (any, bool) {
	var v any = map[string]any(r)
	for _, part := range strings.Split(column, ".") {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = obj[part]; !ok {
			return nil, false
		}
	}
	return v, true
}

// readCSV calls fn with every row of a CSV file whose first row names the columns. A
// row that cannot be read (a stray quote, a wrong number of cells) comes with its
// error and the reading goes on; a header that lacks a mapped column stops it.
func readCSV(r io.Reader, delimiter rune, required []string, fn func(line) error) error {
	cr := csv.NewReader(bufio.NewReaderSize(r, 1<<16))
	cr.Comma = delimiter
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err != nil {
		return fmt.Errorf("read the header row: %w", err)
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff") // a byte-order mark from a spreadsheet
	}
	columns := make(map[string]int, len(header))
	for i, h := range header {
		columns[strings.TrimSpace(h)] = i
	}
	var missing []string
	for _, c := range required {
		if _, ok := columns[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("the header row has no column %s (it has %s)", strings.Join(missing, ", "), strings.Join(header, ", "))
	}
	cr.FieldsPerRecord = len(header)
	for {
		cells, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		var start int
		var parseErr *csv.ParseError
		switch {
		case errors.As(err, &parseErr):
			start = parseErr.StartLine
			if errors.Is(parseErr.Err, csv.ErrFieldCount) {
				err = fmt.Errorf("%d cells, the header has %d", len(cells), len(header))
			} else {
				err = parseErr.Err
			}
		case err != nil:
			return fmt.Errorf("read the file: %w", err)
		default:
			start, _ = cr.FieldPos(0)
		}
		if err == nil {
			for _, c := range cells {
				if !utf8.ValidString(c) {
					err = errors.New("not valid UTF-8 (save the file as UTF-8)")
					break
				}
			}
		}
		if err := fn(line{number: start, record: csvRecord{columns: columns, cells: cells}, err: err}); err != nil {
			return err
		}
	}
}

// readJSONL calls fn with every non-blank line of a JSON Lines file, each an object.
func readJSONL(r io.Reader, fn func(line) error) error {
	br := bufio.NewReaderSize(r, 1<<16)
	for n := 1; ; n++ {
		text, err := br.ReadBytes('\n')
		if len(bytes.TrimSpace(text)) > 0 {
			l := line{number: n}
			var obj map[string]any
			dec := json.NewDecoder(bytes.NewReader(text))
			switch derr := dec.Decode(&obj); {
			case derr != nil:
				l.err = fmt.Errorf("not a JSON object: %v", derr)
			case dec.More():
				l.err = errors.New("more than one JSON value on the line")
			default:
				l.record = jsonRecord(obj)
			}
			if ferr := fn(l); ferr != nil {
				return ferr
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read line %d: %w", n, err)
		}
	}
}
