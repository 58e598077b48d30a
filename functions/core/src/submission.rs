//! What to do with a customer's submit, given what is already stored.
//!
//! Both stores call [`decide`] inside their atomic step, so the edit-window
//! and double-tap rules are the same everywhere.

use crate::model::Response;
use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Nothing stored yet: record it and count it.
    Insert,
    /// Inside the edit window with a different answer: store this revision
    /// and move the counts.
    Replace(Response),
    /// The same answer again (a double tap or a retry): nothing to write.
    Unchanged,
    /// The edit window has closed: refuse, keep the stored answer.
    WindowClosed,
}

/// Decides how `incoming` (a first-submission candidate built at `now`)
/// relates to the `existing` response for the same id.
pub fn decide(
    existing: Option<&Response>,
    incoming: &Response,
    now: DateTime<Utc>,
    edit_window: Duration,
) -> Decision {
    let Some(existing) = existing else {
        return Decision::Insert;
    };
    if existing.same_answer(incoming) {
        Decision::Unchanged
    } else if now < existing.submitted_at + edit_window {
        Decision::Replace(existing.revised_by(incoming, now))
    } else {
        Decision::WindowClosed
    }
}

/// When the stored answer stops being editable.
pub fn editable_until(response: &Response, edit_window: Duration) -> DateTime<Utc> {
    response.submitted_at + edit_window
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Answer, Answers, NewInvitation};
    use crate::survey::SurveyKind;
    use crate::time::TenantZone;

    #[test]
    fn window_and_double_taps() {
        let zone = TenantZone::parse("tz", "UTC").unwrap();
        let t0: DateTime<Utc> = "2026-01-01T10:00:00Z".parse().unwrap();
        let inv = NewInvitation {
            order_id: Some("o".into()),
            channel: Some("web".into()),
            ..Default::default()
        }
        .validate(SurveyKind::Csat)
        .unwrap()
        .issue(
            crate::Code::generate().unwrap(),
            t0,
            Duration::days(30),
            &zone,
        );
        let at = |score, t| {
            Response::first(
                &inv,
                Answer {
                    score,
                    answers: Answers::default(),
                    comment: None,
                },
                t,
                &zone,
            )
        };
        let window = Duration::hours(24);
        let first = at(3, t0);
        assert_eq!(decide(None, &first, t0, window), Decision::Insert);
        let t1 = t0 + Duration::hours(1);
        assert_eq!(
            decide(Some(&first), &at(3, t1), t1, window),
            Decision::Unchanged
        );
        match decide(Some(&first), &at(5, t1), t1, window) {
            Decision::Replace(r) => assert_eq!((r.score, r.revision, r.submitted_at), (5, 2, t0)),
            other => panic!("{other:?}"),
        }
        let t2 = t0 + window;
        assert_eq!(
            decide(Some(&first), &at(5, t2), t2, window),
            Decision::WindowClosed
        );
        assert_eq!(editable_until(&first, window), t2);
    }
}
