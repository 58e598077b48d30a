//! The customer's pages: the rating form behind a link, the thank-you page,
//! and friendly pages for answered, expired and unknown links. A GET never
//! records anything: mail scanners open every link in a message, so the
//! one-click link (`?score=N`) only preselects and the customer confirms.

use super::public::{self, Caller, NotRecorded, Submitted, language};
use crate::body::{self, Fields, PUBLIC_LIMIT};
use crate::error::ApiError;
use crate::pages::i18n::{browser_language, supported};
use crate::pages::i18n::{fill_html, strings};
use crate::pages::{self, Answered, Form, local_time};
use crate::state::AppState;
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use feedback_app::invitations::read_reps;
use feedback_core::Answerable;
use feedback_core::code::random_base62;
use feedback_core::links::{Closed, Target};
use feedback_core::model;
use feedback_core::model::Submission;
use feedback_core::submission::editable_until;
use feedback_core::{Answers, Expectation, Rule, Settings};
use feedback_store::Recorded;

/// A browser's form post, which wants a page back rather than JSON.
pub fn wants_page(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"))
        && pages::asks_for_html(headers)
}

/// Whether a form post comes from a page of another site. The link's code is
/// the capability; this also stops another site from posting in a visitor's
/// name. Browsers send `Sec-Fetch-Site`; where one does not, a non-null
/// `Origin` must be ours (our own pages send `Origin: null`, because they
/// set `Referrer-Policy: no-referrer`).
pub fn cross_site(headers: &HeaderMap, base_url: &str) -> bool {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = get("sec-fetch-site") {
        return !matches!(site, "same-origin" | "none");
    }
    match get("origin") {
        None | Some("null") => false,
        Some(origin) => {
            !base_url.starts_with(origin)
                || base_url[origin.len()..]
                    .chars()
                    .next()
                    .is_some_and(|c| c != '/')
        }
    }
}

/// The answer to a post from another site's page: a page for a browser
/// that asked for one, problem+json otherwise; nothing is recorded.
pub async fn cross_site_refusal(state: &AppState, headers: &HeaderMap) -> Response {
    if !pages::asks_for_html(headers) {
        return ApiError::Forbidden("posts from another site's pages are refused".into())
            .into_response();
    }
    let lang = fallback_lang(state, headers).await;
    let s = strings(lang);
    pages::message(
        StatusCode::FORBIDDEN,
        lang,
        &s.forbidden_title,
        &s.forbidden_body,
    )
}

/// The language of an error page after a form post that named no usable
/// invitation: read only on those paths, so a successful submit reads the
/// settings once (in `public::record`).
async fn fallback_lang(state: &AppState, headers: &HeaderMap) -> &'static str {
    lang_without_invitation(state.settings().await.ok().as_ref(), headers)
}

/// The page language where no invitation names one (unknown links).
pub fn lang_without_invitation(settings: Option<&Settings>, headers: &HeaderMap) -> &'static str {
    settings
        .and_then(|s| s.default_locale.as_ref())
        .and_then(|l| supported(l.as_str()))
        .or_else(|| browser_language(headers))
        .unwrap_or("en")
}

fn not_found(lang: &str) -> Response {
    let s = strings(lang);
    pages::message(
        StatusCode::NOT_FOUND,
        lang,
        &s.not_found_title,
        &s.not_found_body,
    )
}

fn busy(lang: &str, retry_after: u64) -> Response {
    let s = strings(lang);
    pages::message_retry(
        StatusCode::SERVICE_UNAVAILABLE,
        lang,
        &s.busy_title,
        &s.busy_body,
        retry_after,
    )
}

/// The already-answered-today page of a reusable link's quota, until `until`.
fn limited(lang: &str, retry_after: u64, until: &str) -> Response {
    let s = strings(lang);
    pages::message_retry(
        StatusCode::TOO_MANY_REQUESTS,
        lang,
        &s.limited_title,
        &s.limited_body.replace("{time}", until),
        retry_after,
    )
}

