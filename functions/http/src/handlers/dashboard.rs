//! `GET /dashboard` and its sign-in and sign-out. The dashboard signs in
//! with an API key that grants `scores:read`. The session cookie (HttpOnly,
//! Secure, SameSite=Strict) holds the key's hash and the sign-in time,
//! signed with the tenant's secret, never the key: a stolen cookie cannot
//! call the API, and it ends [`SESSION_LIFETIME`] after sign-in whatever
//! the browser does. The key is checked against the store on every request,
//! so revoking it ends its sessions at once. Its figures come from
//! [`crate::reports`], as the API's do.

use super::now;
use super::rating_pages::cross_site;
use super::rating_pages::lang_without_invitation;
use crate::apidoc::{P503, query_param, schema_ref};
use crate::body::{self, Fields, Query};
use crate::error::{ApiError, Problem};
use crate::pages::dashboard::{self as page, Filters, View};
use crate::pages::i18n::supported;
use crate::pages::message;
use crate::reports::{slice, with_slice};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use feedback_app::keys::{Principal, authenticate, authenticate_hash};
use feedback_app::reports::{self as figures, Drivers};
use feedback_core::Channel;
use feedback_core::drivers::MIN_COUNT;
use feedback_core::time::{DateRange, Granularity, parse_day};
use feedback_core::{Scope, Settings, Slice};
use feedback_store::{Detail, ResponseFilter};
use std::collections::HashMap;
use utoipa::IntoParams;
use utoipa::openapi::RefOr;
use utoipa::openapi::path::{Parameter, ParameterIn};
use utoipa::openapi::schema::{
    KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, Type,
};

/// The session cookie. `__Host-` makes browsers refuse it unless it is
/// Secure, set by this host and for the whole path.
const COOKIE: &str = "__Host-feedback_session";
/// Follow-ups awaiting first contact the dashboard lists.
const QUEUE_SHOWN: usize = 10;
/// Days the dashboard shows until the filters say otherwise.
const DEFAULT_DAYS: u64 = 30;
/// Ratings a rep needs on the dashboard's leaderboard.
const BOARD_MIN_COUNT: i64 = 5;
/// Comments the dashboard lists.
const COMMENTS: usize = 10;

/// How long a session lasts after sign-in: a working day.
const SESSION_LIFETIME: chrono::Duration = chrono::Duration::hours(12);

/// The session the request's cookie holds.
fn session(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(COOKIE)?.strip_prefix('='))
        .filter(|v| !v.is_empty())
}

/// The live key behind a secret, if it may read scores.
async fn reader(state: &AppState, secret: &str) -> Result<Option<Principal>, ApiError> {
    let principal = authenticate(state.store.as_ref(), Some(&format!("Bearer {secret}"))).await?;
    Ok(principal.filter(|p| p.may(Scope::ScoresRead)))
}

/// The live key behind a session still within its lifetime, if it may
/// read scores.
async fn session_reader(state: &AppState, session: &str) -> Result<Option<Principal>, ApiError> {
    let secret = state.secret().await?;
    let Some(hash) = secret.session_key(session, now(), SESSION_LIFETIME) else {
        return Ok(None);
    };
    let principal = authenticate_hash(state.store.as_ref(), hash).await?;
    Ok(principal.filter(|p| p.may(Scope::ScoresRead)))
}

/// The page language: `lang` if pages exist in it, else as for pages
/// without an invitation (the tenant's default, the browser's, English).
fn language(settings: Option<&Settings>, asked: Option<&str>, headers: &HeaderMap) -> &'static str {
    asked
        .and_then(supported)
        .unwrap_or_else(|| lang_without_invitation(settings, headers))
}

