//! Errors as RFC 9457 problem details (`application/problem+json`), each with
//! a stable `type`. Internal failures are logged with an id and answered
//! without their details.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use feedback_core::FieldError;
use feedback_store::StoreError;
use serde::Serialize;

/// An RFC 9457 problem: what every error answers.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// `urn:feedback:problem:<name>`, stable.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    /// Each invalid field, for 400 and 422.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
    /// The id an internal error was logged with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_id: Option<String>,
}

#[derive(Debug)]
pub enum ApiError {
    /// 400: the request names bad fields.
    Invalid(Vec<FieldError>),
    /// 400: the body is not JSON (or a form) at all.
    Malformed(String),
    Unauthorized(&'static str),
    Forbidden(String),
    NotFound(&'static str),
    /// 405: the path exists, but not with this method.
    MethodNotAllowed,
    /// 409: the request conflicts with the stored state.
    Conflict(String),
    /// 410: the invitation expired.
    Gone(String),
    /// 410: the reusable link was disabled by the business.
    Disabled,
    TooLarge(usize),
    UnsupportedMediaType,
    /// 422: well-formed, but refers to something that does not exist.
    Unprocessable(Vec<FieldError>),
    /// 429: over a limit, for this many seconds (sent as Retry-After).
    TooManyRequests(u64, String),
    Unavailable(u64),
    /// 503: the request ran past its deadline (retry after this many
    /// seconds); what it stored is kept.
    TimedOut(u64),
    Internal(String),
}

impl From<Vec<FieldError>> for ApiError {
    fn from(errors: Vec<FieldError>) -> Self {
        ApiError::Invalid(errors)
    }
}

impl From<FieldError> for ApiError {
    fn from(error: FieldError) -> Self {
        ApiError::Invalid(vec![error])
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => ApiError::NotFound("no such invitation"),
            StoreError::Expired(at) => {
                ApiError::Gone(format!("this link expired at {}", at.to_rfc3339()))
            }
            StoreError::Disabled => ApiError::Disabled,
            StoreError::OverQuota { resets_at } => {
                let secs = (resets_at - chrono::Utc::now()).num_seconds().max(1) as u64;
                ApiError::TooManyRequests(
                    secs,
                    format!(
                        "this link takes no more answers from here until {}",
                        resets_at.to_rfc3339()
                    ),
                )
            }
            StoreError::WindowClosed(_) => {
                ApiError::Conflict(
                    "this answer can no longer be changed: its edit window has closed, or the request lacks the edit_token given with the answer".into(),
                )
            }
            // Concurrent writers kept colliding: worth an immediate retry.
            StoreError::Conflict(_) => ApiError::Unavailable(1),
            StoreError::Unavailable {
                retry_after_secs,
                reason,
            } => {
                tracing::warn!(%reason, "store unavailable");
                feedback_telemetry::count(feedback_telemetry::Metric::StoreUnavailable);
                ApiError::Unavailable(retry_after_secs)
            }
            StoreError::Internal(reason) => ApiError::Internal(reason),
        }
    }
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Invalid(_) | ApiError::Malformed(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Gone(_) | ApiError::Disabled => StatusCode::GONE,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooManyRequests(..) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) | ApiError::TimedOut(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable problem type, `urn:feedback:problem:<name>`.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            ApiError::Invalid(_) => "validation",
            ApiError::Malformed(_) => "malformed-body",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not-found",
            ApiError::MethodNotAllowed => "method-not-allowed",
            ApiError::Conflict(_) => "conflict",
            ApiError::Gone(_) => "expired",
            ApiError::Disabled => "disabled",
            ApiError::TooLarge(_) => "body-too-large",
            ApiError::UnsupportedMediaType => "unsupported-media-type",
            ApiError::Unprocessable(_) => "unknown-reference",
            ApiError::TooManyRequests(..) => "rate-limited",
            ApiError::Unavailable(_) | ApiError::TimedOut(_) => "unavailable",
            ApiError::Internal(_) => "internal",
        }
    }

    pub fn detail(&self) -> String {
        match self {
            ApiError::Invalid(errors) | ApiError::Unprocessable(errors) => errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
            ApiError::Malformed(d)
            | ApiError::Forbidden(d)
            | ApiError::Conflict(d)
            | ApiError::Gone(d)
            | ApiError::TooManyRequests(_, d) => d.clone(),
            ApiError::Disabled => "the business has disabled this link".into(),
            ApiError::MethodNotAllowed => "this path does not take this method".into(),
            ApiError::Unauthorized(d) | ApiError::NotFound(d) => (*d).to_owned(),
            ApiError::TooLarge(limit) => format!("the request body is larger than {limit} bytes"),
            ApiError::UnsupportedMediaType => {
                "send application/json or application/x-www-form-urlencoded".into()
            }
            ApiError::Unavailable(_) => {
                "the service is briefly unavailable; nothing was stored, retry later".into()
            }
            ApiError::TimedOut(_) => {
                "the request took too long and was stopped; what it stored is kept, and a retry counts it once".into()
            }
            ApiError::Internal(_) => "an internal error occurred; it has been logged".into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut body = Problem {
            kind: format!("urn:feedback:problem:{}", self.kind()),
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail: self.detail(),
            errors: None,
            error_id: None,
        };
        match &self {
            ApiError::Invalid(errors) | ApiError::Unprocessable(errors) => {
                body.errors = Some(errors.clone())
            }
            ApiError::Internal(reason) => {
                let id = feedback_core::code::random_base62(12).unwrap_or_default();
                tracing::error!(error_id = %id, %reason, "internal error");
                body.error_id = Some(id);
            }
            _ => {}
        }
        let body = serde_json::to_string(&body).expect("a problem serializes");
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        match self {
            ApiError::Unavailable(secs)
            | ApiError::TimedOut(secs)
            | ApiError::TooManyRequests(secs, _) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            ApiError::Unauthorized(_) => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            _ => {}
        }
        response
    }
}
