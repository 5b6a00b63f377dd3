package main

import "strconv"

// reportLine is one console line, key=value with value Go-quoted so that it
// stays on one line whatever the server sent (the bridge unquotes it).
func reportLine(key, value string) string {
	return key + "=" + strconv.Quote(value) + "\n"
}
