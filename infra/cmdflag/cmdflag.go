// Package cmdflag holds what the operator commands share in reading a command line.
package cmdflag

import "flag"

// ParseInterleaved parses flags that may come before, between or after the positional
// arguments (`catalog publish demo.yaml -yes` as well as `catalog publish -yes
// demo.yaml`), which the flag package alone stops at, and returns the positional
// arguments in order.
func ParseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}
