//! The public rating endpoints behind a customer's link (no API key).

use super::{json, now};
use crate::apidoc::{P400, P404, P409, P410, P413, P415, P429, P503};
use crate::body::{self, Fields, Object, PUBLIC_LIMIT, Segment, parse_bool, take};
use crate::error::{ApiError, Problem};
use crate::pages::i18n::{browser_language, supported};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::Extensions;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use feedback_app::submit::{self, Submit};
use feedback_core::Answerable;
use feedback_core::abuse::{AbuseRules, Secret};
use feedback_core::links::{Closed, Target};
use feedback_core::model;
use feedback_core::model::Submission;
use feedback_core::model::{Answers, Expectation};
use feedback_core::submission::editable_until;
use feedback_core::survey::Question;
use feedback_core::{Code, FieldError, Rule, Settings, SurveyKind};
use feedback_store::Recorded;
use feedback_telemetry::Metric;
use serde::Serialize;
use serde_json::Value;
use std::net::IpAddr;

/// The page language: the link's, else the tenant's default, else the
/// browser's first supported `Accept-Language`, else English.
pub fn language(target: &Target, settings: &Settings, headers: &HeaderMap) -> &'static str {
    let from_tag = |l: &feedback_core::Locale| supported(l.as_str());
    target
        .locale()
        .and_then(from_tag)
        .or_else(|| settings.default_locale.as_ref().and_then(from_tag))
        .or_else(|| browser_language(headers))
        .unwrap_or("en")
}

/// A code from the path; anything that is not one is simply not found.
pub fn code(raw: &str) -> Result<Code, ApiError> {
    Code::parse("code", raw).map_err(|_| ApiError::NotFound("no such invitation"))
}

/// A stored answer as the customer who gave it sees it.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Rating)]
pub struct RatingView<'a> {
    score: u8,
    answers: &'a Answers,
    comment: Option<&'a str>,
    submitted_at: DateTime<Utc>,
    edited_at: Option<DateTime<Utc>>,
    editable_until: DateTime<Utc>,
    /// Given to whoever sent this answer (a first answer, or a change with
    /// the token): keep it to change the answer later. Absent on a repeat
    /// of the same answer without it.
    #[serde(skip_serializing_if = "Option::is_none")]
    edit_token: Option<&'a str>,
}

pub fn rating_view<'a>(rating: &'a model::Response, settings: &Settings) -> RatingView<'a> {
    RatingView {
        score: rating.score,
        answers: &rating.answers,
        comment: rating.comment.as_deref(),
        submitted_at: rating.submitted_at,
        edited_at: rating.edited_at,
        editable_until: editable_until(rating, settings.edit_window()),
        edit_token: None,
    }
}

/// What a rating page needs, for apps that draw their own.
#[derive(Serialize, utoipa::ToSchema)]
struct RatingPage<'a> {
    code: &'a str,
    business: &'a str,
    /// The first of `reps`, for apps written before an answer could credit
    /// several.
    rep: Option<RepName<'a>>,
    /// Every rep the answer credits, the first named first.
    reps: Vec<RepName<'a>>,
    survey: Scale,
    questions: &'a [Question],
    #[schema(schema_with = crate::pages::i18n::language_schema)]
    locale: &'static str,
    expires_at: Option<DateTime<Utc>>,
    expired: bool,
    answered: bool,
    /// The stored answer, only with ?edit= its edit token; otherwise null
    /// (answered says whether there is one).
    response: Option<RatingView<'a>>,
    reusable: bool,
    disabled: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
struct RepName<'a> {
    id: &'a str,
    display_name: &'a str,
}

impl<'a> From<&'a model::Rep> for RepName<'a> {
    fn from(r: &'a model::Rep) -> Self {
        RepName {
            id: r.id.as_str(),
            display_name: &r.display_name,
        }
    }
}

/// The main question's kind and scale.
#[derive(Serialize, utoipa::ToSchema)]
struct Scale {
    kind: SurveyKind,
    min: u8,
    max: u8,
}

