//! What every handler shares: the store, the tenant, and how keys are checked.

use crate::error::ApiError;
use feedback_core::time::TenantZone;
use feedback_core::{FieldError, Settings};
use feedback_store::Store;
use std::sync::Arc;

/// The deployment's tenant: fixed per stack, not editable through the API.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub id: String,
    /// The display name until the business sets its own.
    pub name: String,
    pub zone: TenantZone,
    /// Where customer links point (`https://feedback.example.com`). Empty:
    /// `https://` and the host the request came to (in AWS, the API's own
    /// domain, which a stack cannot pass to its functions without a cycle).
    pub base_url: String,
    /// The pages' language until the business sets one.
    pub default_locale: Option<feedback_core::Locale>,
    /// Believe `X-Forwarded-For` (the local server behind a reverse proxy);
    /// in AWS the gateway's source address is used instead.
    pub trust_forwarded_for: bool,
}

impl Tenant {
    /// From `TENANT_ID`, `TENANT_NAME`, `TENANT_TIME_ZONE`,
    /// `TENANT_DEFAULT_LOCALE` and `PUBLIC_BASE_URL` (`default_base_url`
    /// when unset).
    pub fn from_env(default_base_url: &str) -> Result<Tenant, FieldError> {
        let var = |name: &str, default: &str| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| default.to_owned())
        };
        Ok(Tenant {
            id: var("TENANT_ID", "local"),
            name: var("TENANT_NAME", "Demo Shop"),
            zone: TenantZone::parse("TENANT_TIME_ZONE", &var("TENANT_TIME_ZONE", "UTC"))?,
            base_url: var("PUBLIC_BASE_URL", default_base_url)
                .trim_end_matches('/')
                .to_owned(),
            trust_forwarded_for: matches!(var("TRUST_X_FORWARDED_FOR", "").as_str(), "1" | "true"),
            default_locale: match var("TENANT_DEFAULT_LOCALE", "") {
                l if l.is_empty() => None,
                l => Some(feedback_core::Locale::parse("TENANT_DEFAULT_LOCALE", &l)?),
            },
        })
    }

    /// The public origin customers reach, for a request with `headers`.
    pub fn base_url(&self, headers: &axum::http::HeaderMap) -> String {
        if !self.base_url.is_empty() {
            return self.base_url.clone();
        }
        let host = headers
            .get(axum::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        format!("https://{host}")
    }

    /// A customer's link to `code`.
    pub fn link(&self, code: &feedback_core::Code, headers: &axum::http::HeaderMap) -> String {
        format!("{}/r/{code}", self.base_url(headers))
    }
}

/// How requests are authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// Look the key up in the store (the local server).
    Store,
    /// Trust the API Gateway Lambda authorizer's context (AWS).
    Gateway,
}

/// The longest a request may take in a Lambda function, store calls
/// included: under the functions' 10 s timeout, so a store that stops
/// answering gives the client a 503 with Retry-After rather than a gateway
/// error. It also bounds how long a slow client may take to send its body.
/// (The local server, with no function timeout to stay under, sets its own.)
pub const LAMBDA_DEADLINE: std::time::Duration = std::time::Duration::from_secs(8);

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub tenant: Arc<Tenant>,
    pub auth: AuthMode,
    /// Public-route limits (the local server; API Gateway throttles in AWS).
    pub limits: Option<Arc<crate::ratelimit::RateLimiter>>,
    /// How long a request may run before it is answered 503.
    pub deadline: std::time::Duration,
    /// Behind the tenant's CloudFront distribution: the secret its
    /// requests carry ([`crate::middleware::origin`]).
    pub origin: Option<Arc<str>>,
    /// The media this deployment can send invitations by; an invitation
    /// asking for another is refused.
    pub media: feedback_core::sending::Media,
    /// The tenant's secret, read from the store once per process.
    secret: Arc<tokio::sync::OnceCell<feedback_core::abuse::Secret>>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, tenant: Tenant, auth: AuthMode) -> Self {
        AppState {
            store,
            tenant: Arc::new(tenant),
            auth,
            limits: None,
            deadline: LAMBDA_DEADLINE,
            origin: None,
            media: feedback_core::sending::Media::default(),
            secret: Arc::default(),
        }
    }

    /// This state accepting invitations to send by `media`.
    pub fn with_media(mut self, media: feedback_core::sending::Media) -> Self {
        self.media = media;
        self
    }

    /// This state with requests allowed `deadline` before they are cut off.
    pub fn with_deadline(mut self, deadline: std::time::Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// This state refusing requests that do not carry `secret` in the
    /// distribution's header ([`crate::middleware::origin`]).
    pub fn with_origin_secret(mut self, secret: &str) -> Self {
        self.origin = Some(secret.into());
        self
    }

    /// Which hop names a public request's client.
    pub fn client_via(&self) -> crate::client::Via {
        use crate::client::Via;
        match (&self.origin, self.tenant.trust_forwarded_for) {
            (Some(_), _) => Via::Edge,
            (None, true) => Via::ForwardedFor,
            (None, false) => Via::Direct,
        }
    }

    /// This state with rate limits on the public routes.
    pub fn with_rate_limits(mut self, limiter: crate::ratelimit::RateLimiter) -> Self {
        self.limits = Some(Arc::new(limiter));
        self
    }

    /// The tenant's secret for keyed hashes and form tokens.
    pub async fn secret(&self) -> Result<&feedback_core::abuse::Secret, ApiError> {
        Ok(self.secret.get_or_try_init(|| self.store.secret()).await?)
    }

    /// The tenant's settings, or the defaults until it saves some.
    pub async fn settings(&self) -> Result<Settings, ApiError> {
        Ok(self
            .store
            .get_settings()
            .await?
            .unwrap_or_else(|| Settings {
                default_locale: self.tenant.default_locale.clone(),
                ..Settings::defaults(&self.tenant.name)
            }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderMap;

    fn tenant(base_url: &str) -> Tenant {
        Tenant {
            id: "t".into(),
            name: "T".into(),
            zone: TenantZone::parse("tz", "UTC").unwrap(),
            base_url: base_url.into(),
            default_locale: None,
            trust_forwarded_for: false,
        }
    }

    #[test]
    fn links_use_the_configured_origin_or_the_request_host() {
        let code = feedback_core::Code::parse("code", "ABCDEFGHIJKL").unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            "host",
            "abc123.execute-api.eu-west-1.amazonaws.com"
                .parse()
                .unwrap(),
        );
        assert_eq!(
            tenant("https://fb.example").link(&code, &headers),
            "https://fb.example/r/ABCDEFGHIJKL"
        );
        assert_eq!(
            tenant("").link(&code, &headers),
            "https://abc123.execute-api.eu-west-1.amazonaws.com/r/ABCDEFGHIJKL"
        );
    }
}