/// The answered/thank-you view of `rating`, for a visitor holding its
/// `edit_token` or not: the answer is shown, and can be changed, only with
/// the token. Only an invitation's answer can be changed: a reusable link
/// answers anew on each visit.
fn answered<'a>(
    state: &AppState,
    target: &'a Target,
    settings: &'a Settings,
    rating: &model::Response,
    lang: &'a str,
    edit_token: Option<&'a str>,
) -> Answered<'a> {
    let until = editable_until(rating, settings.edit_window());
    let open = matches!(target, Target::Invitation(_)) && super::now() < until;
    Answered {
        lang,
        code: target.code(),
        business: &settings.display_name,
        score: edit_token.map(|_| rating.score),
        thank_you: settings.thank_you.get(lang).map(String::as_str),
        coupon: settings.coupon.as_deref(),
        editable: edit_token
            .filter(|_| open)
            .map(|token| (local_time(until, &state.tenant.zone), token)),
    }
}

/// The names a page asks about; without them (a failed read) it asks
/// about the business instead of failing.
async fn rep_names(state: &AppState, target: &Target) -> Vec<String> {
    let reps = read_reps(state.store.as_ref(), target.attribution())
        .await
        .unwrap_or_default();
    reps.into_iter().map(|r| r.display_name).collect()
}

/// The answers of a submission that were valid, to show the form again.
fn kept_answers(s: &Submission) -> Answers {
    let rating = |v: Option<i64>| {
        v.and_then(|v| u8::try_from(v).ok())
            .filter(|v| (1..=5).contains(v))
    };
    Answers {
        friendliness: rating(s.friendliness),
        speed: rating(s.speed),
        knowledge: rating(s.knowledge),
        resolved: s.resolved,
        expectations: s
            .expectations
            .as_deref()
            .and_then(|e| Expectation::parse("e", e).ok()),
    }
}

/// A form's hidden controls for `target`: the signed render time, and on a
/// reusable link the answer key (`keep`, the one posted, when shown again).
async fn controls(
    state: &AppState,
    target: &Target,
    keep: Option<String>,
) -> Result<(String, Option<String>), ApiError> {
    let secret = state.secret().await?;
    let rid = match target {
        Target::Invitation(_) => None,
        Target::Link(_) => Some(match keep {
            Some(rid) => rid,
            None => random_base62(16).map_err(|e| ApiError::Internal(e.to_string()))?,
        }),
    };
    let token = secret.form_token(
        target.code().as_str(),
        rid.as_deref().unwrap_or_default(),
        super::now(),
    );
    Ok((token, rid))
}