/// `GET /r/{code}.json` (what a rating page needs, for apps) or
/// `GET /r/{code}` (the page itself).
#[utoipa::path(
    get,
    path = "/r/{code}",
    operation_id = "getRatingPage",
    summary = "The rating page (HTML), or with a `.json` suffix what a page needs; never records anything",
    params(
        ("code" = String, Path, description = "The invitation code; `GET` takes it with a `.json` suffix"),
        ("score" = Option<String>, Query, description = "One-click links: an integer on the survey's scale preselects that score (the customer still confirms with Send); any other value is ignored, as a mangled link still opens the page"),
        ("edit" = Option<String>, Query, description = "An answer's edit token (the thank-you page's change link carries it): shows the stored answer (page, or response in .json) and lets it be changed; any other value, empty included, is ignored and the page opens without the answer"),
    ),
    responses(
        (status = 200, description = "The invitation as a customer sees it", content(
            (RatingPage = "application/json"),
            (String = "text/html"),
        )),
        (status = 404, description = "No such link: a page for a page's path, problem+json for a .json path", content(
            (String = "text/html"),
            (Problem = "application/problem+json"),
        )),
        (status = 410, description = "The link expired (HTML page)", content((String = "text/html"))),
        (status = 429, response = P429),
        (status = 503, response = P503),
    )
)]
pub async fn rating(
    State(state): State<AppState>,
    Segment(raw): Segment,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    match raw.strip_suffix(".json") {
        Some(raw) => rating_json(&state, raw, query.as_deref(), &headers)
            .await
            .unwrap_or_else(IntoResponse::into_response),
        None => super::rating_pages::rating_page(&state, &raw, query.as_deref(), &headers).await,
    }
}

/// The `edit` query parameter of a link opened to change an answer.
pub fn edit_query(query: Option<&str>) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query.unwrap_or_default())
        .unwrap_or_default()
        .into_iter()
        .find_map(|(k, v)| (k == "edit").then_some(v))
}

/// `token`, if it is the edit token of response `id`: whoever holds it
/// sent that answer.
pub async fn held_edit_token<'t>(
    state: &AppState,
    id: &str,
    token: Option<&'t str>,
) -> Result<Option<&'t str>, ApiError> {
    match token {
        Some(token) if state.secret().await?.edit_token_ok(id, token) => Ok(Some(token)),
        _ => Ok(None),
    }
}

async fn rating_json(
    state: &AppState,
    raw: &str,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let target = target(state, &code(raw)?).await?;
    // The settings, the reps and the answer do not depend on each other: read
    // at once, a cold page waits for one round trip rather than three.
    let (settings, reps, answer) = tokio::try_join!(
        state.settings(),
        async {
            let store = state.store.as_ref();
            Ok(feedback_app::invitations::read_reps(store, target.attribution()).await?)
        },
        async {
            // A reusable link has no one answer: each visit answers anew.
            match &target {
                Target::Invitation(i) => Ok(state.store.get_response(&i.code).await?),
                Target::Link(_) => Ok::<_, ApiError>(None),
            }
        },
    )?;
    let (expires_at, closed) = match &target {
        Target::Invitation(i) => {
            let expired = answer.is_none() && i.is_expired(now());
            let closed = expired.then_some(Closed::Expired(i.expires_at));
            (Some(i.expires_at), closed)
        }
        Target::Link(l) => (l.expires_at, l.closed(now())),
    };
    // The answer is the customer's: shown only with its edit token.
    let edit = edit_query(query);
    let shown = match &answer {
        Some(a)
            if held_edit_token(state, &a.id, edit.as_deref())
                .await?
                .is_some() =>
        {
            Some(a)
        }
        _ => None,
    };
    let kind = target.attribution().survey;
    let body = RatingPage {
        code: target.code().as_str(),
        reusable: matches!(target, Target::Link(_)),
        business: &settings.display_name,
        rep: reps.first().map(RepName::from),
        reps: reps.iter().map(RepName::from).collect(),
        survey: Scale {
            kind,
            min: kind.min(),
            max: kind.max(),
        },
        questions: &settings.questions,
        locale: language(&target, &settings, headers),
        expires_at,
        expired: matches!(closed, Some(Closed::Expired(_))),
        disabled: closed == Some(Closed::Disabled),
        answered: answer.is_some(),
        response: shown.map(|a| rating_view(a, &settings)),
    };
    Ok(json(StatusCode::OK, &body))
}