/// A 303 to `location`, setting `cookie`.
fn see_other(location: &str, cookie: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(location) {
        h.insert(header::LOCATION, v);
    }
    if let Ok(v) = HeaderValue::from_str(cookie) {
        h.insert(header::SET_COOKIE, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The filters of a dashboard query; empty form fields mean "any".
fn filters(q: &Query, lang: &'static str, today: chrono::NaiveDate) -> Result<Filters, ApiError> {
    let to = q.parsed("to", parse_day)?.unwrap_or(today);
    let from = q
        .parsed("from", parse_day)?
        .unwrap_or(to - chrono::Days::new(DEFAULT_DAYS - 1));
    Ok(Filters {
        lang,
        range: DateRange::new(from, to)?,
        granularity: q
            .parsed("granularity", Granularity::parse)?
            .unwrap_or(Granularity::Day),
        slice: slice(q)?,
    })
}

/// The dashboard's query in the API document: every filter may be given
/// empty, as a GET form sends a field left blank.
struct DashboardParams;

impl IntoParams for DashboardParams {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let or_empty = |schema: RefOr<Schema>| {
            OneOfBuilder::new().item(schema).item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .max_length(Some(0)),
            )
        };
        let day = || {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
                .into()
        };
        vec![
            query_param(
                "lang",
                "Page language: en, ur or hi",
                ObjectBuilder::new().schema_type(Type::String),
            ),
            query_param(
                "from",
                "First day (default: 29 days before to)",
                or_empty(day()),
            ),
            query_param("to", "Last day (default: today)", or_empty(day())),
            query_param(
                "granularity",
                "Trend buckets (empty: any, as a GET form sends it)",
                or_empty(schema_ref::<Granularity>()),
            ),
            query_param(
                "rep_id",
                "One rep's slice (empty: any, as a GET form sends it)",
                or_empty(feedback_core::schema::id()),
            ),
            query_param(
                "channel",
                "One channel's slice (empty: any, as a GET form sends it)",
                or_empty(schema_ref::<Channel>()),
            ),
            query_param(
                "location",
                "One location's slice (empty: any, as a GET form sends it)",
                or_empty(feedback_core::schema::id()),
            ),
        ]
    }
}

#[utoipa::path(
    get,
    path = "/dashboard",
    operation_id = "getDashboard",
    summary = "The business dashboard (HTML), or its sign-in form",
    description = "Signed in by the session cookie that POST /dashboard/sign-in sets (an API key with scores:read; comments also need responses:read). Filters as query parameters; empty ones are ignored.",
    params(DashboardParams),
    responses(
        (status = 200, description = "The dashboard, or the sign-in form", content((String = "text/html"))),
        (status = 400, description = "A bad filter (an HTML page), or a query parameter the page does not know or gives twice (problem+json)", content(
            (String = "text/html"),
            (Problem = "application/problem+json"),
        )),
        (status = 401, description = "The session's key is no longer live: the sign-in form", content((String = "text/html"))),
        (status = 503, response = P503),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    // A GET form sends every field; an empty one is no filter.
    let raw: String = raw
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty() && !pair.ends_with('='))
        .collect::<Vec<_>>()
        .join("&");
    let q = Query::parse(
        Some(&raw),
        &with_slice(&["lang", "from", "to", "granularity"]),
    )?;
    let settings = state.settings().await?;
    let lang = language(Some(&settings), q.get("lang"), &headers);
    let at = now();
    let zone = &state.tenant.zone;
    let today = zone.day_of(at);
    // Bad filters are refused before the session is looked at, signed in
    // or not, so the same URL always means the same thing.
    let filters = match filters(&q, lang, today) {
        Ok(f) => f,
        Err(e) => {
            let s = &crate::pages::i18n::strings(lang);
            return Ok(message(
                StatusCode::BAD_REQUEST,
                lang,
                &s.error_title,
                &e.detail(),
            ));
        }
    };
    let Some(session) = session(&headers) else {
        return Ok(page::sign_in(lang, false));
    };
    let Some(principal) = session_reader(&state, session).await? else {
        return Ok(page::sign_in(lang, true));
    };
    let range = filters.range;
    let kind = settings.default_survey;
    let store = state.store.as_ref();
    let scores = figures::scores(
        store,
        range,
        filters.granularity,
        filters.slice.clone(),
        Some(range.previous_period()),
        at,
        // The page shows the drivers of the same total.
        Detail::WithQuestions,
    )
    .await?;
    let waiting = figures::longest_waiting(
        store,
        &filters.slice,
        zone.start_of(range.from),
        QUEUE_SHOWN,
    )
    .await?;
    let board = figures::leaderboard(store, range, kind, BOARD_MIN_COUNT).await?;
    let drivers = Drivers::of(range, filters.slice.clone(), kind, MIN_COUNT, &scores.total);
    let comments = if Scope::ResponsesRead.granted_by(&principal.scopes) {
        let (from, before) = zone.instants(range);
        let mut filter = ResponseFilter {
            from: Some(from),
            before: Some(before),
            ..Default::default()
        };
        match &filters.slice {
            Slice::All => {}
            Slice::Rep(id) => filter.rep_id = Some(id.clone()),
            Slice::Channel(c) => filter.channel = Some(*c),
            Slice::Location(l) => filter.location = Some(l.clone()),
        }
        Some(
            figures::comments(store, filter, COMMENTS, None)
                .await?
                .items,
        )
    } else {
        None
    };
    Ok(page::render(&View {
        filters: &filters,
        business: &settings.display_name,
        key_id: &principal.key_id,
        today,
        reps: &board.reps,
        scores: &scores,
        board: &board,
        drivers: &drivers,
        waiting: &waiting,
        comments: comments.as_deref(),
    }))
}

