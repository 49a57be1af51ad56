//go:build !race

package sa_test

const raceEnabled = false
