module github.com/goswan/goswan

go 1.26.0

require (
	github.com/alecthomas/participle/v2 v2.1.4
	github.com/vishvananda/netlink v1.3.1 // indirect
	github.com/vishvananda/netns v0.0.5 // indirect
	golang.org/x/crypto v0.58.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
)
