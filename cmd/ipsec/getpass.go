package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// getpass asks for a secret as glibc's getpass(3), which strongSwan's stroke
// client uses for the daemon's prompts: on the controlling terminal with
// echo off, or, without a terminal, by printing the prompt to stderr and
// reading a line from stdin.
func getpass(prompt string) (string, error) {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		fmt.Fprint(strokeStdio.err, prompt)
		return readSecretLine(strokeStdio.in)
	}
	defer tty.Close()
	fd := int(tty.Fd())
	old, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err == nil {
		quiet := *old
		quiet.Lflag &^= unix.ECHO | unix.ISIG
		if err := unix.IoctlSetTermios(fd, unix.TCSETSF, &quiet); err == nil {
			defer func() {
				unix.IoctlSetTermios(fd, unix.TCSETSF, old)
				fmt.Fprint(tty, "\n") // the newline the user typed was not echoed
			}()
		}
	}
	fmt.Fprint(tty, prompt)
	return readSecretLine(tty)
}

// readSecretLine reads one line without its newline, a byte at a time so
// that a later prompt finds the next line still unread; EOF before any byte
// is an error, since there is no answer to send.
func readSecretLine(r io.Reader) (string, error) {
	var line []byte
	b := make([]byte, 1)
	for {
		n, err := r.Read(b)
		if n == 1 {
			if b[0] == '\n' {
				return string(line), nil
			}
			line = append(line, b[0])
			continue
		}
		if err == io.EOF && len(line) > 0 {
			return string(line), nil
		}
		if err == io.EOF {
			return "", errors.New("no answer (end of input)")
		}
		if err != nil {
			return "", err
		}
	}
}