/// A form post's fields and page language; the refusal page when it comes
/// from another site.
async fn posted(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<(HashMap<String, String>, &'static str), Response> {
    let fields = match body::read(headers, body, body::PUBLIC_LIMIT, true).await {
        Ok(Fields::Form(fields)) => fields,
        _ => HashMap::new(),
    };
    let settings = state.settings().await.ok();
    let lang = language(
        settings.as_ref(),
        fields.get(LANG_FIELD).map(String::as_str),
        headers,
    );
    if cross_site(headers, &state.tenant.base_url(headers)) {
        let s = crate::pages::i18n::strings(lang);
        return Err(message(
            StatusCode::FORBIDDEN,
            lang,
            &s.forbidden_title,
            &s.forbidden_body,
        ));
    }
    Ok((fields, lang))
}

/// The sign-in form's fields: the key, and the page language.
pub const KEY_FIELD: &str = "key";
pub const LANG_FIELD: &str = "lang";

/// The sign-in form's fields, as [`sign_in`] reads them; only its schema is
/// used.
#[derive(utoipa::ToSchema)]
#[expect(dead_code, reason = "describes the body for the API document")]
struct SignInForm {
    #[serde(default)]
    key: String,
    #[serde(default)]
    lang: String,
}

#[utoipa::path(
    post,
    path = "/dashboard/sign-in",
    operation_id = "signIn",
    summary = "Signs in to the dashboard with an API key",
    description = "A live key with scores:read: 303 to /dashboard with an HttpOnly, Secure, SameSite=Strict session cookie holding the key. Anything else: the form again, 401.",
    request_body(content((SignInForm = "application/x-www-form-urlencoded"))),
    responses(
        (status = 303, description = "Signed in"),
        (status = 401, description = "Not a live key with scores:read", content((String = "text/html"))),
        (status = 403, description = "Posted from another site", content((String = "text/html"))),
        (status = 503, response = P503),
    )
)]
pub async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let (fields, lang) = match posted(&state, &headers, body).await {
        Ok(posted) => posted,
        Err(refused) => return Ok(refused),
    };
    let secret = fields.get(KEY_FIELD).map(|k| k.trim()).unwrap_or_default();
    // A cookie value must be a plain token; a real key always is.
    let token = !secret.is_empty()
        && secret
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !token || reader(&state, secret).await?.is_none() {
        return Ok(page::sign_in(lang, true));
    }
    let session = state
        .secret()
        .await?
        .session(&feedback_core::auth::hash_key(secret), now());
    Ok(see_other(
        &format!("/dashboard?lang={lang}"),
        &format!(
            "{COOKIE}={session}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age={}",
            SESSION_LIFETIME.num_seconds()
        ),
    ))
}

#[utoipa::path(
    post,
    path = "/dashboard/sign-out",
    operation_id = "signOut",
    summary = "Signs out of the dashboard",
    responses(
        (status = 303, description = "The session cookie is cleared"),
        (status = 403, description = "Posted from another site", content((String = "text/html"))),
    )
)]
pub async fn sign_out(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    match posted(&state, &headers, body).await {
        Ok((_, lang)) => see_other(
            &format!("/dashboard?lang={lang}"),
            &format!("{COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0"),
        ),
        Err(refused) => refused,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_is_read_from_any_cookie_header() {
        let mut h = HeaderMap::new();
        assert_eq!(session(&h), None);
        h.append(header::COOKIE, HeaderValue::from_static("a=1"));
        h.append(
            header::COOKIE,
            HeaderValue::from_static("b=2; __Host-feedback_session=fbk_abc; c=3"),
        );
        assert_eq!(session(&h), Some("fbk_abc"));
        let mut empty = HeaderMap::new();
        empty.insert(
            header::COOKIE,
            HeaderValue::from_static("__Host-feedback_session="),
        );
        assert_eq!(session(&empty), None);
    }
}
