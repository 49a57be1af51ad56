module github.com/goswan/goswan

go 1.26.0

require (
	github.com/alecthomas/participle/v2 v2.1.4
	github.com/cloudflare/circl v1.6.5
	github.com/strongswan/govici v0.8.2
	github.com/vishvananda/netlink v1.3.1
	github.com/vishvananda/netns v0.0.5
	golang.org/x/crypto v0.58.0
	golang.org/x/sys v0.49.0
	golang.zx2c4.com/wireguard v0.0.0-20260522210424-ecfc5a8d5446
)

require (
	golang.org/x/net v0.60.0 // indirect
	golang.zx2c4.com/wintun v0.0.0-20230126152724-0fa3db229ce2 // indirect
)
