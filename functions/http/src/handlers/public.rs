//! The public rating endpoints behind a customer's link (no API key).

use super::{json, now};
use crate::body::{self, Fields, Object, PUBLIC_LIMIT, parse_bool, take};
use crate::error::ApiError;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use feedback_core::model::Submission;
use feedback_core::submission::editable_until;
use feedback_core::{Code, FieldError, Invitation, Response as Rating, Rule, Settings};
use feedback_store::Recorded;
use serde_json::{Value, json};

/// The page language: the invitation's, else the tenant's default, else the
/// browser's first supported `Accept-Language`, else English.
pub fn language(invitation: &Invitation, settings: &Settings, headers: &HeaderMap) -> &'static str {
    let from_tag = |l: &feedback_core::Locale| supported(l.as_str());
    invitation
        .locale
        .as_ref()
        .and_then(from_tag)
        .or_else(|| settings.default_locale.as_ref().and_then(from_tag))
        .or_else(|| browser_language(headers))
        .unwrap_or("en")
}

/// The first language of the browser's `Accept-Language` that pages exist in.
pub fn browser_language(headers: &HeaderMap) -> Option<&'static str> {
    let accept = headers.get(header::ACCEPT_LANGUAGE)?.to_str().ok()?;
    let mut tags: Vec<(f32, &str)> = accept
        .split(',')
        .filter_map(|part| {
            let mut bits = part.split(';');
            let tag = bits.next()?.trim();
            let q = bits
                .find_map(|b| b.trim().strip_prefix("q="))
                .and_then(|q| q.parse().ok())
                .unwrap_or(1.0);
            Some((q, tag))
        })
        .collect();
    tags.sort_by(|a, b| b.0.total_cmp(&a.0));
    tags.into_iter()
        .filter(|(q, _)| *q > 0.0)
        .find_map(|(_, t)| supported(t))
}

/// The page language for a language tag, if pages exist in it.
pub fn supported(tag: &str) -> Option<&'static str> {
    let primary = tag
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    crate::pages::i18n::languages().find(|l| *l == primary)
}

/// A code from the path; anything that is not one is simply not found.
pub fn code(raw: &str) -> Result<Code, ApiError> {
    Code::parse("code", raw).map_err(|_| ApiError::NotFound("no such invitation"))
}

pub fn rating_view(rating: &Rating, settings: &Settings) -> Value {
    json!({
        "score": rating.score,
        "answers": rating.answers,
        "comment": rating.comment,
        "submitted_at": rating.submitted_at,
        "edited_at": rating.edited_at,
        "editable_until": editable_until(rating, settings.edit_window()),
    })
}

/// `GET /r/{code}.json` (what a rating page needs, for apps) or
/// `GET /r/{code}` (the page itself).
pub async fn rating(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    match raw.strip_suffix(".json") {
        Some(raw) => rating_json(&state, raw, &headers)
            .await
            .unwrap_or_else(IntoResponse::into_response),
        None => super::customer::rating_page(&state, &raw, query.as_deref(), &headers).await,
    }
}

async fn rating_json(
    state: &AppState,
    raw: &str,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let invitation = super::invitation(state, raw).await?;
    let code = invitation.code.clone();
    let settings = state.settings().await?;
    let rep = match &invitation.attribution.rep_id {
        Some(id) => state.store.get_rep(id).await?,
        None => None,
    };
    let answer = state.store.get_response(&code).await?;
    let kind = invitation.attribution.survey;
    let body = json!({
        "code": code,
        "business": settings.display_name,
        "rep": rep.map(|r| json!({ "id": r.id, "display_name": r.display_name })),
        "survey": { "kind": kind, "min": kind.min(), "max": kind.max() },
        "questions": settings.questions,
        "locale": language(&invitation, &settings, headers),
        "expires_at": invitation.expires_at,
        "expired": answer.is_none() && invitation.is_expired(now()),
        "answered": answer.is_some(),
        "response": answer.as_ref().map(|a| rating_view(a, &settings)),
    });
    Ok(json(StatusCode::OK, &body))
}

const ANSWER_FIELDS: [&str; 5] = [
    "friendliness",
    "speed",
    "knowledge",
    "resolved",
    "expectations",
];

/// A submit body, JSON (`{"score", "comment", "answers": {…}}`) or a form
/// with the same names, answers flat; with the errors of its shape (unknown
/// fields, wrong types), reported together with the range checks.
pub fn submission(fields: &Fields) -> (Submission, Vec<FieldError>) {
    let mut errors: Vec<FieldError> = Vec::new();
    let submission = match fields {
        Fields::Json(map) => {
            let root = Object::new("", map);
            let unknown = root.unknown_fields(&["score", "comment", "answers"]);
            let answers = take(&mut errors, root.object("answers"));
            let unknown_answers = answers
                .as_ref()
                .map(|a| a.unknown_fields(&ANSWER_FIELDS))
                .unwrap_or_default();
            let a = |f: &dyn Fn(&Object) -> Result<Option<i64>, FieldError>| {
                answers.as_ref().map(f).unwrap_or(Ok(None))
            };
            let s = Submission {
                score: take(&mut errors, root.int("score")),
                friendliness: take(&mut errors, a(&|o| o.int("friendliness"))),
                speed: take(&mut errors, a(&|o| o.int("speed"))),
                knowledge: take(&mut errors, a(&|o| o.int("knowledge"))),
                resolved: take(
                    &mut errors,
                    answers
                        .as_ref()
                        .map(|o| o.bool("resolved"))
                        .unwrap_or(Ok(None)),
                ),
                expectations: take(
                    &mut errors,
                    answers
                        .as_ref()
                        .map(|o| o.string("expectations"))
                        .unwrap_or(Ok(None)),
                ),
                comment: take(&mut errors, root.string("comment")),
            };
            errors.extend(unknown);
            errors.extend(unknown_answers);
            s
        }
        Fields::Form(form) => {
            let get = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());
            let int = |name: &str, field: &str| {
                get(name)
                    .map(|v| {
                        v.trim().parse::<i64>().map_err(|_| {
                            FieldError::new(field, Rule::BadFormat, "must be an integer")
                        })
                    })
                    .transpose()
            };
            let s = Submission {
                score: take(&mut errors, int("score", "score")),
                friendliness: take(&mut errors, int("friendliness", "answers.friendliness")),
                speed: take(&mut errors, int("speed", "answers.speed")),
                knowledge: take(&mut errors, int("knowledge", "answers.knowledge")),
                resolved: take(
                    &mut errors,
                    get("resolved")
                        .map(|v| parse_bool("answers.resolved", v))
                        .transpose(),
                ),
                expectations: get("expectations").map(str::to_owned),
                comment: form.get("comment").cloned(),
            };
            errors.extend(
                form.keys()
                    .filter(|k| {
                        !["score", "comment"].contains(&k.as_str())
                            && !ANSWER_FIELDS.contains(&k.as_str())
                    })
                    .map(|k| FieldError::new(k, Rule::UnknownValue, "is not a known field")),
            );
            s
        }
    };
    (submission, errors)
}

