//! What to do with a customer's submit, given what is already stored.
//!
//! Both stores call [`decide`] inside their atomic step, so the edit-window
//! and double-tap rules are the same everywhere.

use crate::followup::{FollowUp, FollowUpRules};
use crate::model::Response;
use crate::rollup::{self, RollupIncrement};
use chrono::{DateTime, Duration, Utc};

/// The settings a submit is recorded under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubmitRules {
    /// How long after the first answer the customer may change it.
    pub edit_window: Duration,
    /// Which answers open a follow-up.
    pub follow_up: FollowUpRules,
}

/// Everything one recorded submit writes besides the response itself: the
/// follow-up to store (if it changes) and the rollup rows to move.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effects {
    pub follow_up: Option<FollowUp>,
    pub increments: Vec<RollupIncrement>,
}

/// What a first answer writes: its counts, and a follow-up if unhappy. A
/// flagged answer only counts as flagged and opens nothing until released.
pub fn on_insert(response: &Response, rules: &SubmitRules) -> Effects {
    counted(rollup::for_new_response(response), response, rules)
}

/// What releasing a flagged response writes: its counts move out of
/// `flagged` into the scores, and it opens its follow-up as a first answer
/// would have.
pub fn on_release(flagged: &Response, released: &Response, rules: &SubmitRules) -> Effects {
    counted(rollup::for_release(flagged, released), released, rules)
}

fn counted(increments: Vec<RollupIncrement>, response: &Response, rules: &SubmitRules) -> Effects {
    let follow_up = match response.flagged {
        Some(_) => None,
        None => FollowUp::opened_by(response, &rules.follow_up),
    };
    let opened = follow_up.as_ref().map(|f| rollup::for_follow_up(None, f));
    Effects {
        increments: rollup::merged([increments].into_iter().chain(opened)),
        follow_up,
    }
}

/// What an edit from `previous` to `current` writes, given the response's
/// stored follow-up: counts move, and the follow-up opens, closes or
/// follows the new score.
pub fn on_replace(
    previous: &Response,
    current: &Response,
    follow_up: Option<&FollowUp>,
    rules: &SubmitRules,
    now: DateTime<Utc>,
) -> Effects {
    let next = match current.flagged {
        Some(_) => None,
        None => FollowUp::after_edit(follow_up, current, &rules.follow_up, now),
    };
    let moved = next.as_ref().map(|n| rollup::for_follow_up(follow_up, n));
    Effects {
        increments: rollup::merged(
            [rollup::for_revision(previous, current)]
                .into_iter()
                .chain(moved),
        ),
        follow_up: next,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Nothing stored yet: record it and count it.
    Insert,
    /// Inside the edit window with a different answer: store this revision
    /// and move the counts.
    Replace(Box<Response>),
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
        Decision::Replace(Box::new(existing.revised_by(incoming, now)))
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
        let inv = crate::model::test_invitation(t0);
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

    #[test]
    fn effects_open_and_close_follow_ups_with_their_counts() {
        let zone = TenantZone::parse("tz", "UTC").unwrap();
        let t0: DateTime<Utc> = "2026-01-01T10:00:00Z".parse().unwrap();
        let inv = NewInvitation {
            order_id: Some("o".into()),
            channel: Some("sms".into()),
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
        let answer = |score| Answer {
            score,
            answers: Answers::default(),
            comment: None,
        };
        let rules = SubmitRules {
            edit_window: Duration::hours(24),
            follow_up: FollowUpRules::default(),
        };
        let low = Response::first(&inv, answer(1), t0, &zone);
        let opened = on_insert(&low, &rules);
        let fu = opened.follow_up.clone().unwrap();
        // all and channel slices, each with the response and the follow-up.
        assert_eq!(opened.increments.len(), 2);
        assert!(opened.increments.iter().all(|i| i.delta.csat.count == 1
            && i.delta.follow_up.opened == 1
            && i.delta.answered == 1));
        let t1 = t0 + Duration::hours(1);
        let high = low.revised_by(&Response::first(&inv, answer(5), t1, &zone), t1);
        let closed = on_replace(&low, &high, Some(&fu), &rules, t1);
        assert_eq!(
            closed.follow_up.as_ref().map(|f| f.status),
            Some(crate::followup::Status::Closed)
        );
        assert!(
            closed
                .increments
                .iter()
                .all(|i| i.delta.follow_up.opened == -1
                    && i.delta.csat.hist[1] == -1
                    && i.delta.csat.hist[5] == 1)
        );
        let happy = on_insert(&high, &rules);
        assert_eq!(happy.follow_up, None);
        assert!(
            happy
                .increments
                .iter()
                .all(|i| i.delta.follow_up.opened == 0)
        );
    }
}
