package main

import (
	"fmt"
	"strings"
)

// strokeOptions are the options of strongSwan's stroke program.
type strokeOptions struct {
	help   bool   // -h, --help: print usage to stdout, exit 0
	daemon string // -d NAME, --daemon=NAME: whose socket setting to use
	utc    bool   // --utc: list times in UTC
}

// parseStrokeArgs parses stroke's options the way glibc's getopt_long with
// "hd:" and the long options help, utc, daemon does: options may come
// anywhere (non-options are collected in order), long options may be
// abbreviated, "--" ends the options, and options are acted on in the order
// they come, so the first -h or the first bad option decides. A bad option
// yields getopt's own message (without the program name); the caller adds
// stroke's usage.
func parseStrokeArgs(args []string) (opts strokeOptions, positional []string, errMsg string) {
	opts.daemon = "charon"
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return opts, append(positional, args[i+1:]...), ""
		case strings.HasPrefix(a, "--"):
			name, value, hasValue := strings.Cut(a[2:], "=")
			long := matchLongOption(name)
			switch long {
			case "":
				return opts, nil, fmt.Sprintf("unrecognized option '%s'", a)
			case "help", "utc":
				if hasValue {
					return opts, nil, fmt.Sprintf("option '--%s' doesn't allow an argument", long)
				}
				if long == "help" {
					opts.help = true
					return opts, positional, ""
				}
				opts.utc = true
			case "daemon":
				switch {
				case hasValue:
					opts.daemon = value
				case i+1 < len(args):
					i++
					opts.daemon = args[i]
				default:
					return opts, nil, "option '--daemon' requires an argument"
				}
			}
		case len(a) > 1 && a[0] == '-':
			for j := 1; j < len(a); j++ {
				switch c := a[j]; c {
				case 'h':
					opts.help = true
					return opts, positional, ""
				case 'd':
					switch {
					case j+1 < len(a):
						opts.daemon = a[j+1:]
					case i+1 < len(args):
						i++
						opts.daemon = args[i]
					default:
						return opts, nil, "option requires an argument -- 'd'"
					}
					j = len(a)
				default:
					return opts, nil, fmt.Sprintf("invalid option -- '%c'", c)
				}
			}
		default:
			positional = append(positional, a)
		}
	}
	return opts, positional, ""
}

// matchLongOption resolves an exact or unambiguously abbreviated long
// option name ("" if none matches). stroke's three names differ in their
// first letter, so a prefix is never ambiguous.
func matchLongOption(name string) string {
	if name == "" {
		return ""
	}
	for _, long := range []string{"help", "utc", "daemon"} {
		if strings.HasPrefix(long, name) {
			return long
		}
	}
	return ""
}
