//! What every handler shares: the store, the tenant, and how keys are checked.

use crate::auth::AuthMode;
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
    /// Where customer links point (`https://feedback.example.com`).
    pub base_url: String,
}

impl Tenant {
    /// From `TENANT_ID`, `TENANT_NAME`, `TENANT_TIME_ZONE` and
    /// `PUBLIC_BASE_URL`, with `default_base_url` when the last is unset.
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
        })
    }

    pub fn link(&self, code: &feedback_core::Code) -> String {
        format!("{}/r/{code}", self.base_url)
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub tenant: Arc<Tenant>,
    pub auth: AuthMode,
    /// Public-route limits (the local server; API Gateway throttles in AWS).
    pub limits: Option<Arc<crate::ratelimit::RateLimiter>>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, tenant: Tenant, auth: AuthMode) -> Self {
        AppState {
            store,
            tenant: Arc::new(tenant),
            auth,
            limits: None,
        }
    }

    /// This state with rate limits on the public routes.
    pub fn with_rate_limits(mut self, limiter: crate::ratelimit::RateLimiter) -> Self {
        self.limits = Some(Arc::new(limiter));
        self
    }

    /// The tenant's settings, or the defaults until it saves some.
    pub async fn settings(&self) -> Result<Settings, ApiError> {
        Ok(self
            .store
            .get_settings()
            .await?
            .unwrap_or_else(|| Settings::defaults(&self.tenant.name)))
    }
}