/// A JSON submit body, as [`submission`] reads it field by field (so every
/// error is reported at once); only its schema is used.
#[derive(utoipa::ToSchema)]
#[schema(as = Submission)]
#[serde(deny_unknown_fields)]
#[expect(dead_code, reason = "describes the body for the API document")]
struct SubmissionBody {
    /// On the invitation's scale: CSAT 1–5, NPS 0–10, CES 1–7.
    #[schema(minimum = 0, maximum = 10)]
    score: i64,
    #[schema(schema_with = feedback_core::model::nullable_comment_schema)]
    comment: Option<String>,
    answers: Option<AnswersBody>,
    /// The answer's edit token, from the answer that created it: needed to
    /// change a stored answer inside the edit window (without it, a
    /// different answer is 409).
    edit_token: Option<String>,
}

/// The optional answers of a JSON submit body.
#[derive(utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[expect(dead_code, reason = "describes the body for the API document")]
struct AnswersBody {
    #[schema(minimum = 1, maximum = 5)]
    friendliness: Option<i64>,
    #[schema(minimum = 1, maximum = 5)]
    speed: Option<i64>,
    #[schema(minimum = 1, maximum = 5)]
    knowledge: Option<i64>,
    resolved: Option<bool>,
    expectations: Option<Expectation>,
}

/// A rating form's post: the JSON body's fields flat, and the form's hidden
/// controls ([`FORM_CONTROLS`]).
#[derive(utoipa::ToSchema)]
#[expect(dead_code, reason = "describes the body for the API document")]
struct SubmissionForm {
    score: String,
    #[schema(schema_with = feedback_core::model::form_comment_schema)]
    comment: Option<String>,
    #[schema(nullable = false)]
    friendliness: Option<String>,
    #[schema(nullable = false)]
    speed: Option<String>,
    #[schema(nullable = false)]
    knowledge: Option<String>,
    #[schema(nullable = false)]
    resolved: Option<String>,
    #[schema(nullable = false)]
    expectations: Option<String>,
    /// The form's signed render time (the rating page sets it).
    #[schema(nullable = false)]
    t: Option<String>,
    /// A reusable link's answer key (the rating page sets it).
    #[schema(nullable = false)]
    rid: Option<String>,
    /// A honeypot: people leave it empty.
    #[schema(nullable = false)]
    website: Option<String>,
    /// The answer's edit token, from the answer that created it: needed to
    /// change a stored answer inside the edit window (without it, a
    /// different answer is 409).
    #[schema(nullable = false)]
    edit_token: Option<String>,
}

/// The fields of a JSON submit body.
pub const SUBMIT_FIELDS: [&str; 4] = ["score", "comment", "answers", EDIT_TOKEN];

/// The optional answers, in a JSON body's `answers` or flat in a form.
pub const ANSWER_FIELDS: [&str; 5] = [
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
            let unknown = root.unknown_fields(&SUBMIT_FIELDS);
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
                            && !FORM_CONTROLS.contains(&k.as_str())
                    })
                    .map(|k| FieldError::new(k, Rule::UnknownValue, "is not a known field")),
            );
            s
        }
    };
    (submission, errors)
}

