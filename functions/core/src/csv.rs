//! Responses as CSV (RFC 4180) for spreadsheets: CRLF line ends, fields
//! quoted when they hold a comma, quote or line break, UTF-8 throughout.
//!
//! Text a customer or a business typed is made inert for spreadsheet
//! programs: a cell starting with `=`, `+`, `-`, `@`, tab or carriage
//! return would be read as a formula (CSV injection), so it gets a leading
//! `'`, which spreadsheets show as text and do not evaluate.

use crate::RepId;
use crate::model::Response;

/// The byte-order mark some spreadsheet programs need to read UTF-8.
pub const BOM: &str = "\u{feff}";

pub const HEADER: [&str; 17] = [
    "id",
    "code",
    "submitted_at",
    "edited_at",
    "survey",
    "score",
    "rep_id",
    "also_rep_ids",
    "channel",
    "location",
    "locale",
    "friendliness",
    "speed",
    "knowledge",
    "resolved",
    "expectations",
    "comment",
];

/// One RFC 4180 field.
fn field(out: &mut String, value: &str) {
    if value.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

/// A text cell that no spreadsheet evaluates.
fn inert(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

fn line(out: &mut String, cells: &[String]) {
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        field(out, cell);
    }
    out.push_str("\r\n");
}

pub fn header(out: &mut String) {
    line(out, &HEADER.map(String::from));
}

pub fn row(out: &mut String, r: &Response) {
    let opt = |v: Option<String>| v.unwrap_or_default();
    let a = &r.answers;
    line(
        out,
        &[
            r.id.clone(),
            r.code.to_string(),
            r.submitted_at.to_rfc3339(),
            opt(r.edited_at.map(|t| t.to_rfc3339())),
            r.attribution.survey.as_str().to_owned(),
            r.score.to_string(),
            opt(r.attribution.rep_id.as_ref().map(|x| inert(x.as_str()))),
            // Ids are URL-safe, so a space cannot be part of one.
            inert(
                &(r.attribution.also_rep_ids.iter())
                    .map(RepId::as_str)
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            r.attribution.channel.as_str().to_owned(),
            opt(r.attribution.location.as_ref().map(|x| inert(x.as_str()))),
            opt(r.locale.as_ref().map(ToString::to_string)),
            opt(a.friendliness.map(|x| x.to_string())),
            opt(a.speed.map(|x| x.to_string())),
            opt(a.knowledge.map(|x| x.to_string())),
            opt(a.resolved.map(|x| x.to_string())),
            opt(a.expectations.map(|x| x.as_str().to_owned())),
            opt(r.comment.as_deref().map(inert)),
        ],
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(text: &str) -> String {
        let mut out = String::new();
        line(&mut out, &[inert(text), "x".into()]);
        out
    }

    #[test]
    fn quoting_follows_rfc_4180() {
        assert_eq!(cells("plain"), "plain,x\r\n");
        assert_eq!(cells("a, b"), "\"a, b\",x\r\n");
        assert_eq!(cells("say \"hi\""), "\"say \"\"hi\"\"\",x\r\n");
        assert_eq!(cells("two\nlines"), "\"two\nlines\",x\r\n");
    }

    #[test]
    fn formulas_are_made_inert_and_scripts_kept_intact() {
        assert_eq!(
            cells("=HYPERLINK(\"http://x\")"),
            "\"'=HYPERLINK(\"\"http://x\"\")\",x\r\n"
        );
        assert_eq!(cells("+92 300"), "'+92 300,x\r\n");
        assert_eq!(cells("-1"), "'-1,x\r\n");
        assert_eq!(cells("@SUM(A1)"), "'@SUM(A1),x\r\n");
        assert_eq!(cells("\tcmd"), "'\tcmd,x\r\n");
        assert_eq!(cells("بہت اچھی سروس"), "بہت اچھی سروس,x\r\n");
        assert_eq!(cells("बहुत अच्छा"), "बहुत अच्छा,x\r\n");
        assert_eq!(cells("fine = good"), "fine = good,x\r\n");
    }
}
