//! `/v1/webhooks` (scope `admin`): subscriptions to events, and what became
//! of their recent deliveries. The signing secret is shown once, at creation.

use super::{json, now};
use crate::apidoc::{P400, P404, P409, P415, P503};
use crate::body::{self, Object, Query, Segment, take};
use crate::error::ApiError;
use crate::state::AppState;
use crate::state::AuthMode;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use feedback_core::webhook::{
    self, Attempt, Delivery, DeliveryState, EventType, MAX_WEBHOOKS, UrlPolicy, Webhook,
};
use feedback_core::{FieldError, Rule};
use serde::Serialize;

/// In AWS, webhooks must be public `https`; the local server also takes
/// plain `http` to loopback, for a receiver on the same machine.
fn policy(state: &AppState) -> UrlPolicy {
    match state.auth {
        AuthMode::Gateway => UrlPolicy::PublicHttps,
        AuthMode::Store => UrlPolicy::Local,
    }
}

/// A webhook as the API shows it: everything but the secret.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Webhook)]
struct WebhookView<'a> {
    #[schema(examples("wh_4fQ9xk2LmP0aZr7T"))]
    id: &'a str,
    #[schema(format = "uri")]
    url: &'a str,
    events: &'a [EventType],
    created_at: DateTime<Utc>,
}

impl<'a> From<&'a Webhook> for WebhookView<'a> {
    fn from(hook: &'a Webhook) -> Self {
        WebhookView {
            id: &hook.id,
            url: &hook.url,
            events: &hook.events,
            created_at: hook.created_at,
        }
    }
}

/// A new webhook, with its signing secret: shown this once.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = NewWebhook)]
struct CreatedWebhook<'a> {
    #[serde(flatten)]
    view: WebhookView<'a>,
    /// The signing secret (whsec_…), shown only now. Each delivery carries
    /// Feedback-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
    /// '<t>.<body>' with this secret>.
    secret: &'a str,
}

#[derive(Serialize, utoipa::ToSchema)]
struct WebhookList<'a> {
    webhooks: Vec<WebhookView<'a>>,
}

/// The fields of `POST /v1/webhooks`.
pub const FIELDS: [&str; 2] = ["url", "events"];

/// What `POST /v1/webhooks` takes.
#[derive(utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct WebhookInput {
    /// https, to a public host (in AWS); the local server also takes http
    /// to loopback.
    #[schema(format = "uri", max_length = 2048)]
    url: String,
    #[schema(min_items = 1)]
    events: Vec<EventType>,
}

/// One delivery of an event to a webhook, and each attempt at it.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Delivery)]
struct DeliveryView<'a> {
    id: &'a str,
    event_id: &'a str,
    event_type: EventType,
    created_at: DateTime<Utc>,
    state: DeliveryState,
    attempts: &'a [Attempt],
    next_attempt_at: Option<DateTime<Utc>>,
}

impl<'a> From<&'a Delivery> for DeliveryView<'a> {
    fn from(d: &'a Delivery) -> Self {
        DeliveryView {
            id: &d.id,
            event_id: &d.event.id,
            event_type: d.event.kind,
            created_at: d.event.created_at,
            state: d.state,
            attempts: &d.attempts,
            next_attempt_at: d.next_attempt_at,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
struct DeliveryList<'a> {
    deliveries: Vec<DeliveryView<'a>>,
}

#[utoipa::path(
    post,
    path = "/v1/webhooks",
    operation_id = "createWebhook",
    summary = "Subscribe a URL to events (the signing secret is returned once)",
    request_body = WebhookInput,
    responses(
        (status = 201, description = "The webhook with its secret", body = CreatedWebhook),
        (status = 400, response = P400),
        (status = 409, response = P409),
        (status = 415, response = P415),
        (status = 503, response = P503),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let map = body::read_json(&headers, body).await?;
    let o = Object::new("", &map);
    let mut errors = o.unknown_fields(&FIELDS);
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
    let input = WebhookInput { url, events };
    if state.store.list_webhooks().await?.len() >= MAX_WEBHOOKS {
        return Err(ApiError::Conflict(format!(
            "a tenant may have {MAX_WEBHOOKS} webhooks; delete one first"
        )));
    }
    let hook = Webhook::generate(input.url, input.events, now())
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    state.store.create_webhook(&hook).await?;
    let body = CreatedWebhook {
        view: WebhookView::from(&hook),
        secret: &hook.secret,
    };
    Ok(json(StatusCode::CREATED, &body))
}

#[utoipa::path(
    get,
    path = "/v1/webhooks",
    operation_id = "listWebhooks",
    summary = "Every webhook (never secrets)",
    responses(
        (status = 200, description = "Webhooks", body = WebhookList),
        (status = 503, response = P503),
    )
)]
pub async fn list(State(state): State<AppState>) -> Result<Response, ApiError> {
    let hooks = state.store.list_webhooks().await?;
    let webhooks = hooks.iter().map(WebhookView::from).collect();
    Ok(json(StatusCode::OK, &WebhookList { webhooks }))
}

#[utoipa::path(
    delete,
    path = "/v1/webhooks/{id}",
    operation_id = "deleteWebhook",
    summary = "Delete a webhook; its pending deliveries are abandoned",
    params(("id" = String, Path, description = "Webhook id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, response = P404),
        (status = 503, response = P503),
    )
)]
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

#[utoipa::path(
    get,
    path = "/v1/webhooks/{id}/deliveries",
    operation_id = "listDeliveries",
    summary = "A webhook's recent deliveries, newest event first, with every attempt's status and duration",
    params(
        ("id" = String, Path, description = "Webhook id"),
        ("limit" = Option<u8>, Query, minimum = 1, maximum = 100, description = "How many (default 20)"),
    ),
    responses(
        (status = 200, description = "Deliveries", body = DeliveryList),
        (status = 400, response = P400),
        (status = 404, response = P404),
        (status = 503, response = P503),
    )
)]
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
    let deliveries = deliveries.iter().map(DeliveryView::from).collect();
    Ok(json(StatusCode::OK, &DeliveryList { deliveries }))
}
