//! Customer pages: server-rendered HTML, no scripts, no external assets, one
//! inline stylesheet allowed by its hash. Every dynamic text is escaped.

pub mod chart;
pub mod dashboard;
pub mod i18n;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use chrono::{DateTime, Utc};
use feedback_core::survey::Question;
use feedback_core::time::TenantZone;
use feedback_core::{Answers, Code, SurveyKind};
use i18n::{Strings, fill_html, fill_names_html, strings};
use sha2::{Digest, Sha256};
use std::fmt::Write;
use std::sync::LazyLock;

const STYLE: &str = include_str!("style.css");
/// The dashboard's stylesheet: the customer pages' and its own rules.
const DASHBOARD_STYLE: &str = concat!(include_str!("style.css"), include_str!("dashboard.css"));

/// The Content-Security-Policy of a page styled by `css`: nothing but that
/// stylesheet, form posts to this origin, no framing.
fn policy(css: &str) -> String {
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(css.as_bytes()));
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; img-src data:; form-action 'self'; \
         base-uri 'none'; frame-ancestors 'none'"
    )
}

static CSP: LazyLock<String> = LazyLock::new(|| policy(STYLE));
static DASHBOARD_CSP: LazyLock<String> = LazyLock::new(|| policy(DASHBOARD_STYLE));

/// Escapes text for HTML content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A complete document with its security headers. Pages are never cached:
/// they show a customer's own answer or a business's figures.
fn document(
    status: StatusCode,
    (lang, title, body): (&str, &str, &str),
    css: &str,
    csp: &str,
) -> Response {
    let s = strings(lang);
    let html = format!(
        "<!doctype html><html lang=\"{lang}\" dir=\"{dir}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{title}</title><style>{css}</style></head><body><main>{body}</main></body></html>",
        lang = esc(lang),
        dir = esc(&s.dir),
        title = esc(title),
    );
    let mut response = (status, html).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_str(csp).expect("ASCII policy"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A customer page.
pub fn page(status: StatusCode, lang: &str, title: &str, body: &str) -> Response {
    document(status, (lang, title, body), STYLE, &CSP)
}

/// A dashboard page.
pub fn dashboard_page(status: StatusCode, lang: &str, title: &str, body: &str) -> Response {
    document(status, (lang, title, body), DASHBOARD_STYLE, &DASHBOARD_CSP)
}

/// Whether the client asked for HTML (a browser), rather than JSON.
pub fn asks_for_html(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"))
}

/// A page with a title and one paragraph (expired, unknown, busy…).
pub fn message(status: StatusCode, lang: &str, title: &str, text: &str) -> Response {
    page(
        status,
        lang,
        title,
        &format!("<h1>{}</h1><p>{}</p>", esc(title), esc(text)),
    )
}

/// A [`message`] page that asks to come back in `retry_after` seconds
/// (busy, over a limit).
pub fn message_retry(
    status: StatusCode,
    lang: &str,
    title: &str,
    text: &str,
    retry_after: u64,
) -> Response {
    let mut page = message(status, lang, title, text);
    page.headers_mut().insert(
        axum::http::header::RETRY_AFTER,
        axum::http::HeaderValue::from(retry_after),
    );
    page
}

/// What a rating form shows.
pub struct Form<'a> {
    pub lang: &'a str,
    pub code: &'a Code,
    pub business: &'a str,
    /// The names of the reps credited, the first named first.
    pub reps: &'a [&'a str],
    pub survey: SurveyKind,
    pub questions: &'a [Question],
    /// Preselected answer: a one-click score, or the stored answer to change.
    pub score: Option<u8>,
    pub answers: Answers,
    pub comment: Option<&'a str>,
    /// Shown above the form (a one-click confirmation, "change until"),
    /// already HTML (from [`fill_html`]).
    pub note_html: Option<String>,
    pub error: Option<&'a str>,
    /// The signed time the form was shown (`t`).
    pub token: &'a str,
    /// On a reusable link, the key that makes a resend the same answer.
    pub rid: Option<&'a str>,
    /// The edit token, when the form changes a stored answer.
    pub edit_token: Option<&'a str>,
}

