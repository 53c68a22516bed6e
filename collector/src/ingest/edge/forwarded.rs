//! Who the client is behind proxies: the socket peer, unless that peer is
//! a proxy we trust, in which case `X-Forwarded-For` is read from the
//! right (the hop our proxy appended) to the left, and the first address
//! that is not one of our proxies is the client. Entries left of it were
//! written by the client or by proxies we do not know, so they prove
//! nothing. Headers such as a CDN's country are believed only from
//! trusted proxies too ([`TrustedProxies::trusts`]).

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use axum::http::HeaderMap;

const FORWARDED_FOR: &str = "x-forwarded-for";

/// Proxies whose `X-Forwarded-For` (and country headers) are believed,
/// as CIDR blocks (`10.0.0.0/8`, `2001:db8::/32`, or a bare address).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Cidr>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl TrustedProxies {
    /// Parses configured entries; the error names the first bad one.
    pub fn parse(entries: &[String]) -> Result<Self, String> {
        entries
            .iter()
            .map(|entry| Cidr::parse(entry.trim()))
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    /// Whether `addr` is one of the trusted proxies.
    pub fn trusts(&self, addr: IpAddr) -> bool {
        let addr = addr.to_canonical();
        self.0.iter().any(|cidr| cidr.contains(addr))
    }
}

/// Who sent a request, found once at the edge ([`super::for_browsers`])
/// and kept with the request: the rate limit counts by it, and the RUM
/// receiver stores it (anonymised).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Client {
    /// The client's address; `None` without a socket peer (a request
    /// handed to a router in a test).
    pub ip: Option<IpAddr>,
    /// The socket peer is a trusted proxy, so headers it sets about the
    /// client (its country) are believed.
    pub via_trusted_proxy: bool,
}

impl Client {
    pub fn of(headers: &HeaderMap, peer: Option<SocketAddr>, trusted: &TrustedProxies) -> Self {
        Self {
            ip: peer.map(|peer| client_ip(peer.ip(), headers, trusted)),
            via_trusted_proxy: peer.is_some_and(|peer| trusted.trusts(peer.ip())),
        }
    }

    /// The client the edge found, else the socket peer itself (no proxy
    /// trusted).
    pub fn of_request(parts: &Parts) -> Self {
        parts
            .extensions
            .get::<Client>()
            .copied()
            .unwrap_or_else(|| {
                let peer = parts
                    .extensions
                    .get::<ConnectInfo<SocketAddr>>()
                    .map(|info| info.0);
                Client::of(&parts.headers, peer, &TrustedProxies::default())
            })
    }
}

/// The client's address: `peer` itself, unless `peer` is a trusted proxy;
/// then the right-most `X-Forwarded-For` entry that is not a trusted proxy
/// (all of them trusted: the left-most). An entry that is not an address
/// stops the walk at the last trusted hop, which is all that is known.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    let mut client = peer.to_canonical();
    if !trusted.trusts(client) {
        return client;
    }
    // Several headers are one list, in order (RFC 9110 §5.3).
    let hops: Vec<&str> = headers
        .get_all(FORWARDED_FOR)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .collect();
    for hop in hops.iter().rev() {
        let Some(addr) = parse_hop(hop) else {
            return client;
        };
        client = addr.to_canonical();
        if !trusted.trusts(client) {
            return client;
        }
    }
    client
}

/// An address as proxies write it: bare, or with a port (`1.2.3.4:5678`,
/// `[2001:db8::1]:443`).
fn parse_hop(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    text.parse::<IpAddr>()
        .ok()
        .or_else(|| text.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

impl Cidr {
    fn parse(entry: &str) -> Result<Self, String> {
        let bad = |why: &str| {
            format!("'{entry}' is not a CIDR block ({why}; e.g. 10.0.0.0/8, 2001:db8::/32 or 127.0.0.1)")
        };
        let (addr, prefix) = match entry.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (entry, None),
        };
        let network: IpAddr = addr.parse().map_err(|_| bad("not an IP address"))?;
        let network = network.to_canonical();
        let max = match network {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        };
        let prefix = match prefix {
            None => max,
            Some(text) => text
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| bad(&format!("the prefix must be 0 to {max}")))?,
        };
        Ok(Self { network, prefix })
    }

    fn contains(&self, addr: IpAddr) -> bool {
        match (self.network, addr) {
            (IpAddr::V4(net), IpAddr::V4(addr)) => {
                let mask = mask_u32(self.prefix);
                u32::from(net) & mask == u32::from(addr) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(addr)) => {
                let mask = mask_u128(self.prefix);
                u128::from(net) & mask == u128::from(addr) & mask
            }
            _ => false,
        }
    }
}

