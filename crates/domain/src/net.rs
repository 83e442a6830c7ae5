//! Which IP addresses are on the public internet, for the webhook SSRF guard.
//!
//! The tables follow the IANA registries (see "SSRF guard" in docs/automation.md for the
//! references): an address is public only if its block is *globally
//! reachable*. IPv6 goes further and allows only the one block IANA gives to
//! global unicast (2000::/3, RFC 4291 §2.4), so every reserved, site-local,
//! IPv4-compatible or IPv4-translated form outside it is refused without a
//! row of its own. Forms that embed an IPv4 address and route to it (6to4,
//! Teredo, NAT64) are refused whatever the address they carry: a relay on the
//! way may reach the inside. IPv4-mapped addresses are judged by their IPv4.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{Ipv4Net, Ipv6Net};

/// IANA IPv4 Special-Purpose Address Registry: blocks not globally
/// reachable (plus multicast and the 6to4 relay anycast block, which the
/// registry marks N/A). Entries that are globally reachable inside these
/// blocks are in [`V4_GLOBAL_EXCEPTIONS`].
const V4_NOT_GLOBAL: &[(&str, &str)] = &[
    ("0.0.0.0/8", "RFC 791: this network"),
    ("10.0.0.0/8", "RFC 1918: private use"),
    ("100.64.0.0/10", "RFC 6598: shared address space (carrier-grade NAT)"),
    ("127.0.0.0/8", "RFC 1122: loopback"),
    ("169.254.0.0/16", "RFC 3927: link local (cloud metadata lives here)"),
    ("172.16.0.0/12", "RFC 1918: private use"),
    ("192.0.0.0/24", "RFC 6890: IETF protocol assignments"),
    ("192.0.2.0/24", "RFC 5737: documentation (TEST-NET-1)"),
    ("192.88.99.0/24", "RFC 7526: deprecated 6to4 relay anycast"),
    ("192.168.0.0/16", "RFC 1918: private use"),
    ("198.18.0.0/15", "RFC 2544: benchmarking"),
    ("198.51.100.0/24", "RFC 5737: documentation (TEST-NET-2)"),
    ("203.0.113.0/24", "RFC 5737: documentation (TEST-NET-3)"),
    ("224.0.0.0/4", "RFC 5771: multicast"),
    ("240.0.0.0/4", "RFC 1112: reserved (and 255.255.255.255, limited broadcast)"),
];

/// Globally reachable entries inside the blocks above (the registry's own exceptions).
const V4_GLOBAL_EXCEPTIONS: &[(&str, &str)] =
    &[("192.0.0.9/32", "RFC 7723: port control protocol anycast"), ("192.0.0.10/32", "RFC 8155: TURN anycast")];

/// IANA IPv6 Address Space: the one block allocated to global unicast.
const V6_GLOBAL_UNICAST: &str = "2000::/3";

/// IANA IPv6 Special-Purpose Address Registry, the entries inside 2000::/3
/// that are not globally reachable or that embed an IPv4 address.
const V6_NOT_GLOBAL: &[(&str, &str)] = &[
    ("2001::/23", "RFC 2928: IETF protocol assignments"),
    ("2001::/32", "RFC 4380: Teredo (embeds IPv4 addresses)"),
    ("2001:2::/48", "RFC 5180: benchmarking"),
    ("2001:10::/28", "RFC 4843: deprecated ORCHID"),
    ("2001:db8::/32", "RFC 3849: documentation"),
    ("2002::/16", "RFC 3056: 6to4 (embeds an IPv4 address)"),
    ("3fff::/20", "RFC 9637: documentation"),
];

