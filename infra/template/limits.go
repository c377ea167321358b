package template

import "fmt"

// FunctionLimits returns a function's Timeout (seconds) and MemorySize (MB): its own
// properties, else Globals.Function's, else Lambda's defaults (3 s, 128 MB). The local
// stack gives them to the emulator, so a long batch is not cut at the emulator's
// default but where Lambda would cut it.
func (t *Template) FunctionLimits(logicalID string) (timeoutSec, memoryMB int, err error) {
	props, err := t.properties(logicalID)
	if err != nil {
		return 0, 0, fmt.Errorf("function limits: %w", err)
	}
	globals := map[string]any{}
	if g, ok := t.doc["Globals"].(map[string]any); ok {
		if f, ok := g["Function"].(map[string]any); ok {
			globals = f
		}
	}
	setting := func(name string, def int) (int, error) {
		for _, src := range []map[string]any{props, globals} {
			if v, ok := src[name]; ok {
				return integer(v, logicalID+"."+name)
			}
		}
		return def, nil
	}
	if timeoutSec, err = setting("Timeout", 3); err != nil {
		return 0, 0, fmt.Errorf("function limits: %w", err)
	}
	if memoryMB, err = setting("MemorySize", 128); err != nil {
		return 0, 0, fmt.Errorf("function limits: %w", err)
	}
	return timeoutSec, memoryMB, nil
}
