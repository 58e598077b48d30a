//! `POST /sms/replies`: what customers text back to the local server's SMS
//! gateway, which the gateway forwards here (`{"from": "+92…", "text":
//! "STOP"}`, with `Authorization: Bearer {SMS_REPLIES_TOKEN}`). A STOP puts
//! the number on the tenant's suppression list: nothing more is sent to it,
//! and what was still due is cancelled when it comes due. Not in the route
//! table: only the local server has such a gateway (in AWS, SNS keeps the
//! STOP replies on the account's opt-out list, which the `send` function
//! reads).

use crate::body::{Object, read_json, take};
use crate::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use feedback_core::error::{FieldError, Rule};
use feedback_core::sending::{Phone, Suppression, is_stop_reply};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// The longest text a reply may be: ten SMS segments.
const MAX_TEXT: usize = 1600;

/// The route, answering only requests that carry `token`.
pub fn router(state: AppState, token: &str) -> axum::Router {
    let expected = Arc::new(Sha256::digest(format!("Bearer {token}")));
    axum::Router::new()
        .route("/sms/replies", axum::routing::post(reply))
        .with_state((state, expected))
}

type Replies = (AppState, Arc<sha2::digest::Output<Sha256>>);

async fn reply(
    State((state, expected)): State<Replies>,
    request: Request,
) -> Result<Json<Value>, ApiError> {
    // Compared as digests: how long the comparison takes says nothing of
    // the token.
    let given = request
        .headers()
        .get(AUTHORIZATION)
        .map(|v| Sha256::digest(v.as_bytes()));
    if given.as_ref() != Some(expected.as_ref()) {
        return Err(ApiError::Unauthorized(
            "the SMS gateway's token is missing or wrong",
        ));
    }
    let (parts, body) = request.into_parts();
    let map = read_json(&parts.headers, body).await?;
    let fields = Object::new("", &map);
    let mut errors = fields.unknown_fields(&["from", "text"]);
    let required = |field: &str, value: Option<String>| {
        value.ok_or_else(|| FieldError::new(field, Rule::Required, "is required"))
    };
    let from = take(
        &mut errors,
        fields
            .string("from")
            .and_then(|v| required("from", v))
            .and_then(|v| Phone::parse("from", &v))
            .map(Some),
    );
    let text = take(
        &mut errors,
        fields
            .string("text")
            .and_then(|v| required("text", v))
            .and_then(|v| {
                if v.chars().count() > MAX_TEXT {
                    Err(FieldError::new(
                        "text",
                        Rule::TooLong,
                        format!("must be at most {MAX_TEXT} characters"),
                    ))
                } else {
                    Ok(Some(v))
                }
            }),
    );
    let (Some(from), Some(text), true) = (from, text, errors.is_empty()) else {
        return Err(ApiError::Invalid(errors));
    };
    let stop = is_stop_reply(&text);
    if stop {
        let hash = state.secret().await?.suppression(from.as_str());
        state
            .store
            .suppress(&hash, Suppression::OptedOut, chrono::Utc::now())
            .await?;
    }
    Ok(Json(json!({ "opted_out": stop })))
}
