//! `POST /v1/keys`, `GET /v1/keys`, `DELETE /v1/keys/{id}` (scope `admin`).

use super::{json, now};
use crate::body::{self, Object, Segment};
use crate::error::ApiError;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use feedback_app::keys;
use feedback_core::model::validate_label;
use feedback_core::{ApiKey, FieldError, Rule, Scope};
use feedback_store::Revocation;
use serde::Serialize;

/// A key as the API shows it: never its hash.
#[derive(Serialize)]
struct KeyView<'a> {
    id: &'a str,
    name: Option<&'a str>,
    scopes: &'a [Scope],
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

impl<'a> From<&'a ApiKey> for KeyView<'a> {
    fn from(key: &'a ApiKey) -> Self {
        KeyView {
            id: &key.id,
            name: key.name.as_deref(),
            scopes: &key.scopes,
            created_at: key.created_at,
            last_used_at: key.last_used_at,
            revoked_at: key.revoked_at,
        }
    }
}

/// A new key, with its secret: shown this once.
#[derive(Serialize)]
struct CreatedKey<'a> {
    #[serde(flatten)]
    view: KeyView<'a>,
    key: &'a str,
}

#[derive(Serialize)]
struct KeyList<'a> {
    keys: Vec<KeyView<'a>>,
}

pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let map = body::read_json(&headers, body).await?;
    let o = Object::new("", &map);
    let mut errors = o.unknown_fields(&["scopes", "name"]);
    let mut scopes = Vec::new();
    match o.strings("scopes") {
        Ok(Some(names)) if !names.is_empty() => {
            for (i, name) in names.iter().enumerate() {
                match Scope::parse(&format!("scopes[{i}]"), name) {
                    Ok(s) if !scopes.contains(&s) => scopes.push(s),
                    Ok(_) => {}
                    Err(e) => errors.push(e),
                }
            }
        }
        Ok(_) => errors.push(FieldError::new(
            "scopes",
            Rule::Required,
            "must name at least one scope",
        )),
        Err(e) => errors.push(e),
    }
    let name = match o.string("name") {
        Ok(n) => n.and_then(|n| {
            validate_label("name", &n, 64)
                .map_err(|e| errors.push(e))
                .ok()
        }),
        Err(e) => {
            errors.push(e);
            None
        }
    };
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let (key, secret) = keys::create(state.store.as_ref(), scopes, name, now()).await?;
    let body = CreatedKey {
        view: KeyView::from(&key),
        key: &secret,
    };
    Ok(json(StatusCode::CREATED, &body))
}

pub async fn list(State(state): State<AppState>) -> Result<Response, ApiError> {
    let keys = state.store.list_keys().await?;
    let keys = keys.iter().map(KeyView::from).collect();
    Ok(json(StatusCode::OK, &KeyList { keys }))
}

pub async fn revoke(
    State(state): State<AppState>,
    Segment(id): Segment,
) -> Result<Response, ApiError> {
    match keys::revoke(state.store.as_ref(), &id, now()).await? {
        Revocation::Revoked(_) => Ok(StatusCode::NO_CONTENT.into_response()),
        Revocation::NoSuchKey => Err(ApiError::NotFound("no such key")),
        Revocation::LastAdmin => Err(ApiError::Conflict(
            "this is the last active admin key; create another before revoking it".into(),
        )),
    }
}
