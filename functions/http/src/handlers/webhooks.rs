//! `/v1/webhooks` (scope `admin`): subscriptions to events, and what became
//! of their recent deliveries. The signing secret is shown once, at creation.

use super::{json, now};
use crate::body::{self, Object, Query, Segment, take};
use crate::error::ApiError;
use crate::state::AppState;
use crate::state::AuthMode;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use feedback_core::webhook::{self, EventType, MAX_WEBHOOKS, UrlPolicy, Webhook};
use feedback_core::{FieldError, Rule};
use serde_json::json;

/// In AWS, webhooks must be public `https`; the local server also takes
/// plain `http` to loopback, for a receiver on the same machine.
fn policy(state: &AppState) -> UrlPolicy {
    match state.auth {
        AuthMode::Gateway => UrlPolicy::PublicHttps,
        AuthMode::Store => UrlPolicy::Local,
    }
}

pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let map = body::read_json(&headers, body).await?;
    let o = Object::new("", &map);
    let mut errors = o.unknown_fields(&["url", "events"]);
    let url = match o.string("url") {
        Ok(Some(u)) => webhook::check_url("url", &u, policy(&state))
            .map_err(|e| errors.push(e))
            .ok(),
        Ok(None) => {
            errors.push(FieldError::new(
                "url",
                Rule::Required,
                "the URL to POST events to",
            ));
            None
        }
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let mut events = Vec::new();
    match o.strings("events") {
        Ok(Some(names)) if !names.is_empty() => {
            for (i, name) in names.iter().enumerate() {
                match EventType::parse(&format!("events[{i}]"), name) {
                    Ok(t) => events.push(t),
                    Err(e) => errors.push(e),
                }
            }
        }
        Ok(_) => errors.push(FieldError::new(
            "events",
            Rule::Required,
            "must name at least one event",
        )),
        Err(e) => errors.push(e),
    }
    let Some(url) = url.filter(|_| errors.is_empty()) else {
        return Err(ApiError::Invalid(errors));
    };
    if state.store.list_webhooks().await?.len() >= MAX_WEBHOOKS {
        return Err(ApiError::Conflict(format!(
            "a tenant may have {MAX_WEBHOOKS} webhooks; delete one first"
        )));
    }
    let hook =
        Webhook::generate(url, events, now()).map_err(|e| ApiError::Internal(e.to_string()))?;
    state.store.create_webhook(&hook).await?;
    let mut body = hook.to_json();
    body["secret"] = json!(hook.secret);
    Ok(json(StatusCode::CREATED, &body))
}

pub async fn list(State(state): State<AppState>) -> Result<Response, ApiError> {
    let hooks = state.store.list_webhooks().await?;
    Ok(json(
        StatusCode::OK,
        &json!({ "webhooks": hooks.iter().map(Webhook::to_json).collect::<Vec<_>>() }),
    ))
}

pub async fn delete(
    State(state): State<AppState>,
    Segment(id): Segment,
) -> Result<Response, ApiError> {
    if !Webhook::is_id(&id) {
        return Err(ApiError::NotFound("no such webhook"));
    }
    match state.store.delete_webhook(&id).await? {
        true => Ok(StatusCode::NO_CONTENT.into_response()),
        false => Err(ApiError::NotFound("no such webhook")),
    }
}

pub async fn deliveries(
    State(state): State<AppState>,
    Segment(id): Segment,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Query::parse(raw.as_deref(), &["limit"])?;
    let mut errors = Vec::new();
    let limit = take(&mut errors, q.int("limit", 1, 100)).unwrap_or(20);
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    if !state
        .store
        .list_webhooks()
        .await?
        .iter()
        .any(|w| w.id == id)
    {
        return Err(ApiError::NotFound("no such webhook"));
    }
    let deliveries = state.store.list_deliveries(&id, limit as usize).await?;
    Ok(json(
        StatusCode::OK,
        &json!({ "deliveries": deliveries.iter().map(|d| d.to_json()).collect::<Vec<_>>() }),
    ))
}