/// `GET /r/{code}`.
pub async fn rating_page(
    state: &AppState,
    raw: &str,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Response {
    // What the page needs is read at once where it can be: the settings
    // with the link, then its answer, the form's controls and the rep's
    // name together. A cold page then waits for two round trips, not five.
    let code = public::code(raw);
    let (settings, target) = tokio::join!(state.settings(), async {
        match &code {
            Ok(code) => Some(public::target(state, code).await),
            Err(_) => None,
        }
    });
    let settings = settings.ok();
    let fallback = lang_without_invitation(settings.as_ref(), headers);
    let (Ok(code), Some(target)) = (code, target) else {
        return not_found(fallback);
    };
    let (target, settings) = match (target, settings) {
        (Ok(t), Some(s)) => (t, s),
        (Err(ApiError::NotFound(_)), _) => return not_found(fallback),
        _ => return busy(fallback, 1),
    };
    let lang = language(&target, &settings, headers);
    let s = strings(lang);
    if let Target::Link(link) = &target {
        match link.closed(super::now()) {
            Some(Closed::Disabled) => return disabled(lang),
            Some(Closed::Expired(_)) => return expired(lang),
            None => {}
        }
    }
    let (stored, controls, reps) = tokio::join!(
        async {
            match &target {
                Target::Invitation(_) => state.store.get_response(&code).await,
                Target::Link(_) => Ok(None),
            }
        },
        controls(state, &target, None),
        rep_names(state, &target),
    );
    let (Ok(stored), Ok((token, rid))) = (stored, controls) else {
        return busy(lang, 1);
    };
    let reps: Vec<&str> = reps.iter().map(String::as_str).collect();
    let mut form = Form {
        lang,
        code: &code,
        business: &settings.display_name,
        reps: &reps,
        survey: target.attribution().survey,
        questions: &settings.questions,
        score: None,
        answers: Answers::default(),
        comment: None,
        note_html: None,
        error: None,
        token: &token,
        rid: rid.as_deref(),
        edit_token: None,
    };
    let edit = public::edit_query(query);
    match (&stored, &target) {
        (Some(rating), _) => {
            let Ok(token) = public::held_edit_token(state, &rating.id, edit.as_deref()).await
            else {
                return busy(lang, 1);
            };
            let view = answered(state, &target, &settings, rating, lang, token);
            let Some((until, token)) = view.editable.clone() else {
                return pages::already_answered(StatusCode::OK, &view);
            };
            form.score = Some(rating.score);
            form.answers = rating.answers;
            form.comment = rating.comment.as_deref();
            form.note_html = Some(fill_html(&s.change_until, &[("time", &until)]));
            form.edit_token = Some(token);
        }
        (None, Target::Invitation(i)) if i.is_expired(super::now()) => return expired(lang),
        (None, _) => {
            // The one-click link preselects; only the customer's tap records.
            let kind = target.attribution().survey;
            let wanted =
                serde_urlencoded::from_str::<Vec<(String, String)>>(query.unwrap_or_default())
                    .unwrap_or_default()
                    .into_iter()
                    .find(|(k, _)| k == "score")
                    .and_then(|(_, v)| v.parse::<i64>().ok())
                    .and_then(|v| kind.score("score", v).ok());
            if let Some(score) = wanted {
                form.score = Some(score);
                form.note_html = Some(fill_html(&s.preselected, &[("score", &score.to_string())]));
            }
        }
    }
    pages::rating_form(StatusCode::OK, &form)
}

fn expired(lang: &str) -> Response {
    let s = strings(lang);
    pages::message(StatusCode::GONE, lang, &s.expired_title, &s.expired_body)
}

fn disabled(lang: &str) -> Response {
    let s = strings(lang);
    pages::message(StatusCode::GONE, lang, &s.disabled_title, &s.disabled_body)
}

/// `POST /r/{code}` from the form.
pub async fn submit_page(
    state: &AppState,
    raw: &str,
    caller: &Caller,
    headers: &HeaderMap,
    body: Body,
) -> Response {
    let Ok(code) = public::code(raw) else {
        return not_found(fallback_lang(state, headers).await);
    };
    let fields = match body::read(headers, body, PUBLIC_LIMIT, true).await {
        Ok(fields) => fields,
        Err(e) => {
            let lang = fallback_lang(state, headers).await;
            let s = strings(lang);
            return pages::message(e.status(), lang, &s.error_title, &s.error_other);
        }
    };
    let (posted_rid, posted_edit) = match &fields {
        Fields::Form(form) => (
            form.get("rid").cloned(),
            form.get(public::EDIT_TOKEN).cloned(),
        ),
        Fields::Json(_) => (None, None),
    };
    match public::record(state, &code, &fields, caller).await {
        Ok(Submitted {
            target,
            settings,
            recorded,
            edit_token,
        }) => {
            let lang = language(&target, &settings, headers);
            let status = if matches!(recorded, Recorded::Created(_)) {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            pages::thank_you(
                status,
                &answered(
                    state,
                    &target,
                    &settings,
                    recorded.response(),
                    lang,
                    edit_token.as_deref(),
                ),
            )
        }
        Err(NotRecorded {
            error,
            submission,
            target,
        }) => {
            let Some((target, settings)) = target else {
                return match error {
                    ApiError::NotFound(_) => not_found(fallback_lang(state, headers).await),
                    _ => busy(fallback_lang(state, headers).await, 1),
                };
            };
            let lang = language(&target, &settings, headers);
            let s = strings(lang);
            match error {
                ApiError::Invalid(errors) if errors.iter().any(|e| e.rule == Rule::Automated) => {
                    pages::message(
                        StatusCode::BAD_REQUEST,
                        lang,
                        &s.refused_title,
                        &s.refused_body,
                    )
                }
                ApiError::Invalid(errors) => {
                    let submission = submission.unwrap_or_default();
                    let message = if errors.iter().any(|e| e.rule == Rule::TooFast) {
                        &s.too_fast
                    } else if errors.iter().any(|e| e.field == "score") {
                        &s.error_score
                    } else {
                        &s.error_other
                    };
                    let Ok((token, rid)) = controls(state, &target, posted_rid).await else {
                        return busy(lang, 1);
                    };
                    let reps = rep_names(state, &target).await;
                    let reps: Vec<&str> = reps.iter().map(String::as_str).collect();
                    let kind = target.attribution().survey;
                    let form = Form {
                        lang,
                        code: target.code(),
                        business: &settings.display_name,
                        reps: &reps,
                        survey: kind,
                        questions: &settings.questions,
                        score: submission.score.and_then(|v| kind.score("score", v).ok()),
                        answers: kept_answers(&submission),
                        comment: submission.comment.as_deref(),
                        note_html: None,
                        error: Some(message),
                        token: &token,
                        rid: rid.as_deref(),
                        edit_token: posted_edit.as_deref(),
                    };
                    pages::rating_form(StatusCode::BAD_REQUEST, &form)
                }
                ApiError::Gone(_) => expired(lang),
                ApiError::Disabled => disabled(lang),
                ApiError::TooManyRequests(secs, _) => {
                    let until = super::now() + chrono::Duration::seconds(secs as i64);
                    limited(lang, secs, &local_time(until, &state.tenant.zone))
                }
                ApiError::Conflict(_) => match state.store.get_response(target.code()).await {
                    Ok(Some(stored)) => {
                        // The answer is shown to whoever holds its token.
                        let token =
                            public::held_edit_token(state, &stored.id, posted_edit.as_deref())
                                .await
                                .ok()
                                .flatten();
                        pages::already_answered(
                            StatusCode::CONFLICT,
                            &answered(state, &target, &settings, &stored, lang, token),
                        )
                    }
                    _ => busy(lang, 1),
                },
                ApiError::Unavailable(secs) => busy(lang, secs),
                ApiError::NotFound(_) => not_found(lang),
                other => {
                    if let ApiError::Internal(reason) = &other {
                        tracing::error!(%reason, "internal error on a rating page");
                    }
                    busy(lang, 1)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn cross_site_posts_are_recognised() {
        let base = "https://fb.example.com";
        assert!(!cross_site(
            &headers(&[("sec-fetch-site", "same-origin")]),
            base
        ));
        assert!(cross_site(
            &headers(&[("sec-fetch-site", "cross-site")]),
            base
        ));
        assert!(cross_site(
            &headers(&[("sec-fetch-site", "same-site")]),
            base
        ));
        assert!(!cross_site(&headers(&[("origin", "null")]), base));
        assert!(!cross_site(
            &headers(&[("origin", "https://fb.example.com")]),
            base
        ));
        assert!(cross_site(
            &headers(&[("origin", "https://fb.example.com.evil.test")]),
            base
        ));
        assert!(cross_site(
            &headers(&[("origin", "https://evil.test")]),
            base
        ));
        assert!(!cross_site(&HeaderMap::new(), base));
    }

    #[test]
    fn only_browser_form_posts_get_pages() {
        let form = "application/x-www-form-urlencoded";
        assert!(wants_page(&headers(&[
            ("content-type", form),
            ("accept", "text/html,application/xhtml+xml")
        ])));
        assert!(!wants_page(&headers(&[("content-type", form)])));
        assert!(!wants_page(&headers(&[
            ("content-type", "application/json"),
            ("accept", "text/html")
        ])));
    }
}
