//! Who is asking: the peer's address, or, behind proxies we run ourselves, the
//! rightmost `X-Forwarded-For` address that is not one of them. Everything to the
//! left of that was written by the client and proves nothing.

use std::net::IpAddr;

/// An address range ("10.0.0.0/8", "::1/128", or one address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    bits: u8,
}

impl Cidr {
    pub fn parse(raw: &str) -> Option<Cidr> {
        let raw = raw.trim();
        let (addr, bits) = match raw.split_once('/') {
            Some((a, b)) => (a.parse::<IpAddr>().ok()?, Some(b.parse::<u8>().ok()?)),
            None => (raw.parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let bits = bits.unwrap_or(max);
        (bits <= max).then_some(Cidr { net: addr, bits })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.net, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.bits)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.bits)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// The proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<Cidr>);

impl TrustedProxies {
    /// A comma-separated list of ranges; an error names the first bad one.
    pub fn parse(raw: &str) -> Result<TrustedProxies, String> {
        raw.split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| Cidr::parse(p).ok_or_else(|| format!("not an address or CIDR range: {p:?}")))
            .collect::<Result<_, _>>()
            .map(TrustedProxies)
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|c| c.contains(ip))
    }
}

/// One `X-Forwarded-For` entry: an address, maybe with a port ("[::1]:80", "1.2.3.4:5").
fn entry(raw: &str) -> Option<IpAddr> {
    let raw = raw.trim();
    raw.parse::<IpAddr>()
        .ok()
        .or_else(|| raw.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
        .map(|ip| ip.to_canonical())
}

/// The client of a request that came from `peer` with these `X-Forwarded-For` values
/// (in header order). Only a trusted peer's header is read, from the right, skipping
/// trusted proxies; an entry that is not an address ends the walk.
pub fn client_address<'a>(
    peer: Option<IpAddr>,
    forwarded_for: impl Iterator<Item = &'a str>,
    trusted: &TrustedProxies,
) -> Option<IpAddr> {
    let mut client = peer?.to_canonical();
    if !trusted.contains(client) {
        return Some(client);
    }
    let hops: Vec<&str> = forwarded_for.flat_map(|v| v.split(',')).collect();
    for hop in hops.iter().rev() {
        match entry(hop) {
            Some(ip) => {
                client = ip;
                if !trusted.contains(ip) {
                    break;
                }
            }
            None => break,
        }
    }
    Some(client)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ranges() {
        let lan = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(lan.contains(ip("10.1.2.3")) && !lan.contains(ip("11.0.0.1")));
        assert!(Cidr::parse("::1").unwrap().contains(ip("::1")));
        assert!(Cidr::parse("127.0.0.1").unwrap().contains(ip("::ffff:127.0.0.1")));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        assert!(!Cidr::parse("0.0.0.0/0").unwrap().contains(ip("::2")));
        assert_eq!(Cidr::parse("10.0.0.0/33"), None);
        assert_eq!(Cidr::parse("example.com"), None);
        assert!(TrustedProxies::parse("127.0.0.1/32, ::1/128").is_ok());
        assert!(TrustedProxies::parse("127.0.0.1/32, nope").is_err());
    }

    #[test]
    fn the_rightmost_untrusted_address_is_the_client() {
        let trusted = TrustedProxies::parse("127.0.0.1/32,10.0.0.0/8").unwrap();
        let peer = Some(ip("127.0.0.1"));
        let c = |xff: &[&str]| client_address(peer, xff.iter().copied(), &trusted);
        // The client wrote "6.6.6.6"; our proxy appended the address it saw.
        assert_eq!(c(&["6.6.6.6, 203.0.113.7"]), Some(ip("203.0.113.7")));
        assert_eq!(c(&["6.6.6.6", "203.0.113.7, 10.0.0.2"]), Some(ip("203.0.113.7")));
        assert_eq!(c(&[]), peer);
        assert_eq!(c(&["garbage, 10.0.0.5"]), Some(ip("10.0.0.5")));
        assert_eq!(c(&["[2001:db8::1]:443"]), Some(ip("2001:db8::1")));
        // An untrusted peer's header is not read at all.
        let stranger = Some(ip("198.51.100.9"));
        assert_eq!(client_address(stranger, ["6.6.6.6"].into_iter(), &trusted), stranger);
    }
}