/// What a customer's link points at: an invitation, else a reusable link.
pub async fn target(state: &AppState, code: &Code) -> Result<Target, ApiError> {
    if let Some(invitation) = state.store.get_invitation(code).await? {
        return Ok(Target::Invitation(invitation));
    }
    state
        .store
        .get_link(code)
        .await?
        .map(Target::Link)
        .ok_or(ApiError::NotFound("no such invitation"))
}

/// Who sent a submit: their address, and an API client's
/// `Idempotency-Key`, which makes a resend of one answer through a reusable
/// link the same answer (a form's `rid` does that for forms).
#[derive(Debug)]
pub struct Caller {
    pub address: Option<IpAddr>,
    pub answer_key: Option<String>,
}

impl Caller {
    pub fn of(state: &AppState, extensions: &Extensions, headers: &HeaderMap) -> Self {
        Caller {
            address: crate::client::address(extensions, headers, state.client_via()),
            answer_key: headers
                .get("idempotency-key")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        }
    }
}

/// What recording a submit produced, for either kind of answer.
pub struct Submitted {
    pub target: Target,
    pub settings: Settings,
    pub recorded: Recorded,
    /// The token that changes this answer, for whoever may have it: the
    /// sender of a first answer or of a change, or one who already holds it.
    pub edit_token: Option<String>,
}

/// Why a submit was not recorded; the parsed submission is kept so a page
/// can show the form again as the customer filled it.
pub struct NotRecorded {
    pub error: ApiError,
    pub submission: Option<Submission>,
    pub target: Option<(Target, Settings)>,
}

impl From<ApiError> for NotRecorded {
    fn from(error: ApiError) -> Self {
        NotRecorded {
            error,
            submission: None,
            target: None,
        }
    }
}

/// The hidden fields of the rating form: its signed render time, its answer
/// key on a reusable link, the honeypot people never see, and the edit
/// token when it changes an answer.
pub const FORM_CONTROLS: [&str; 4] = ["t", "rid", "website", EDIT_TOKEN];

/// The field (JSON or form) and query parameter (`edit`) that carry an
/// answer's edit token.
pub const EDIT_TOKEN: &str = "edit_token";

/// The edit token a submit carries, if any.
fn posted_edit_token(fields: &Fields) -> Option<&str> {
    match fields {
        Fields::Json(map) => map.get(EDIT_TOKEN).and_then(Value::as_str),
        Fields::Form(form) => form.get(EDIT_TOKEN).map(String::as_str),
    }
}

/// How long a rendered form's token is good for: a page left open for a
/// day is shown again rather than taken, so a harvested token cannot be
/// replayed for long.
const FORM_LIFETIME: chrono::Duration = chrono::Duration::hours(24);

/// Refuses a form a bot filled: the honeypot has text in it, or it came
/// back sooner than `rules.min_fill_ms` after it was shown (or with no
/// genuine render time at all; 0 turns the time check off).
fn check_form(
    form: &std::collections::HashMap<String, String>,
    code: &Code,
    secret: &Secret,
    rules: &AbuseRules,
    now: DateTime<Utc>,
) -> Result<(), FieldError> {
    if form.get("website").is_some_and(|v| !v.trim().is_empty()) {
        return Err(FieldError::new(
            "website",
            Rule::Automated,
            "this field is left empty by people",
        ));
    }
    if rules.min_fill_ms == 0 {
        return Ok(());
    }
    let rid = form.get("rid").map(String::as_str).unwrap_or_default();
    let age = form
        .get("t")
        .and_then(|t| secret.form_age(t, code.as_str(), rid, now));
    let min = chrono::Duration::milliseconds(i64::from(rules.min_fill_ms));
    match age {
        Some(age) if age > FORM_LIFETIME => Err(FieldError::new(
            "t",
            Rule::Stale,
            format!(
                "the form was shown more than {} hours ago; load it again",
                FORM_LIFETIME.num_hours()
            ),
        )),
        Some(age) if age >= min => Ok(()),
        _ => Err(FieldError::new(
            "t",
            Rule::TooFast,
            format!(
                "the form came back sooner than {} ms after it was shown",
                rules.min_fill_ms
            ),
        )),
    }
}

