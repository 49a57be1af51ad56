package main

import (
	"fmt"

	"github.com/goswan/goswan/internal/version"
)

func init() {
	printVersion := func([]string) int {
		fmt.Printf("Linux strongSwan %s\n", version.IpsecVersionCode())
		fmt.Printf("goswan %s, a strongSwan-compatible IKEv2 daemon in Go\n", version.Goswan)
		return 0
	}
	register("version", command{run: printVersion})
	register("--version", command{run: printVersion})
	register("--versioncode", command{run: func([]string) int {
		fmt.Println(version.IpsecVersionCode())
		return 0
	}})
}
