//! Who is asking: a public request's client address as the deployment sees
//! it. Behind API Gateway that is the request context's source address; in
//! the local server, the peer, or (behind a reverse proxy the operator
//! vouches for) the address the proxy appended to `X-Forwarded-For`.

use axum::extract::ConnectInfo;
use axum::http::{Extensions, HeaderMap};
use std::net::{IpAddr, SocketAddr};

pub fn address(
    extensions: &Extensions,
    headers: &HeaderMap,
    trust_forwarded_for: bool,
) -> Option<IpAddr> {
    if let Some(lambda_http::request::RequestContext::ApiGatewayV2(context)) =
        extensions.get::<lambda_http::request::RequestContext>()
    {
        return context.http.source_ip.as_deref()?.parse().ok();
    }
    if trust_forwarded_for
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
            address(&extensions, &headers, true),
            Some("198.51.100.7".parse().unwrap())
        );
        assert_eq!(
            address(&extensions, &headers, false),
            Some("127.0.0.1".parse().unwrap())
        );
        assert_eq!(address(&Extensions::new(), &HeaderMap::new(), true), None);
    }
}