/// What recording a submit produced, for either kind of answer.
pub struct Submitted {
    pub invitation: Invitation,
    pub settings: Settings,
    pub recorded: Recorded,
}

/// Why a submit was not recorded; the parsed submission is kept so a page
/// can show the form again as the customer filled it.
pub struct NotRecorded {
    pub error: ApiError,
    pub submission: Option<Submission>,
    pub invitation: Option<(Invitation, Settings)>,
}

impl From<ApiError> for NotRecorded {
    fn from(error: ApiError) -> Self {
        NotRecorded {
            error,
            submission: None,
            invitation: None,
        }
    }
}

/// Parses, validates and records a submit: the one path both the JSON API
/// and the HTML form take.
pub async fn record(
    state: &AppState,
    code: &Code,
    fields: &Fields,
) -> Result<Submitted, NotRecorded> {
    let (submission, shape) = submission(fields);
    let invitation = state
        .store
        .get_invitation(code)
        .await
        .map_err(ApiError::from)?
        .ok_or(ApiError::NotFound("no such invitation"))?;
    let settings = state.settings().await?;
    let answer = match body::combine(shape, submission.validate(invitation.attribution.survey)) {
        Ok(answer) => answer,
        Err(error) => {
            return Err(NotRecorded {
                error,
                submission: Some(submission),
                invitation: Some((invitation, settings)),
            });
        }
    };
    let at = now();
    let rating = Rating::first(&invitation, answer, at, &state.tenant.zone);
    match state
        .store
        .record_response(&rating, at, &settings.submit_rules())
        .await
    {
        Ok(recorded) => Ok(Submitted {
            invitation,
            settings,
            recorded,
        }),
        Err(e) => Err(NotRecorded {
            error: e.into(),
            submission: Some(submission),
            invitation: Some((invitation, settings)),
        }),
    }
}

/// `POST /r/{code}`: records a rating (201), replaces it inside the edit
/// window (200), or refuses it (404, 409, 410). A browser's form post gets a
/// page back; everything else gets JSON.
pub async fn submit(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if super::customer::wants_page(&headers) {
        return super::customer::submit_page(&state, &raw, &headers, body).await;
    }
    submit_json(&state, &raw, &headers, body)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn submit_json(
    state: &AppState,
    raw: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let code = code(raw)?;
    let fields = body::read(headers, body, PUBLIC_LIMIT, true).await?;
    let done = record(state, &code, &fields).await.map_err(|e| e.error)?;
    let status = match done.recorded {
        Recorded::Created(_) => StatusCode::CREATED,
        Recorded::Replaced { .. } | Recorded::Unchanged(_) => StatusCode::OK,
    };
    Ok(json(
        status,
        &rating_view(done.recorded.response(), &done.settings),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use feedback_core::SurveyKind;
    use feedback_core::model::NewInvitation;
    use feedback_core::time::TenantZone;

    fn invitation(locale: Option<&str>) -> Invitation {
        NewInvitation {
            order_id: Some("o".into()),
            channel: Some("sms".into()),
            locale: locale.map(Into::into),
            ..Default::default()
        }
        .validate(SurveyKind::Csat)
        .unwrap()
        .issue(
            Code::generate().unwrap(),
            now(),
            chrono::Duration::days(1),
            &TenantZone::parse("tz", "UTC").unwrap(),
        )
    }

    fn accept(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_LANGUAGE, value.parse().unwrap());
        h
    }

    #[test]
    fn language_prefers_the_invitation_then_the_tenant_then_the_browser() {
        let mut settings = Settings::defaults("x");
        assert_eq!(
            language(&invitation(Some("ur-PK")), &settings, &accept("hi")),
            "ur"
        );
        assert_eq!(
            language(
                &invitation(None),
                &settings,
                &accept("fr, hi-IN;q=0.8, ur;q=0.5")
            ),
            "hi"
        );
        assert_eq!(language(&invitation(None), &settings, &accept("de")), "en");
        assert_eq!(
            language(&invitation(Some("fr")), &settings, &HeaderMap::new()),
            "en"
        );
        settings.default_locale = Some(feedback_core::Locale::parse("l", "hi").unwrap());
        assert_eq!(language(&invitation(None), &settings, &accept("ur")), "hi");
    }
}