fn radios(
    out: &mut String,
    name: &str,
    legend_html: &str,
    options: &[(String, String)],
    checked: Option<&str>,
    ends: Option<(&str, &str)>,
) {
    let _ = write!(
        out,
        "<fieldset><legend>{legend_html}</legend><div class=\"opts\">"
    );
    for (value, label) in options {
        let id = format!("{name}-{value}");
        let on = if checked == Some(value.as_str()) {
            " checked"
        } else {
            ""
        };
        let required = if name == "score" { " required" } else { "" };
        let _ = write!(
            out,
            "<input type=\"radio\" name=\"{name}\" id=\"{id}\" value=\"{v}\"{on}{required}><label for=\"{id}\">{l}</label>",
            v = esc(value),
            l = esc(label),
        );
    }
    out.push_str("</div>");
    if let Some((low, high)) = ends {
        let _ = write!(
            out,
            "<div class=\"ends\" aria-hidden=\"true\"><span>{}</span><span>{}</span></div>",
            esc(low),
            esc(high)
        );
    }
    out.push_str("</fieldset>");
}

fn scale(min: u8, max: u8) -> Vec<(String, String)> {
    (min..=max)
        .map(|n| (n.to_string(), n.to_string()))
        .collect()
}

/// The main question of a survey kind (HTML), naming the reps or the
/// business.
fn main_question<'s>(
    s: &'s Strings,
    survey: SurveyKind,
    business: &str,
    reps: &[&str],
) -> (String, &'s str, &'s str) {
    match survey {
        SurveyKind::Csat => {
            let q = match reps {
                [] => fill_html(&s.csat_question, &[("business", business)]),
                names => fill_names_html(s, &s.csat_question_rep, "rep", names),
            };
            (q, &s.csat_low, &s.csat_high)
        }
        SurveyKind::Nps => (
            fill_html(&s.nps_question, &[("business", business)]),
            &s.nps_low,
            &s.nps_high,
        ),
        SurveyKind::Ces => (
            fill_html(&s.ces_question, &[("business", business)]),
            &s.ces_low,
            &s.ces_high,
        ),
    }
}

pub fn rating_form(status: StatusCode, f: &Form<'_>) -> Response {
    let s = strings(f.lang);
    let mut b = String::with_capacity(6000);
    let _ = write!(
        b,
        "<p class=\"biz\">{}</p><h1>{}</h1>",
        esc(f.business),
        esc(&s.title)
    );
    if let Some(error) = f.error {
        let _ = write!(b, "<p class=\"error\" role=\"alert\">{}</p>", esc(error));
    }
    if let Some(note) = &f.note_html {
        let _ = write!(b, "<p class=\"note\">{note}</p>");
    }
    // The honeypot is not displayed, so people (and screen readers) never
    // meet it; bots that fill every field do.
    let _ = write!(
        b,
        "<form method=\"post\" action=\"/r/{}\"><input type=\"hidden\" name=\"t\" value=\"{}\">\
         <div class=\"hp\"><label for=\"website\">Website</label>\
         <input id=\"website\" name=\"website\" type=\"text\" tabindex=\"-1\" autocomplete=\"off\"></div>",
        esc(f.code.as_str()),
        esc(f.token),
    );
    for (name, value) in [("rid", f.rid), ("edit_token", f.edit_token)] {
        if let Some(value) = value {
            let _ = write!(
                b,
                "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
                esc(value)
            );
        }
    }
    let (question, low, high) = main_question(s, f.survey, f.business, f.reps);
    let score = f.score.map(|n| n.to_string());
    radios(
        &mut b,
        "score",
        &question,
        &scale(f.survey.min(), f.survey.max()),
        score.as_deref(),
        Some((low, high)),
    );
    let rated = |v: Option<u8>| v.map(|n| n.to_string());
    for q in f.questions {
        match q {
            Question::Friendliness | Question::Speed | Question::Knowledge => {
                let (legend, value) = match q {
                    Question::Friendliness => (&s.q_friendliness, f.answers.friendliness),
                    Question::Speed => (&s.q_speed, f.answers.speed),
                    _ => (&s.q_knowledge, f.answers.knowledge),
                };
                radios(
                    &mut b,
                    q.as_str(),
                    &esc(legend),
                    &scale(1, 5),
                    rated(value).as_deref(),
                    Some((&s.rating_low, &s.rating_high)),
                );
            }
            Question::Resolved => {
                let options = [
                    ("true".to_owned(), s.yes.clone()),
                    ("false".to_owned(), s.no.clone()),
                ];
                let checked = f.answers.resolved.map(|r| r.to_string());
                radios(
                    &mut b,
                    "resolved",
                    &esc(&s.q_resolved),
                    &options,
                    checked.as_deref(),
                    None,
                );
            }
            Question::Expectations => {
                let options = [
                    ("below".to_owned(), s.below.clone()),
                    ("met".to_owned(), s.met.clone()),
                    ("exceeded".to_owned(), s.exceeded.clone()),
                ];
                let checked = f.answers.expectations.map(|e| e.as_str());
                radios(
                    &mut b,
                    "expectations",
                    &esc(&s.q_expectations),
                    &options,
                    checked,
                    None,
                );
            }
        }
    }
    let _ = write!(
        b,
        "<label class=\"block\" for=\"comment\">{}</label><textarea id=\"comment\" name=\"comment\" maxlength=\"2000\" rows=\"4\">{}</textarea>\
         <button type=\"submit\">{}</button></form>",
        esc(&s.comment_label),
        esc(f.comment.unwrap_or_default()),
        esc(&s.submit),
    );
    page(status, f.lang, &s.title, &b)
}

