//! `POST /v1/keys`, `GET /v1/keys`, `DELETE /v1/keys/{id}` (scope `admin`).

use super::{json, now};
use crate::apidoc::{P400, P404, P409, P415, P503};
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
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Key)]
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
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = NewKey)]
struct CreatedKey<'a> {
    #[serde(flatten)]
    view: KeyView<'a>,
    /// The secret, shown only now.
    key: &'a str,
}

#[derive(Serialize, utoipa::ToSchema)]
struct KeyList<'a> {
    keys: Vec<KeyView<'a>>,
}

/// The fields of `POST /v1/keys`.
pub const FIELDS: [&str; 2] = ["scopes", "name"];

/// What `POST /v1/keys` takes.
#[derive(utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct KeyInput {
    #[schema(min_items = 1)]
    scopes: Vec<Scope>,
    #[schema(schema_with = feedback_core::schema::nullable_label_64)]
    name: Option<String>,
}

#[utoipa::path(
    post,
    path = "/v1/keys",
    operation_id = "createKey",
    summary = "Create an API key (its secret is returned once)",
    request_body = KeyInput,
    responses(
        (status = 201, description = "The key with its secret", body = CreatedKey),
        (status = 400, response = P400),
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
    let input = KeyInput { scopes, name };
    let (key, secret) = keys::create(state.store.as_ref(), input.scopes, input.name, now()).await?;
    let body = CreatedKey {
        view: KeyView::from(&key),
        key: &secret,
    };
    Ok(json(StatusCode::CREATED, &body))
}

#[utoipa::path(
    get,
    path = "/v1/keys",
    operation_id = "listKeys",
    summary = "Every key (never secrets)",
    responses(
        (status = 200, description = "Keys", body = KeyList),
        (status = 503, response = P503),
    )
)]
pub async fn list(State(state): State<AppState>) -> Result<Response, ApiError> {
    let keys = state.store.list_keys().await?;
    let keys = keys.iter().map(KeyView::from).collect();
    Ok(json(StatusCode::OK, &KeyList { keys }))
}

#[utoipa::path(
    delete,
    path = "/v1/keys/{id}",
    operation_id = "revokeKey",
    summary = "Revoke a key",
    params(("id" = String, Path, description = "Key id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, response = P404),
        (status = 409, response = P409),
        (status = 503, response = P503),
    )
)]
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