fn mask_u32(prefix: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0)
}

fn mask_u128(prefix: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trusted(entries: &[&str]) -> TrustedProxies {
        let entries: Vec<String> = entries.iter().map(|e| e.to_string()).collect();
        TrustedProxies::parse(&entries).expect("valid")
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(FORWARDED_FOR, value.parse().unwrap());
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let headers = forwarded(&["203.0.113.9"]);
        let none = TrustedProxies::default();
        assert_eq!(
            client_ip(ip("198.51.100.23"), &headers, &none),
            ip("198.51.100.23")
        );
        let other = trusted(&["10.0.0.0/8"]);
        assert_eq!(
            client_ip(ip("198.51.100.23"), &headers, &other),
            ip("198.51.100.23")
        );
    }

    #[test]
    fn behind_trusted_proxies_the_right_most_untrusted_hop_is_the_client() {
        let proxies = trusted(&["10.0.0.0/8", "2001:db8:ffff::/48"]);
        // The client forged the first entry; our proxies appended the rest.
        let headers = forwarded(&["1.1.1.1, 203.0.113.9", "10.1.2.3"]);
        assert_eq!(
            client_ip(ip("10.0.0.5"), &headers, &proxies),
            ip("203.0.113.9")
        );
        let v6 = forwarded(&["[2001:db8:aa::1]:443, 2001:db8:ffff::7"]);
        assert_eq!(
            client_ip(ip("10.0.0.5"), &v6, &proxies),
            ip("2001:db8:aa::1")
        );
        // Every hop is ours: the left-most is as far as we can see.
        let internal = forwarded(&["10.9.9.9, 10.1.1.1"]);
        assert_eq!(
            client_ip(ip("10.0.0.5"), &internal, &proxies),
            ip("10.9.9.9")
        );
        // No header: the proxy itself.
        assert_eq!(
            client_ip(ip("10.0.0.5"), &HeaderMap::new(), &proxies),
            ip("10.0.0.5")
        );
        // Garbage stops the walk at the last hop we trust.
        let garbage = forwarded(&["203.0.113.9, unknown, 10.1.1.1"]);
        assert_eq!(
            client_ip(ip("10.0.0.5"), &garbage, &proxies),
            ip("10.1.1.1")
        );
        let with_port = forwarded(&["203.0.113.9:4711"]);
        assert_eq!(
            client_ip(ip("10.0.0.5"), &with_port, &proxies),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn ipv4_mapped_peers_match_ipv4_blocks() {
        let proxies = trusted(&["127.0.0.1"]);
        assert!(proxies.trusts(ip("::ffff:127.0.0.1")));
        assert!(!proxies.trusts(ip("127.0.0.2")));
        assert!(trusted(&["0.0.0.0/0"]).trusts(ip("8.8.8.8")));
        assert!(!trusted(&["0.0.0.0/0"]).trusts(ip("2001:db8::1")));
        assert!(trusted(&["::/0"]).trusts(ip("2001:db8::1")));
    }

    #[test]
    fn entries_that_are_not_cidr_blocks_are_named() {
        for bad in [
            "10.0.0.0/33",
            "10.0.0/8",
            "proxy.internal",
            "::/129",
            "10.0.0.0/x",
        ] {
            let error = TrustedProxies::parse(&[bad.to_owned()]).unwrap_err();
            assert!(error.contains(bad), "{error}");
        }
    }
}