/// Formats an instant in the tenant's zone for people.
pub fn local_time(t: DateTime<Utc>, zone: &TenantZone) -> String {
    zone.format(t, "%Y-%m-%d %H:%M")
}

/// The thank-you page after a submit, or the read-only answer after the edit
/// window.
pub struct Answered<'a> {
    pub lang: &'a str,
    pub code: &'a Code,
    pub business: &'a str,
    /// The answer's score, shown only to whoever holds its edit token.
    pub score: Option<u8>,
    pub thank_you: Option<&'a str>,
    pub coupon: Option<&'a str>,
    /// Until when the answer can be changed, formatted, with the edit token
    /// the change link carries; `None` once closed or without the token.
    pub editable: Option<(String, &'a str)>,
}

pub fn thank_you(status: StatusCode, a: &Answered<'_>) -> Response {
    let s = strings(a.lang);
    let mut b = format!(
        "<p class=\"biz\">{}</p><h1>{}</h1><p>{}</p>",
        esc(a.business),
        esc(&s.thanks_title),
        esc(a.thank_you.unwrap_or(&s.thanks_default))
    );
    push_answer(&mut b, s, a);
    page(status, a.lang, &s.thanks_title, &b)
}

pub fn already_answered(status: StatusCode, a: &Answered<'_>) -> Response {
    let s = strings(a.lang);
    let mut b = format!(
        "<p class=\"biz\">{}</p><h1>{}</h1>",
        esc(a.business),
        esc(&s.answered_title)
    );
    push_answer(&mut b, s, a);
    page(status, a.lang, &s.answered_title, &b)
}

fn push_answer(b: &mut String, s: &Strings, a: &Answered<'_>) {
    if let Some(score) = a.score {
        let _ = write!(
            b,
            "<p>{}</p>",
            fill_html(&s.your_answer, &[("score", &score.to_string())])
        );
    }
    if let Some(coupon) = a.coupon {
        let _ = write!(
            b,
            "<p>{}</p><p class=\"coupon\">{}</p>",
            esc(&s.coupon_label),
            esc(coupon)
        );
    }
    if let Some((until, token)) = &a.editable {
        let _ = write!(
            b,
            "<p><a href=\"/r/{}?edit={}\">{}</a></p><p class=\"biz\">{}</p>",
            esc(a.code.as_str()),
            esc(token),
            esc(&s.change_answer),
            fill_html(&s.change_until, &[("time", until)])
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(
            esc("<b a=\"x\">'&'</b>"),
            "&lt;b a=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/b&gt;"
        );
        assert_eq!(esc("بہت اچھا"), "بہت اچھا");
    }

    #[test]
    fn the_policy_allows_only_the_stylesheet() {
        assert!(CSP.starts_with("default-src 'none'; style-src 'sha256-"));
        assert!(!CSP.contains("script-src") && !CSP.contains("unsafe"));
        assert_ne!(
            *CSP, *DASHBOARD_CSP,
            "each page allows its own stylesheet only"
        );
    }
}