/// Parses, checks and records a submit: the one path both the JSON API and
/// the HTML form take. Counted as a metric: recorded, or refused and why.
pub async fn record(
    state: &AppState,
    code: &Code,
    fields: &Fields,
    caller: &Caller,
) -> Result<Submitted, NotRecorded> {
    let result = try_record(state, code, fields, caller).await;
    match &result {
        Ok(done) if matches!(done.recorded, Recorded::Created(_)) => {
            feedback_telemetry::count(Metric::RatingRecorded)
        }
        Ok(_) => {}
        Err(refused) => feedback_telemetry::count(Metric::RatingRefused(refused.error.kind())),
    }
    result
}

async fn try_record(
    state: &AppState,
    code: &Code,
    fields: &Fields,
    caller: &Caller,
) -> Result<Submitted, NotRecorded> {
    let (submission, shape) = submission(fields);
    // Three independent reads, side by side; a Lambda's warm-up has cached
    // the secret, so a rating waits here for one round trip.
    let (target, settings, secret) =
        tokio::try_join!(target(state, code), state.settings(), state.secret())?;
    let at = now();
    let not_recorded = |error: ApiError, target: Target, settings: Settings| NotRecorded {
        error,
        submission: Some(submission.clone()),
        target: Some((target, settings)),
    };
    // An invitation made before expiry was capped at the end of retention
    // takes nothing after it: not a first answer, not an edit.
    if let Target::Invitation(i) = &target
        && let Some(until) = i.personal_until.filter(|until| *until <= at)
    {
        let gone = ApiError::Gone(format!("this link expired at {}", until.to_rfc3339()));
        return Err(not_recorded(gone, target, settings));
    }
    if let Fields::Form(form) = fields
        && let Err(e) = check_form(form, code, secret, &settings.abuse, at)
    {
        return Err(not_recorded(e.into(), target, settings));
    }
    let answer = match body::combine(shape, submission.validate(target.attribution().survey)) {
        Ok(answer) => answer,
        Err(error) => return Err(not_recorded(error, target, settings)),
    };
    let answer_key = match fields {
        Fields::Form(form) => form.get("rid"),
        Fields::Json(_) => caller.answer_key.as_ref(),
    };
    let submitted = submit::submit(
        state.store.as_ref(),
        Submit {
            target: &target,
            settings: &settings,
            secret,
            zone: &state.tenant.zone,
            answer,
            address: caller.address,
            answer_key: answer_key.map(String::as_str),
            edit_token: posted_edit_token(fields),
            at,
        },
    )
    .await;
    match submitted {
        Ok(done) => Ok(Submitted {
            target,
            settings,
            recorded: done.recorded,
            edit_token: done.edit_token,
        }),
        Err(e) => Err(not_recorded(e.into(), target, settings)),
    }
}

