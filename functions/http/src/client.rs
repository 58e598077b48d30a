//! Who is asking: a public request's client address as the deployment sees
//! it. Behind the tenant's CloudFront distribution, the viewer address its
//! function sets; behind API Gateway alone, the request context's source
//! address; in the local server, the peer, or (behind a reverse proxy the
//! operator vouches for) the address the proxy appended to
//! `X-Forwarded-For`. An IPv6 client is its /64.

use axum::extract::ConnectInfo;
use axum::http::{Extensions, HeaderMap};
use std::net::{IpAddr, Ipv6Addr, SocketAddr};

/// The header the distribution's viewer-request function sets to the
/// viewer's address, replacing any the client sent.
pub const VIEWER_HEADER: &str = "x-viewer-address";

/// Which hop names the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// The connection's peer, or API Gateway's source address.
    Direct,
    /// The last address in `X-Forwarded-For` (a reverse proxy the local
    /// operator vouches for).
    ForwardedFor,
    /// [`VIEWER_HEADER`]: only requests that came through the tenant's
    /// distribution get this far ([`crate::middleware::origin`]).
    Edge,
}

/// The client's address as limits, quotas and keyed hashes see it: an IPv4
/// address, or the /64 network of an IPv6 one (one host is handed a whole
/// /64 and can use any address in it).
pub fn address(extensions: &Extensions, headers: &HeaderMap, via: Via) -> Option<IpAddr> {
    peer(extensions, headers, via).map(network)
}

/// An address grouped as one client: IPv4 as is (and IPv4-mapped IPv6 as
/// IPv4), IPv6 by its /64.
pub fn network(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
        },
    }
}

fn peer(extensions: &Extensions, headers: &HeaderMap, via: Via) -> Option<IpAddr> {
    if via == Via::Edge {
        return headers
            .get(VIEWER_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok());
    }
    if let Some(source) = crate::gateway::source_ip(extensions) {
        return source?.parse().ok();
    }
    if via == Via::ForwardedFor
        && let Some(forwarded) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse().ok())
    {
        return Some(forwarded);
    }
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_proxy_is_believed_only_when_trusted() {
        let mut extensions = Extensions::new();
        extensions.insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 9))));
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "10.0.0.1, 198.51.100.7".parse().unwrap());
        assert_eq!(
            address(&extensions, &headers, Via::ForwardedFor),
            Some("198.51.100.7".parse().unwrap())
        );
        assert_eq!(
            address(&extensions, &headers, Via::Direct),
            Some("127.0.0.1".parse().unwrap())
        );
        assert_eq!(
            address(&Extensions::new(), &HeaderMap::new(), Via::ForwardedFor),
            None
        );
    }

    #[test]
    #[cfg(feature = "lambda")]
    fn behind_the_distribution_its_viewer_header_names_the_client() {
        let mut extensions = Extensions::new();
        let mut context = aws_lambda_events::apigw::ApiGatewayV2httpRequestContext::default();
        context.http.source_ip = Some("130.176.0.1".into());
        extensions.insert(lambda_http::request::RequestContext::ApiGatewayV2(context));
        let mut headers = HeaderMap::new();
        headers.insert(VIEWER_HEADER, "198.51.100.7".parse().unwrap());
        headers.insert("x-forwarded-for", "203.0.113.9".parse().unwrap());
        assert_eq!(
            address(&extensions, &headers, Via::Edge),
            Some("198.51.100.7".parse().unwrap())
        );
        // Without the distribution the header is anyone's to send: ignored.
        for via in [Via::Direct, Via::ForwardedFor] {
            assert_eq!(
                address(&extensions, &headers, via),
                Some("130.176.0.1".parse().unwrap())
            );
        }
        headers.insert(VIEWER_HEADER, "2001:db8:1:2::9".parse().unwrap());
        assert_eq!(
            address(&extensions, &headers, Via::Edge),
            Some("2001:db8:1:2::".parse().unwrap())
        );
    }

    #[test]
    fn an_ipv6_host_is_one_client_across_its_64() {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "2001:db8:1:2:aaaa::1".parse().unwrap());
        let one = address(&Extensions::new(), &headers, Via::ForwardedFor);
        headers.insert(
            "x-forwarded-for",
            "2001:db8:1:2:ffff:1:2:3".parse().unwrap(),
        );
        assert_eq!(
            address(&Extensions::new(), &headers, Via::ForwardedFor),
            one
        );
        assert_eq!(one, Some("2001:db8:1:2::".parse().unwrap()));
        headers.insert("x-forwarded-for", "2001:db8:1:3::1".parse().unwrap());
        assert_ne!(
            address(&Extensions::new(), &headers, Via::ForwardedFor),
            one
        );
        assert_eq!(
            network("::ffff:198.51.100.7".parse().unwrap()),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            network("198.51.100.7".parse().unwrap()),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
    }
}
