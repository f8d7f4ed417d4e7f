//! The client's address: the peer, or, when the peer is one of the city's
//! trusted reverse proxies, the right-most address in `X-Forwarded-For` (or
//! `Forwarded`) that is not itself a trusted proxy.

use std::net::IpAddr;
use std::str::FromStr;

use actix_web::http::header::HeaderMap;
use actix_web::{HttpMessage, HttpRequest};
use ipnet::IpNet;

/// The networks whose forwarding headers are believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    networks: Vec<IpNet>,
}

impl FromStr for TrustedProxies {
    type Err = String;

    /// A comma-separated list of CIDRs or single addresses.
    fn from_str(list: &str) -> Result<TrustedProxies, String> {
        list.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(parse_network)
            .collect::<Result<Vec<_>, _>>()
            .map(|networks| TrustedProxies { networks })
    }
}

impl TrustedProxies {
    /// Parses each item as a CIDR (`10.0.0.0/8`) or a single address.
    pub fn new(items: &[String]) -> Result<TrustedProxies, String> {
        items
            .iter()
            .map(|item| parse_network(item.trim()))
            .collect::<Result<Vec<_>, _>>()
            .map(|networks| TrustedProxies { networks })
    }

    /// Whether `address` is one of the trusted proxies.
    pub fn contains(&self, address: IpAddr) -> bool {
        let address = canonical(address);
        self.networks.iter().any(|net| net.contains(&address))
    }

    /// The client of a request from `peer` with these headers.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        if !self.contains(peer) {
            return peer;
        }
        // Hops from the nearest (right-most) back; the first one that is
        // not a trusted proxy is the client. An unreadable hop stops the
        // walk: what lies before it cannot be trusted.
        let mut client = peer;
        for hop in forwarded_hops(headers).into_iter().rev() {
            let Some(address) = hop else { break };
            client = address;
            if !self.contains(address) {
                break;
            }
        }
        client
    }
}

fn parse_network(item: &str) -> Result<IpNet, String> {
    item.parse::<IpNet>()
        .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| {
            format!("`{item}` is not an address or CIDR network (like 10.0.0.0/8 or 127.0.0.1)")
        })
}

/// IPv4 addresses mapped into IPv6 (`::ffff:10.0.0.1`) as plain IPv4.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// The addresses the proxies recorded, first hop first: from
/// `X-Forwarded-For` when present, else from `Forwarded`'s `for=`.
/// `None` stands for a hop that is not a readable address.
fn forwarded_hops(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let x_forwarded_for: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    if !x_forwarded_for.is_empty() {
        return x_forwarded_for.into_iter().map(parse_hop).collect();
    }
    headers
        .get_all("forwarded")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (key, value) = pair.split_once('=')?;
                key.trim()
                    .eq_ignore_ascii_case("for")
                    .then(|| parse_hop(value))
            })
        })
        .collect()
}

/// One hop: `203.0.113.7`, `203.0.113.7:4711`, `"[2001:db8::1]:4711"`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim().trim_matches('"');
    if let Ok(address) = hop.parse::<IpAddr>() {
        return Some(canonical(address));
    }
    if let Some(rest) = hop.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok().map(canonical);
    }
    let (host, port) = hop.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse().ok().map(canonical)
}

/// A client address as logs keep it: its network, not the host
/// (`203.0.113.0/24`, `2001:db8:1::/48`), like the masked messages of the
/// query log.
pub fn network_of(address: IpAddr) -> String {
    let address = canonical(address);
    let prefix = if address.is_ipv4() { 24 } else { 48 };
    IpNet::new(address, prefix)
        .map(|net| net.trunc().to_string())
        .unwrap_or_default()
}

/// The resolved client of a request, put into the request's extensions by
/// the server so that every handler and log line sees the same one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

impl ClientAddress {
    /// The client of `request`; the peer when the server did not resolve
    /// one, and the unspecified address when there is no peer (tests).
    pub fn of(request: &HttpRequest) -> IpAddr {
        request
            .extensions()
            .get::<ClientAddress>()
            .map(|c| c.0)
            .or_else(|| request.peer_addr().map(|a| canonical(a.ip())))
            .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn the_peer_is_the_client_unless_it_is_a_trusted_proxy() {
        let trusted: TrustedProxies = "127.0.0.1, 10.0.0.0/8".parse().unwrap();
        let spoofed = headers(&[("x-forwarded-for", "198.51.100.9")]);
        assert_eq!(
            trusted.client(ip("203.0.113.5"), &spoofed),
            ip("203.0.113.5")
        );
        assert_eq!(
            trusted.client(ip("127.0.0.1"), &spoofed),
            ip("198.51.100.9")
        );
        let none = TrustedProxies::default();
        assert_eq!(none.client(ip("127.0.0.1"), &spoofed), ip("127.0.0.1"));
    }

    #[test]
    fn the_right_most_untrusted_hop_is_the_client() {
        let trusted: TrustedProxies = "127.0.0.1,10.0.0.0/8".parse().unwrap();
        // The client put a fake address first; the proxies appended theirs.
        let chain = headers(&[("x-forwarded-for", "1.2.3.4, 203.0.113.7, 10.1.2.3")]);
        assert_eq!(trusted.client(ip("127.0.0.1"), &chain), ip("203.0.113.7"));
        // Two headers count as one list.
        let split = headers(&[
            ("x-forwarded-for", "1.2.3.4"),
            ("x-forwarded-for", "203.0.113.8"),
        ]);
        assert_eq!(trusted.client(ip("10.0.0.1"), &split), ip("203.0.113.8"));
        // Everyone on the chain is trusted: the first hop is the client.
        let internal = headers(&[("x-forwarded-for", "10.9.9.9, 10.1.1.1")]);
        assert_eq!(trusted.client(ip("127.0.0.1"), &internal), ip("10.9.9.9"));
        // An unreadable hop stops the walk at the last trusted address.
        let garbage = headers(&[("x-forwarded-for", "203.0.113.7, nonsense")]);
        assert_eq!(trusted.client(ip("127.0.0.1"), &garbage), ip("127.0.0.1"));
    }

    #[test]
    fn forwarded_is_read_when_x_forwarded_for_is_absent() {
        let trusted: TrustedProxies = "::1, 127.0.0.0/8".parse().unwrap();
        let forwarded = headers(&[(
            "forwarded",
            "for=192.0.2.60;proto=http, for=\"[2001:db8:cafe::17]:4711\"",
        )]);
        assert_eq!(
            trusted.client(ip("::1"), &forwarded),
            ip("2001:db8:cafe::17")
        );
        let with_port = headers(&[("x-forwarded-for", "198.51.100.1:5000")]);
        assert_eq!(
            trusted.client(ip("127.0.0.2"), &with_port),
            ip("198.51.100.1")
        );
        let mapped = ip("::ffff:127.0.0.1");
        assert_eq!(trusted.client(mapped, &with_port), ip("198.51.100.1"));
    }

    #[test]
    fn logs_keep_the_network_only() {
        assert_eq!(network_of(ip("203.0.113.77")), "203.0.113.0/24");
        assert_eq!(network_of(ip("2001:db8:1:2::5")), "2001:db8:1::/48");
        assert_eq!(network_of(ip("::ffff:198.51.100.9")), "198.51.100.0/24");
    }

    #[test]
    fn bad_networks_are_errors_that_show_the_form() {
        let err = "10.0.0.0/33".parse::<TrustedProxies>().unwrap_err();
        assert!(err.contains("10.0.0.0/33") && err.contains("CIDR"), "{err}");
        assert!(TrustedProxies::new(&["localhost".into()]).is_err());
    }
}
