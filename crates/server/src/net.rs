//! Client addresses. `X-Forwarded-For` is believed only when the direct peer
//! is a configured trusted proxy; then the client is the right-most address
//! that is not itself a trusted proxy (earlier entries are client-controlled).

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;

#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl TrustedProxies {
    /// Parses a comma-separated list of addresses or CIDR blocks, e.g.
    /// `127.0.0.1, 10.0.0.0/8, ::1`.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut out = vec![];
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (addr, bits) = match item.split_once('/') {
                Some((a, b)) => (a, Some(b.parse::<u8>().map_err(|_| format!("bad prefix length in {item:?}"))?)),
                None => (item, None),
            };
            let ip: IpAddr = addr.parse().map_err(|_| format!("bad address {item:?}"))?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let bits = bits.unwrap_or(max);
            if bits > max {
                return Err(format!("prefix too long in {item:?}"));
            }
            out.push((ip, bits));
        }
        Ok(TrustedProxies(out))
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|(net, bits)| in_net(ip, *net, *bits))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn in_net(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    };
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = if bits == 0 { 0 } else { u128::MAX << (128 - bits) };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// The client's address for rate limits and logs.
pub fn client_ip(peer: Option<SocketAddr>, headers: &HeaderMap, trusted: &TrustedProxies) -> Option<IpAddr> {
    let peer = peer?.ip();
    if trusted.is_empty() || !trusted.contains(peer) {
        return Some(peer);
    }
    let hops: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    Some(hops.into_iter().rev().find(|ip| !trusted.contains(*ip)).unwrap_or(peer))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(xff: &str) -> HeaderMap {
        let mut m = HeaderMap::new();
        m.insert("x-forwarded-for", xff.parse().unwrap());
        m
    }

    #[test]
    fn forwarded_for_only_from_trusted_peers() {
        let t = TrustedProxies::parse("10.0.0.0/8, ::1").unwrap();
        let direct: SocketAddr = "203.0.113.9:5000".parse().unwrap();
        let proxy: SocketAddr = "10.1.2.3:5000".parse().unwrap();
        // An untrusted peer cannot spoof its address.
        assert_eq!(client_ip(Some(direct), &h("1.2.3.4"), &t), Some("203.0.113.9".parse().unwrap()));
        // Behind a trusted proxy, the right-most untrusted hop is the client.
        assert_eq!(
            client_ip(Some(proxy), &h("6.6.6.6, 198.51.100.7, 10.9.9.9"), &t),
            Some("198.51.100.7".parse().unwrap())
        );
        assert_eq!(client_ip(Some(proxy), &HeaderMap::new(), &t), Some("10.1.2.3".parse().unwrap()));
        // With no trusted proxies configured, headers are ignored.
        assert_eq!(
            client_ip(Some(proxy), &h("1.2.3.4"), &TrustedProxies::default()),
            Some("10.1.2.3".parse().unwrap())
        );
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("nonsense").is_err());
    }
}