/// Globally reachable entries inside 2001::/23 (the registry's exceptions).
const V6_GLOBAL_EXCEPTIONS: &[(&str, &str)] = &[
    ("2001:1::1/128", "RFC 7723: port control protocol anycast"),
    ("2001:1::2/128", "RFC 8155: TURN anycast"),
    ("2001:1::3/128", "RFC 9665: DNS-SD service registration protocol anycast"),
    ("2001:3::/32", "RFC 7450: AMT"),
    ("2001:4:112::/48", "RFC 7535: AS112-v6"),
    ("2001:20::/28", "RFC 7343: ORCHIDv2"),
    ("2001:30::/28", "RFC 9374: drone remote ID protocol entity tags"),
];

fn in_v4(ip: Ipv4Addr, table: &[(&str, &str)]) -> bool {
    table.iter().any(|(net, _)| net.parse::<Ipv4Net>().expect("a valid block").contains(&ip))
}

fn in_v6(ip: Ipv6Addr, table: &[(&str, &str)]) -> bool {
    table.iter().any(|(net, _)| net.parse::<Ipv6Net>().expect("a valid block").contains(&ip))
}

/// Whether an address is on the public internet (globally reachable).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => !in_v4(v4, V4_NOT_GLOBAL) || in_v4(v4, V4_GLOBAL_EXCEPTIONS),
        IpAddr::V6(v6) => {
            // ::ffff:a.b.c.d is how dual-stack sockets show an IPv4 peer.
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let unicast: Ipv6Net = V6_GLOBAL_UNICAST.parse().expect("a valid block");
            unicast.contains(&v6) && (!in_v6(v6, V6_NOT_GLOBAL) || in_v6(v6, V6_GLOBAL_EXCEPTIONS))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(s: &str) -> bool {
        is_public(s.parse().unwrap())
    }

    #[test]
    fn internal_and_special_ipv4_is_refused() {
        for ip in [
            "0.0.0.0",
            "0.1.2.3",
            "10.1.2.3",
            "100.64.0.1",
            "100.127.255.254",
            "127.0.0.1",
            "127.255.0.9",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.1",
            "192.0.0.170",
            "192.0.2.7",
            "192.88.99.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.19.255.1",
            "198.51.100.2",
            "203.0.113.9",
            "224.0.0.251",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
        ] {
            assert!(!public(ip), "{ip}");
        }
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "100.63.255.255",
            "100.128.0.1",
            "172.32.0.1",
            "192.0.0.9",
            "192.0.0.10",
            "198.20.0.1",
        ] {
            assert!(public(ip), "{ip}");
        }
    }

    #[test]
    fn ipv6_outside_global_unicast_or_embedding_ipv4_is_refused() {
        for ip in [
            "::",
            "::1",
            // IPv4-compatible (::/96, RFC 4291 §2.5.5.1) and IPv4-translated (::ffff:0:0:0/96, RFC 2765).
            "::127.0.0.1",
            "::10.0.0.1",
            "::8.8.8.8",
            "::ffff:0:127.0.0.1",
            "::ffff:0:8.8.8.8",
            // IPv4-mapped: judged by the IPv4 address.
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
            "64:ff9b::808:808",
            "64:ff9b:1::1",
            "100::1",
            "2001::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "2001:2::1",
            "2001:10::1",
            "2001:db8::1",
            "2002:7f00:1::1",
            "2002:a00:1::1",
            "2002:808:808::1",
            "3fff::1",
            "5f00::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "feff::1",
            "ff02::1",
            "4000::1",
        ] {
            assert!(!public(ip), "{ip}");
        }
        for ip in ["2606:4700:4700::1111", "2400:3200::1", "::ffff:8.8.8.8", "2001:4:112::1", "2001:20::1", "2001:1::1"]
        {
            assert!(public(ip), "{ip}");
        }
    }

    #[test]
    fn every_table_row_parses() {
        for (net, _) in V4_NOT_GLOBAL.iter().chain(V4_GLOBAL_EXCEPTIONS) {
            net.parse::<Ipv4Net>().unwrap();
        }
        for (net, _) in V6_NOT_GLOBAL.iter().chain(V6_GLOBAL_EXCEPTIONS) {
            net.parse::<Ipv6Net>().unwrap();
        }
    }
}
