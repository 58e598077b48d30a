//! The customer pages' strings, one JSON file per language in `locales/`
//! (embedded at build time by `build.rs`).

use axum::http::{HeaderMap, header};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::LazyLock;

include!(concat!(env!("OUT_DIR"), "/locales.rs"));

/// Every string a customer page shows. A locale file must have them all.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Strings {
    pub language_name: String,
    pub dir: String,
    pub title: String,
    pub csat_question: String,
    pub csat_question_rep: String,
    /// Between the last two names of a list ("Ayesha and Bilal").
    pub names_and: String,
    /// Between the other names of a list ("Ayesha, Bilal and Chen").
    pub names_comma: String,
    pub nps_question: String,
    pub ces_question: String,
    pub csat_low: String,
    pub csat_high: String,
    pub nps_low: String,
    pub nps_high: String,
    pub ces_low: String,
    pub ces_high: String,
    pub q_friendliness: String,
    pub q_speed: String,
    pub q_knowledge: String,
    pub q_resolved: String,
    pub q_expectations: String,
    pub yes: String,
    pub no: String,
    pub below: String,
    pub met: String,
    pub exceeded: String,
    pub rating_low: String,
    pub rating_high: String,
    pub comment_label: String,
    pub submit: String,
    pub preselected: String,
    pub thanks_title: String,
    pub thanks_default: String,
    pub coupon_label: String,
    pub your_answer: String,
    pub change_answer: String,
    pub change_until: String,
    pub answered_title: String,
    pub expired_title: String,
    pub expired_body: String,
    pub not_found_title: String,
    pub not_found_body: String,
    pub error_title: String,
    pub error_score: String,
    pub error_other: String,
    pub too_fast: String,
    pub busy_title: String,
    pub busy_body: String,
    pub forbidden_title: String,
    pub forbidden_body: String,
    pub refused_title: String,
    pub refused_body: String,
    pub limited_title: String,
    pub limited_body: String,
    pub disabled_title: String,
    pub disabled_body: String,
    pub message: MessageStrings,
    pub dashboard: DashboardStrings,
}

/// The strings of the messages the product sends for the business.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageStrings {
    pub subject: String,
    pub reminder_subject: String,
    pub intro: String,
    pub link: String,
    pub unsubscribe: String,
    pub unsubscribe_link: String,
    pub sms: String,
    pub sms_reminder: String,
    /// The unsubscribe link's page.
    pub confirm_title: String,
    pub confirm_button: String,
    pub done_title: String,
    pub done_body: String,
}

/// The business dashboard's strings.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DashboardStrings {
    pub title: String,
    pub sign_in_title: String,
    pub sign_in_intro: String,
    pub key_label: String,
    pub sign_in: String,
    pub sign_in_failed: String,
    pub sign_out: String,
    pub signed_in_as: String,
    pub filters: String,
    pub from: String,
    pub to: String,
    pub granularity: String,
    pub day: String,
    pub week: String,
    pub month: String,
    pub year: String,
    pub rep: String,
    pub channel: String,
    pub location: String,
    pub everyone: String,
    pub every_channel: String,
    pub apply: String,
    pub quick_ranges: String,
    pub last_days: String,
    pub period: String,
    pub csat: String,
    pub csat_hint: String,
    pub top_box: String,
    pub nps: String,
    pub nps_hint: String,
    pub ces: String,
    pub ces_hint: String,
    pub interval: String,
    pub responses: String,
    pub up: String,
    pub down: String,
    pub steady: String,
    pub no_data: String,
    pub flagged: String,
    pub trends: String,
    pub chart_label: String,
    pub leaderboard: String,
    pub rank: String,
    pub count: String,
    pub score: String,
    pub trend: String,
    pub not_ranked_few: String,
    pub not_ranked_wide: String,
    pub no_reps: String,
    pub response_rate: String,
    pub invitations: String,
    pub answered: String,
    pub not_sent: String,
    pub rate: String,
    pub drivers: String,
    pub question: String,
    pub correlation: String,
    pub not_enough_data: String,
    pub no_variation: String,
    pub follow_ups: String,
    pub waiting_summary: String,
    pub age: String,
    pub overdue: String,
    pub none_waiting: String,
    pub comments: String,
    pub no_comments: String,
    pub comments_scope: String,
    pub language: String,
    pub hours: String,
    pub days: String,
    pub q_friendliness: String,
    pub q_speed: String,
    pub q_knowledge: String,
    pub q_resolved: String,
    pub q_expectations: String,
}

/// The parsed locale files by language. A file that does not parse is
/// logged and left out (a test keeps that from shipping).
static LOCALES: LazyLock<BTreeMap<&'static str, Strings>> = LazyLock::new(|| {
    LOCALE_FILES
        .iter()
        .filter_map(|(lang, json)| match serde_json::from_str(json) {
            Ok(strings) => Some((*lang, strings)),
            Err(e) => {
                tracing::error!(lang, error = %e, "locale file does not parse; left out");
                None
            }
        })
        .collect()
});

