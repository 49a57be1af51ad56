package runner

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/goswan/goswan/testing/internal/topology"
)

// batch runs commands on host in one shell, each in its own subshell with
// its stdout, stderr and exit status kept apart, and returns one result per
// command. The runner's own bookkeeping (state files, leftover checks) runs
// this way: entering a host costs a few processes, which adds up under
// TCG in the kernel lane. The outputs travel back as a tar stream from a
// directory in the host's private /tmp.
func (t *test) batch(ctx context.Context, host string, commands []string) ([]topology.Result, error) {
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	dir := fmt.Sprintf("/tmp/.gsn-batch-%x", rnd)
	var b strings.Builder
	fmt.Fprintf(&b, "d=%s\nmkdir -m 0700 \"$d\" || exit 125\n", dir)
	for i, c := range commands {
		fmt.Fprintf(&b, "(\n%s\n) >\"$d/%d.out\" 2>\"$d/%d.err\" </dev/null; echo $? >\"$d/%d.rc\"\n", c, i, i, i)
	}
	b.WriteString("tar -C \"$d\" -cf - .\nrm -rf \"$d\"\n")
	res, err := t.run(ctx, host, b.String())
	if err != nil {
		return nil, err
	}
	if res.Err != nil || res.ExitCode != 0 {
		return nil, fmt.Errorf("%s: batch of %d commands: %v (exit %d) %s", host, len(commands), res.Err, res.ExitCode, bytes.TrimSpace(res.Stderr))
	}
	out := make([]topology.Result, len(commands))
	for i := range out {
		out[i].ExitCode = -1
	}
	tr := tar.NewReader(bytes.NewReader(res.Stdout))
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: batch output: %w", host, err)
		}
		name := strings.TrimPrefix(hdr.Name, "./")
		num, kind, ok := strings.Cut(name, ".")
		i, err := strconv.Atoi(num)
		if !ok || err != nil || i < 0 || i >= len(out) || hdr.Typeflag != tar.TypeReg {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		switch kind {
		case "out":
			out[i].Stdout = data
		case "err":
			out[i].Stderr = data
		case "rc":
			if n, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil {
				out[i].ExitCode = n
			}
		}
	}
	for i, r := range out {
		if r.ExitCode < 0 {
			return nil, fmt.Errorf("%s: batch: no exit status of %q", host, commands[i])
		}
	}
	return out, nil
}

// onHosts runs fn for every host in parallel and returns the first error
// in host order.
func onHosts(hosts []string, fn func(i int, host string) error) error {
	errs := make([]error, len(hosts))
	var wg sync.WaitGroup
	for i, h := range hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn(i, h)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
