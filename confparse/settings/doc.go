// Package settings reads strongswan.conf as libstrongswan 5.9.8 does
// (src/libstrongswan/settings: settings_lexer.l, settings_parser.y,
// settings_types.c, settings.c): nested sections merged by name, key=value
// with values to the end of the line, quoted strings, includes spliced in
// where they appear (globs relative to the including file), section
// references ("name : template { }") that lookups fall back to, and the
// STRONGSWAN_CONF environment variable.
//
// The typed lookups (Str, Bool, Int, Uint64, Double, Time) convert as
// libstrongswan does and return the default when a value does not convert.
// Plugins computes the plugin load order of plugin_loader.c,
// FileLoggers/SyslogLoggers the logger sections of daemon.c, and Charon the
// daemon options goswan needs, with strongSwan's defaults.
//
// A file with a syntax error is not used at all, as in libstrongswan: Load
// then returns empty settings with the problems.
package settings
