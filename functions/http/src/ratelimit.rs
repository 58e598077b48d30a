//! Rate limits on the public routes of the local server: per client address
//! and per invitation code, in fixed one-minute windows. (In AWS the HTTP
//! API's route throttling does this job.)

use crate::error::ApiError;
use crate::pages;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);
/// Windows kept before expired ones are swept.
const SWEEP_AT: usize = 10_000;

#[derive(Debug)]
pub struct RateLimiter {
    per_address: u32,
    per_code: u32,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimiter {
    /// At most `per_address` public requests a minute from one address, and
    /// `per_code` for one code.
    pub fn new(per_address: u32, per_code: u32) -> Self {
        RateLimiter {
            per_address,
            per_code,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request under `key`; `Err(seconds)` when over `limit`.
    fn hit(&self, key: String, limit: u32, now: Instant) -> Result<(), u64> {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() >= SWEEP_AT {
            windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let (start, count) = windows.entry(key).or_insert((now, 0));
        if now.duration_since(*start) >= WINDOW {
            *start = now;
            *count = 0;
        }
        *count += 1;
        if *count > limit {
            let left = WINDOW.saturating_sub(now.duration_since(*start));
            return Err(left.as_secs().max(1));
        }
        Ok(())
    }
}

impl Default for RateLimiter {
    /// 120 requests a minute per address (a shop's Wi-Fi shares one), 60 per
    /// code (a customer rarely needs more than a few; a reusable link at a
    /// busy counter sees several people a minute).
    fn default() -> Self {
        RateLimiter::new(120, 60)
    }
}

/// Middleware on the public routes.
pub async fn limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(limiter) = &state.limits else {
        return next.run(request).await;
    };
    let now = Instant::now();
    let address = crate::client::address(
        request.extensions(),
        request.headers(),
        state.tenant.trust_forwarded_for,
    );
    let code = request
        .uri()
        .path()
        .strip_prefix("/r/")
        .map(|c| c.trim_end_matches(".json").to_owned());
    let verdict = address
        .map_or(Ok(()), |ip| {
            limiter.hit(format!("ip:{ip}"), limiter.per_address, now)
        })
        .and_then(|()| {
            code.map_or(Ok(()), |c| {
                limiter.hit(format!("code:{c}"), limiter.per_code, now)
            })
        });
    match verdict {
        Ok(()) => next.run(request).await,
        Err(secs) => too_many(&request, secs),
    }
}

fn too_many(request: &Request, retry_after: u64) -> Response {
    let wants_html = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if wants_html {
        let lang = crate::handlers::public::browser_language(request.headers()).unwrap_or("en");
        let s = pages::i18n::strings(lang);
        pages::message_retry(
            StatusCode::TOO_MANY_REQUESTS,
            lang,
            &s.busy_title,
            &s.busy_body,
            retry_after,
        )
    } else {
        ApiError::TooManyRequests(
            retry_after,
            "too many requests; retry after Retry-After seconds".into(),
        )
        .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_allows_its_limit_then_refuses_until_it_ends() {
        let limiter = RateLimiter::new(3, 3);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.hit("k".into(), 3, t0).is_ok());
        }
        assert_eq!(
            limiter.hit("k".into(), 3, t0 + Duration::from_secs(15)),
            Err(45)
        );
        assert!(limiter.hit("other".into(), 3, t0).is_ok());
        assert!(limiter.hit("k".into(), 3, t0 + WINDOW).is_ok());
    }
}
