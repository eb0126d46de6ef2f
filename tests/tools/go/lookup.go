// SPDX-License-Identifier: BSD-3-Clause
// lookup.go - a pure-Go resolver client for the end-to-end tests, built at test time with CGO_ENABLED=0 like
// the official vault, terraform and kubectl releases: it never loads NSS modules and reads /etc/hosts and
// /etc/resolv.conf itself.
//
//	lookup host NAME   net.LookupHost: the addresses, sorted, one per line
//	lookup addr IP     net.LookupAddr: the names, one per line
//
// A name that does not exist prints "error: no such host" (exit 2); any other failure "error: ..." (exit 3).
package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sort"
)

func main() {
	if len(os.Args) != 3 || (os.Args[1] != "host" && os.Args[1] != "addr") {
		fmt.Fprintln(os.Stderr, "usage: lookup host NAME | lookup addr IP")
		os.Exit(64)
	}
	var out []string
	var err error
	if os.Args[1] == "host" {
		out, err = net.LookupHost(os.Args[2])
	} else {
		out, err = net.LookupAddr(os.Args[2])
	}
	if err != nil {
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
			fmt.Println("error: no such host")
			os.Exit(2)
		}
		fmt.Println("error:", err)
		os.Exit(3)
	}
	sort.Strings(out)
	for _, s := range out {
		fmt.Println(s)
	}
}