/// `POST /r/{code}`: records a rating (201), replaces it inside the edit
/// window (200), or refuses it (404, 409, 410). A browser's form post gets a
/// page back; everything else gets JSON.
#[utoipa::path(
    post,
    path = "/r/{code}",
    operation_id = "submitRating",
    summary = "Submit or change a rating",
    description = "A browser's form post (Accept: text/html) gets an HTML page back: the thank-you page, the form with its error (400), or a friendly 403 (cross-site), 404, 409, 410 or 503 page. Everything else gets JSON. On a reusable link each answer is its own response (the page's `rid`, or the Idempotency-Key header, makes a resend the same answer); 429 with Retry-After when the address's daily quota or the link's daily cap is used up; 410 when the link is disabled. Form posts must carry the page's signed render time (`t`) from at least abuse.min_fill_ms before and an empty honeypot (`website`), else 400 (rule too_fast or automated; rule stale when the page was shown more than 24 hours before). A post from another site's page (Sec-Fetch-Site other than same-origin or none, or a foreign Origin) is refused with 403 whatever its content type.",
    params(
        ("code" = String, Path, description = "The invitation code"),
        ("Idempotency-Key" = Option<String>, Header, nullable = false, description = "On a reusable link, makes a resend of one answer the same answer"),
    ),
    request_body(content(
        (SubmissionBody = "application/json"),
        (SubmissionForm = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 201, description = "First answer recorded", body = RatingView),
        (status = 200, description = "Answer changed inside the edit window, or the same answer again", body = RatingView),
        (status = 400, response = P400),
        (status = 403, description = "A form posted from another site (HTML page)", content((String = "text/html"))),
        (status = 404, response = P404),
        (status = 409, response = P409),
        (status = 410, response = P410),
        (status = 413, response = P413),
        (status = 415, response = P415),
        (status = 429, response = P429),
        (status = 503, response = P503),
    )
)]
pub async fn submit(
    State(state): State<AppState>,
    Segment(raw): Segment,
    request: axum::extract::Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let caller = Caller::of(&state, &parts.extensions, &parts.headers);
    let headers = parts.headers;
    // Whatever it asks for or sends: a no-cors fetch from another site
    // carries a form body without `Accept: text/html`.
    if super::rating_pages::cross_site(&headers, &state.tenant.base_url(&headers)) {
        feedback_telemetry::count(Metric::RatingRefused("cross-site"));
        return super::rating_pages::cross_site_refusal(&state, &headers).await;
    }
    if super::rating_pages::wants_page(&headers) {
        return super::rating_pages::submit_page(&state, &raw, &caller, &headers, body).await;
    }
    submit_json(&state, &raw, &caller, &headers, body)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn submit_json(
    state: &AppState,
    raw: &str,
    caller: &Caller,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let code = code(raw)?;
    let fields = body::read(headers, body, PUBLIC_LIMIT, true).await?;
    let done = record(state, &code, &fields, caller)
        .await
        .map_err(|e| e.error)?;
    let status = match done.recorded {
        Recorded::Created(_) => StatusCode::CREATED,
        Recorded::Replaced { .. } | Recorded::Unchanged(_) => StatusCode::OK,
    };
    let view = RatingView {
        edit_token: done.edit_token.as_deref(),
        ..rating_view(done.recorded.response(), &done.settings)
    };
    Ok(json(status, &view))
}

#[cfg(test)]
mod tests {
    use super::*;
    use feedback_core::SurveyKind;
    use feedback_core::model::NewInvitation;
    use feedback_core::time::TenantZone;

    fn invitation(locale: Option<&str>) -> Target {
        Target::Invitation(
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
            ),
        )
    }

    fn accept(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(axum::http::header::ACCEPT_LANGUAGE, value.parse().unwrap());
        h
    }

    #[test]
    fn a_form_is_taken_between_its_minimum_fill_time_and_its_lifetime() {
        let secret = Secret::new([3; 32]);
        let code = Code::generate().unwrap();
        let rules = AbuseRules::default();
        let shown = now();
        let form = |at| {
            std::collections::HashMap::from([(
                "t".to_owned(),
                secret.form_token(code.as_str(), "", at),
            )])
        };
        let rule =
            |sent| check_form(&form(shown), &code, &secret, &rules, sent).map_err(|e| e.rule);
        assert_eq!(rule(shown), Err(Rule::TooFast));
        assert_eq!(rule(shown + chrono::Duration::seconds(5)), Ok(()));
        assert_eq!(rule(shown + FORM_LIFETIME), Ok(()));
        assert_eq!(
            rule(shown + FORM_LIFETIME + chrono::Duration::seconds(1)),
            Err(Rule::Stale)
        );
        // Another link's token is no token.
        let other = Code::generate().unwrap();
        assert_eq!(
            check_form(
                &form(shown),
                &other,
                &secret,
                &rules,
                shown + chrono::Duration::seconds(5)
            )
            .map_err(|e| e.rule),
            Err(Rule::TooFast)
        );
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
