//! `GET` and `POST /u/{token}`: the opt-out link in every message the
//! product sends. A GET only asks (mail scanners open every link); the
//! POST, from the page's button or a mail client's one-click unsubscribe
//! (RFC 8058, `List-Unsubscribe=One-Click`), puts the contact on the
//! suppression list and cancels what its invitation still had to send.

use crate::apidoc::P429;
use crate::body::Segment;
use crate::error::ApiError;
use crate::pages::{self, esc, i18n::strings, i18n::supported};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use feedback_core::Code;
use feedback_core::sending::Sending;

/// The invitation a genuine token names, its sending state and language.
async fn opted(
    state: &AppState,
    token: &str,
) -> Result<Option<(Code, Sending, &'static str)>, ApiError> {
    let secret = state.secret().await?;
    let Some(code) = secret
        .unsubscribed(token)
        .and_then(|c| Code::parse("c", c).ok())
    else {
        return Ok(None);
    };
    let Some(invitation) = state.store.get_invitation(&code).await? else {
        return Ok(None);
    };
    let lang = invitation
        .locale
        .as_ref()
        .and_then(|l| supported(l.as_str()))
        .unwrap_or("en");
    Ok(invitation.sending.map(|sending| (code, sending, lang)))
}

fn unknown() -> Response {
    let s = strings("en");
    pages::message(
        StatusCode::NOT_FOUND,
        "en",
        &s.not_found_title,
        &s.not_found_body,
    )
}

fn busy() -> Response {
    let s = strings("en");
    pages::message(
        StatusCode::SERVICE_UNAVAILABLE,
        "en",
        &s.busy_title,
        &s.busy_body,
    )
}

#[utoipa::path(
    get,
    path = "/u/{token}",
    operation_id = "getUnsubscribe",
    summary = "The opt-out link of a message the product sent: a page asking to confirm; changes nothing",
    params(("token" = String, Path, description = "From the message: the invitation's code and a signature")),
    responses(
        (status = 200, description = "The confirmation page", content((String = "text/html"))),
        (status = 404, description = "Not a link this tenant sent", content((String = "text/html"))),
        (status = 429, response = P429),
        (status = 503, description = "The store is unavailable", content((String = "text/html"))),
    )
)]
pub async fn ask(State(state): State<AppState>, Segment(token): Segment) -> Response {
    let (lang, business) = match (opted(&state, &token).await, state.settings().await) {
        (Ok(Some((_, _, lang))), Ok(settings)) => (lang, settings.display_name),
        (Ok(None), _) => return unknown(),
        _ => return busy(),
    };
    let m = &strings(lang).message;
    let title = m.confirm_title.replace("{business}", &business);
    let body = format!(
        "<h1>{}</h1><form method=\"post\" action=\"/u/{}\">\
         <input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">\
         <button type=\"submit\">{}</button></form>",
        esc(&title),
        esc(&token),
        esc(&m.confirm_button)
    );
    pages::page(StatusCode::OK, lang, &title, &body)
}

#[utoipa::path(
    post,
    path = "/u/{token}",
    operation_id = "unsubscribe",
    summary = "Opt out (the page's button, or a mail client's RFC 8058 one-click POST): the contact gets no more messages; again changes nothing",
    params(("token" = String, Path, description = "From the message: the invitation's code and a signature")),
    responses(
        (status = 200, description = "Opted out", content((String = "text/html"))),
        (status = 404, description = "Not a link this tenant sent", content((String = "text/html"))),
        (status = 429, response = P429),
        (status = 503, description = "The store is unavailable", content((String = "text/html"))),
    )
)]
pub async fn confirm(State(state): State<AppState>, Segment(token): Segment) -> Response {
    match opt_out(&state, &token).await {
        Ok(Some(lang)) => {
            let business = match state.settings().await {
                Ok(settings) => settings.display_name,
                Err(_) => return busy(),
            };
            let m = &strings(lang).message;
            let done = m.done_body.replace("{business}", &business);
            pages::message(StatusCode::OK, lang, &m.done_title, &done)
        }
        Ok(None) => unknown(),
        Err(_) => busy(),
    }
}

/// Suppresses the contact `token` names and cancels its invitation's
/// pending message; its language.
async fn opt_out(state: &AppState, token: &str) -> Result<Option<&'static str>, ApiError> {
    let Some((code, sending, lang)) = opted(state, token).await? else {
        return Ok(None);
    };
    feedback_app::sending::opt_out(state.store.as_ref(), &code, &sending, super::now()).await?;
    Ok(Some(lang))
}
