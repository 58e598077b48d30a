//! `GET /v1/invitations/{code}/snippet?format=html|text|sms|qr` (and the
//! same for `/v1/links/{code}`): what a business pastes into its e-mail,
//! prints on a receipt, sends by SMS or shows at the till.

use crate::apidoc::response_ref;
use crate::body::{Query, Segment};
use crate::error::ApiError;
use crate::handlers::public::language;
use crate::messages::{email_html, question};
use crate::pages::i18n::strings;
use crate::state::AppState;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use feedback_core::Answerable;
use feedback_core::{FieldError, Rule, sms};
use std::collections::BTreeMap;
use utoipa::PartialSchema;
use utoipa::openapi::{self, ContentBuilder, RefOr, ResponseBuilder, ResponsesBuilder};

fn typed(content_type: &'static str, body: String) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A QR code of `url` as SVG (medium error correction: survives a smudge).
fn qr_svg(url: &str) -> Result<String, ApiError> {
    let code = qrcode::QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| ApiError::Internal(format!("QR code: {e}")))?;
    Ok(code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build())
}

/// `format`'s values.
#[derive(utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[expect(dead_code, reason = "describes the parameter for the API document")]
enum Format {
    Html,
    Text,
    Sms,
    Qr,
}

/// What both snippet routes answer.
struct SnippetAnswers;

impl utoipa::IntoResponses for SnippetAnswers {
    fn responses() -> BTreeMap<String, RefOr<openapi::response::Response>> {
        let text = || ContentBuilder::new().schema(Some(String::schema())).build();
        let snippet = ResponseBuilder::new()
            .description("The snippet")
            .content("text/html", text())
            .content("text/plain", text())
            .content("image/svg+xml", text());
        ResponsesBuilder::new()
            .response("200", snippet)
            .response("400", response_ref("P400"))
            .response("404", response_ref("P404"))
            .response("503", response_ref("P503"))
            .build()
            .into()
    }
}

#[utoipa::path(
    get,
    path = "/v1/invitations/{code}/snippet",
    operation_id = "getInvitationSnippet",
    summary = "What to paste: an e-mail block with one-click score links, receipt text, the SMS text, or a QR code",
    params(
        ("code" = String, Path, description = "Invitation code"),
        ("format" = inline(Option<Format>), Query, description = "Default html"),
    ),
    responses(SnippetAnswers)
)]
pub async fn invitation(
    state: State<AppState>,
    code: Segment,
    query: RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    get(state, code, query, headers).await
}

#[utoipa::path(
    get,
    path = "/v1/links/{code}/snippet",
    operation_id = "getLinkSnippet",
    summary = "A reusable link as an e-mail block, text, SMS or QR code",
    params(
        ("code" = String, Path, description = "The link's code"),
        ("format" = inline(Option<Format>), Query, description = "Default html"),
    ),
    responses(SnippetAnswers)
)]
pub async fn link(
    state: State<AppState>,
    code: Segment,
    query: RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    get(state, code, query, headers).await
}

/// The snippet of an invitation or a reusable link, whichever the code is.
async fn get(
    State(state): State<AppState>,
    Segment(raw): Segment,
    RawQuery(raw_query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let query = Query::parse(raw_query.as_deref(), &["format"])?;
    let format = query.get("format").unwrap_or("html");
    let code = super::public::code(&raw)?;
    let target = super::public::target(&state, &code).await?;
    let settings = state.settings().await?;
    let url = state.tenant.link(&code, &headers);
    let lang = language(&target, &settings, &headers);
    let s = strings(lang);
    let kind = target.attribution().survey;
    let (question, low, high) = question(s, kind, &settings.display_name, &[]);
    Ok(match format {
        "html" => typed(
            "text/html; charset=utf-8",
            email_html(&url, &question, kind, low, high, &s.dir),
        ),
        "text" => typed(
            "text/plain; charset=utf-8",
            format!("{question}\n{}: {url}\n", s.title),
        ),
        "sms" => typed(
            "text/plain; charset=utf-8",
            sms::invitation_text(&settings.display_name, &url),
        ),
        "qr" => typed("image/svg+xml", qr_svg(&url)?),
        _ => {
            return Err(FieldError::new(
                "format",
                Rule::UnknownValue,
                "must be html, text, sms or qr",
            )
            .into());
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qr_codes_are_svg() {
        let svg = qr_svg("https://x.test/r/ABCDEFGHIJKL").unwrap();
        assert!(svg.starts_with("<?xml") && svg.contains("<svg"));
    }
}
