// Package scenario reads test scenarios in strongSwan's testing format:
// a directory with test.conf, description.txt, pretest.dat, evaltest.dat,
// posttest.dat and hosts/<host>/etc/… configuration trees, whose files carry
// PH_IP_* address placeholders.
//
// It only parses and substitutes; running a scenario is package runner's
// job. The parsing rules follow strongSwan's testing/do-tests (awk -F "::"
// field splitting, "#" comment lines echoed, YES/NO/count expectations) and
// testing/scripts/load-testconfig (placeholder order), with the deviations
// documented on each function.
package scenario