/// The languages pages can be shown in.
pub fn languages() -> impl Iterator<Item = &'static str> {
    LOCALES.keys().copied()
}

/// The languages pages exist in, as the API document shows a page's locale.
pub fn language_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(languages()))
        .into()
}

/// The strings of `lang`, or English.
pub fn strings(lang: &str) -> &'static Strings {
    LOCALES
        .get(lang)
        .or_else(|| LOCALES.get("en"))
        .expect("locales/en.json is embedded and tested")
}

/// `template` escaped, with each `{name}` replaced by its escaped value in a
/// `<bdi>`, so a Latin name or a date keeps its order inside Urdu text.
pub fn fill_html(template: &str, values: &[(&str, &str)]) -> String {
    values
        .iter()
        .fold(super::esc(template), |html, (name, value)| {
            html.replace(&format!("{{{name}}}"), &isolated(value))
        })
}

/// `value` escaped and isolated from the text around it, so a name in
/// another script cannot reorder a sentence.
fn isolated(value: &str) -> String {
    format!("<bdi>{}</bdi>", super::esc(value))
}

/// `names` listed as the language lists them ("Ayesha, Bilal and Chen"):
/// each name through `name`, each separator through `separator`.
fn list(
    s: &Strings,
    names: &[&str],
    name: impl Fn(&str) -> String,
    separator: impl Fn(&str) -> String,
) -> String {
    let Some((last, rest)) = names.split_last() else {
        return String::new();
    };
    let rest: Vec<String> = rest.iter().map(|n| name(n)).collect();
    let mut listed = rest.join(&separator(&s.names_comma));
    if !listed.is_empty() {
        listed.push_str(&separator(&s.names_and));
    }
    listed.push_str(&name(last));
    listed
}

/// `template` with `{name}` replaced by `names` listed as the language
/// lists them ("Ayesha, Bilal and Chen"), each isolated as in [`fill_html`].
pub fn fill_names_html(s: &Strings, template: &str, name: &str, names: &[&str]) -> String {
    let listed = list(s, names, isolated, super::esc);
    super::esc(template).replace(&format!("{{{name}}}"), &listed)
}

/// The same as plain text, for a message's subject or an SMS.
pub fn fill_names(s: &Strings, template: &str, name: &str, names: &[&str]) -> String {
    let listed = list(s, names, str::to_owned, str::to_owned);
    template.replace(&format!("{{{name}}}"), &listed)
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
    languages().find(|l| *l == primary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_html_isolates_and_escapes_values() {
        assert_eq!(
            fill_html("<{rep}>", &[("rep", "A&B")]),
            "&lt;<bdi>A&amp;B</bdi>&gt;"
        );
    }

    #[test]
    fn names_are_listed_as_each_language_lists_them() {
        let en = strings("en");
        let q = |s: &Strings, names: &[&str]| fill_names_html(s, "<{rep}>", "rep", names);
        assert_eq!(q(en, &["A&B"]), "&lt;<bdi>A&amp;B</bdi>&gt;");
        assert_eq!(
            q(en, &["Ayesha", "Bilal"]),
            "&lt;<bdi>Ayesha</bdi> and <bdi>Bilal</bdi>&gt;"
        );
        assert_eq!(
            q(en, &["Ayesha", "Bilal", "Chen"]),
            "&lt;<bdi>Ayesha</bdi>, <bdi>Bilal</bdi> and <bdi>Chen</bdi>&gt;"
        );
        assert_eq!(
            q(strings("ur"), &["عائشہ", "بلال", "Chen"]),
            "&lt;<bdi>عائشہ</bdi>، <bdi>بلال</bdi> اور <bdi>Chen</bdi>&gt;"
        );
        assert_eq!(
            q(strings("hi"), &["Ayesha", "Bilal"]),
            "&lt;<bdi>Ayesha</bdi> और <bdi>Bilal</bdi>&gt;"
        );
        assert_eq!(
            fill_names(strings("ur"), "{rep}؟", "rep", &["عائشہ", "بلال"]),
            "عائشہ اور بلال؟"
        );
    }

    #[test]
    fn every_locale_file_parses_and_has_a_direction() {
        assert_eq!(
            LOCALES.len(),
            LOCALE_FILES.len(),
            "a locale file failed to parse"
        );
        for (lang, s) in LOCALES.iter() {
            assert!(s.dir == "ltr" || s.dir == "rtl", "{lang}");
            assert!(s.csat_question_rep.contains("{rep}"), "{lang}");
            assert!(s.change_until.contains("{time}"), "{lang}");
        }
        assert_eq!(languages().collect::<Vec<_>>(), ["en", "hi", "ur"]);
        assert_eq!(strings("ur").dir, "rtl");
        assert_eq!(strings("xx").language_name, "English");
    }
}
