//! Follow-ups: an unhappy response becomes a work item with a clock on it.
//!
//! A follow-up is opened by the same atomic write that records an unhappy
//! response, and it lives as long as the response stays unhappy: an edit
//! that makes the answer happy closes it, an edit back down reopens it. The
//! business moves it `open → contacted → resolved` (or reopens a resolved
//! one). Its times count in the rollups of the response's day and slices,
//! as a delta between two states ([`FollowUp::contribution`]), exactly like
//! a response's scores, so service-level figures are read, never scanned.

use crate::error::{Errors, FieldError, Rule};
use crate::model::{Attribution, Response, validate_comment};
use crate::survey::SurveyKind;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// When a score is unhappy, and how fast the business means to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FollowUpRules {
    /// CSAT scores at or below this open a follow-up (1–5; default 2).
    pub csat_at_most: u8,
    /// NPS scores at or below this (0–10; default 6: the detractors).
    pub nps_at_most: u8,
    /// CES scores at or below this (1–7; default 3).
    pub ces_at_most: u8,
    /// First contact is due within this many hours (default 24).
    pub sla_hours: u32,
}

impl Default for FollowUpRules {
    fn default() -> Self {
        FollowUpRules {
            csat_at_most: 2,
            nps_at_most: 6,
            ces_at_most: 3,
            sla_hours: 24,
        }
    }
}

impl FollowUpRules {
    pub fn is_unhappy(&self, kind: SurveyKind, score: u8) -> bool {
        score
            <= match kind {
                SurveyKind::Csat => self.csat_at_most,
                SurveyKind::Nps => self.nps_at_most,
                SurveyKind::Ces => self.ces_at_most,
            }
    }

    pub fn sla(&self) -> Duration {
        Duration::hours(i64::from(self.sla_hours))
    }

    /// These rules with `patch` applied, each bad field named.
    pub fn apply(&self, patch: &FollowUpRulesPatch) -> Result<FollowUpRules, Vec<FieldError>> {
        let mut errors = Errors::default();
        let mut next = *self;
        let mut set = |field: &str, value: Option<i64>, max: i64, slot: &mut u8| {
            if let Some(v) = value
                && let Some(v) = errors.check(bounded(field, v, 0, max))
            {
                *slot = v as u8;
            }
        };
        set(
            "follow_up.csat_at_most",
            patch.csat_at_most,
            5,
            &mut next.csat_at_most,
        );
        set(
            "follow_up.nps_at_most",
            patch.nps_at_most,
            10,
            &mut next.nps_at_most,
        );
        set(
            "follow_up.ces_at_most",
            patch.ces_at_most,
            7,
            &mut next.ces_at_most,
        );
        if let Some(hours) = patch.sla_hours
            && let Some(v) = errors.check(bounded(
                "follow_up.sla_hours",
                hours,
                1,
                MAX_SLA_HOURS.into(),
            ))
        {
            next.sla_hours = v as u32;
        }
        errors.finish(|| next)
    }
}

fn bounded(field: &str, value: i64, min: i64, max: i64) -> Result<i64, FieldError> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(FieldError::new(
            field,
            Rule::OutOfRange,
            format!("must be an integer from {min} to {max}, got {value}"),
        ))
    }
}

/// A change to which scores open a follow-up (at or below each) and within
/// how many hours first contact is due; each field given replaces its value.
#[derive(Debug, Clone, Default, PartialEq, Eq, utoipa::ToSchema)]
#[schema(as = FollowUpRulesInput)]
#[serde(deny_unknown_fields)]
pub struct FollowUpRulesPatch {
    #[schema(minimum = 0, maximum = 5, default = 2)]
    pub csat_at_most: Option<i64>,
    #[schema(minimum = 0, maximum = 10, default = 6)]
    pub nps_at_most: Option<i64>,
    #[schema(minimum = 0, maximum = 7, default = 3)]
    pub ces_at_most: Option<i64>,
    #[schema(minimum = 1, maximum = 720, default = 24)]
    pub sla_hours: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = FollowUpStatus)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Waiting for the business's first contact.
    Open,
    Contacted,
    Resolved,
    /// The customer changed the answer to a happy one: nothing to do, and
    /// not counted. An edit back down reopens it.
    Closed,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Open,
        Status::Contacted,
        Status::Resolved,
        Status::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Contacted => "contacted",
            Status::Resolved => "resolved",
            Status::Closed => "closed",
        }
    }

    pub fn parse(field: &str, value: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == value)
            .ok_or_else(|| {
                FieldError::new(
                    field,
                    Rule::UnknownValue,
                    "must be open, contacted, resolved or closed",
                )
            })
    }

    /// Still waiting on the business (the queue).
    pub fn is_pending(self) -> bool {
        matches!(self, Status::Open | Status::Contacted)
    }
}

/// A note the business added, with when it was added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Note {
    pub at: DateTime<Utc>,
    pub text: String,
    /// The API key that added it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

/// Notes a follow-up keeps (a DynamoDB item holds 400 KB).
pub const MAX_NOTES: usize = 100;
/// Characters per note.
pub const MAX_NOTE_CHARS: usize = 2000;
/// UTF-8 bytes of all notes together: a hundred notes of Devanagari at the
/// character limit would be 600 KB, past the item's 400 KB.
pub const MAX_NOTES_BYTES: usize = 192 * 1024;
const MAX_ASSIGNEE_CHARS: usize = 100;

fn assignee_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    crate::schema::filled_text(MAX_ASSIGNEE_CHARS, "null clears it.")
}

fn note_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    crate::schema::filled_text(
        MAX_NOTE_CHARS,
        "Appended with its time (at most 100 notes).",
    )
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FollowUp {
    /// The response's id.
    pub id: String,
    #[serde(flatten)]
    pub attribution: Attribution,
    /// The response's current score.
    pub score: u8,
    pub status: Status,
    /// When the unhappy answer arrived; the SLA clock starts here.
    pub opened_at: DateTime<Utc>,
    /// The response's day: the rollup the follow-up's figures count in.
    pub day: NaiveDate,
    /// The SLA in force when it opened, so later settings changes do not
    /// rewrite history.
    pub sla_hours: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contacted_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    #[serde(default)]
    pub notes: Vec<Note>,
    pub updated_at: DateTime<Utc>,
    /// 1 when opened, +1 per change; stores use it to detect races.
    pub revision: u32,
}

/// Time buckets (upper edges, minutes) of the time-to-contact and
/// time-to-resolution histograms; the last bucket is open-ended.
pub const TIME_EDGES_MINUTES: [i64; 13] = [
    15,
    30,
    60,
    2 * 60,
    4 * 60,
    8 * 60,
    12 * 60,
    24 * 60,
    48 * 60,
    72 * 60,
    7 * 24 * 60,
    14 * 24 * 60,
    30 * 24 * 60,
];
pub const TIME_BUCKETS: usize = TIME_EDGES_MINUTES.len() + 1;

/// The bucket of a duration.
pub fn time_bucket(elapsed: Duration) -> usize {
    let minutes = elapsed.num_seconds().max(0) as f64 / 60.0;
    TIME_EDGES_MINUTES
        .iter()
        .position(|&edge| minutes <= edge as f64)
        .unwrap_or(TIME_EDGES_MINUTES.len())
}

/// The longest SLA a business may set: a follow-up opened longer ago than
/// this is overdue whatever its SLA was.
pub const MAX_SLA_HOURS: u32 = 24 * 30;

/// What follow-ups add to a rollup. Sums, so they merge like the rest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FollowUpStats {
    /// Follow-ups opened (and not closed by an edit).
    pub opened: i64,
    /// Of those, contacted at least once.
    pub contacted: i64,
    /// Of those, first contacted within their SLA.
    pub contacted_in_sla: i64,
    /// Currently resolved.
    pub resolved: i64,
    /// Currently awaiting first contact (open).
    pub awaiting: i64,
    /// Currently contacted and not yet resolved.
    pub in_hand: i64,
    /// Time from opening to first contact.
    pub to_contact: [i64; TIME_BUCKETS],
    /// Time from opening to resolution.
    pub to_resolve: [i64; TIME_BUCKETS],
}

impl FollowUpStats {
    pub(crate) fn add(&mut self, other: &FollowUpStats, sign: i64) {
        for (slot, value) in self.slots().into_iter().zip(other.values()) {
            *slot += sign * value;
        }
    }

    /// Every counter, in the order of [`FollowUpStats::names`].
    pub(crate) fn values(&self) -> Vec<i64> {
        let mut v = vec![
            self.opened,
            self.contacted,
            self.contacted_in_sla,
            self.resolved,
            self.awaiting,
            self.in_hand,
        ];
        v.extend(self.to_contact);
        v.extend(self.to_resolve);
        v
    }

    pub(crate) fn slots(&mut self) -> Vec<&mut i64> {
        let mut v = vec![
            &mut self.opened,
            &mut self.contacted,
            &mut self.contacted_in_sla,
            &mut self.resolved,
            &mut self.awaiting,
            &mut self.in_hand,
        ];
        v.extend(self.to_contact.iter_mut());
        v.extend(self.to_resolve.iter_mut());
        v
    }

    /// The counters' storage names: `f_o`, `f_c`, `f_cw`, `f_r`, `f_w`,
    /// `f_k`, then the histograms `f_ct{bucket}` and `f_rt{bucket}`. Never
    /// rename one.
    pub(crate) fn names() -> Vec<String> {
        let mut v: Vec<String> = ["f_o", "f_c", "f_cw", "f_r", "f_w", "f_k"]
            .map(String::from)
            .to_vec();
        v.extend((0..TIME_BUCKETS).map(|i| format!("f_ct{i}")));
        v.extend((0..TIME_BUCKETS).map(|i| format!("f_rt{i}")));
        v
    }

    /// Whether every follow-up counted here is also counted by its status
    /// (awaiting, in hand or resolved): true of every row written since
    /// rows kept [`FollowUpStats::awaiting`]. A row written before falls
    /// short unless all its follow-ups were resolved, when it is right too.
    pub fn counts_awaiting(&self) -> bool {
        self.awaiting + self.in_hand + self.resolved == self.opened
    }
}

/// A change the business asks for through `PATCH /v1/follow-ups/{id}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpPatch {
    #[schema(value_type = Option<Status>)]
    pub status: Option<String>,
    /// null clears it.
    #[schema(schema_with = assignee_schema)]
    pub assignee: Option<Option<String>>,
    /// Appended with its time (at most 100 notes).
    #[schema(schema_with = note_schema)]
    pub note: Option<String>,
}

/// A follow-up as the API and webhooks show it at a time.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = FollowUp)]
pub struct FollowUpView<'a> {
    #[serde(flatten)]
    #[schema(inline)]
    follow_up: &'a FollowUp,
    /// The response it follows (the follow-up's own id is the same).
    response_id: &'a str,
    /// First contact is due by then.
    due_at: DateTime<Utc>,
    /// Open and past due now.
    overdue: bool,
}

/// Why a change was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatchError {
    Invalid(Vec<FieldError>),
    /// The status cannot move from `from` to `to`.
    Transition {
        from: Status,
        to: Status,
    },
}

impl FollowUp {
    /// What the API and webhooks show of a follow-up at `at`.
    pub fn view(&self, at: DateTime<Utc>) -> FollowUpView<'_> {
        FollowUpView {
            follow_up: self,
            response_id: &self.id,
            due_at: self.due_at(),
            overdue: self.is_overdue(at),
        }
    }

    /// The follow-up `response` opens, if its score is unhappy.
    pub fn opened_by(response: &Response, rules: &FollowUpRules) -> Option<FollowUp> {
        rules
            .is_unhappy(response.attribution.survey, response.score)
            .then(|| FollowUp {
                id: response.id.clone(),
                attribution: response.attribution.clone(),
                score: response.score,
                status: Status::Open,
                opened_at: response.submitted_at,
                day: response.day,
                sla_hours: rules.sla_hours,
                contacted_at: None,
                resolved_at: None,
                assignee: None,
                notes: Vec::new(),
                updated_at: response.submitted_at,
                revision: 1,
            })
    }

    /// What an edit of the response to `response` (at `now`) does to this
    /// follow-up: `None` when nothing changes.
    pub fn after_edit(
        existing: Option<&FollowUp>,
        response: &Response,
        rules: &FollowUpRules,
        now: DateTime<Utc>,
    ) -> Option<FollowUp> {
        let unhappy = rules.is_unhappy(response.attribution.survey, response.score);
        let Some(existing) = existing else {
            return FollowUp::opened_by(response, rules).map(|f| FollowUp {
                updated_at: now,
                ..f
            });
        };
        let status = match (unhappy, existing.status) {
            (true, Status::Closed) => Status::Open,
            (false, Status::Closed) => return None,
            (true, status) => status,
            (false, _) => Status::Closed,
        };
        if status == existing.status && response.score == existing.score {
            return None;
        }
        Some(FollowUp {
            score: response.score,
            status,
            updated_at: now,
            revision: existing.revision + 1,
            ..existing.clone()
        })
    }

    /// This follow-up with the business's `patch` applied at `now` by key
    /// `by`. Allowed moves: open → contacted → resolved, open → resolved
    /// (which is also the first contact), resolved → open (reopened).
    pub fn patched(
        &self,
        patch: &FollowUpPatch,
        now: DateTime<Utc>,
        by: Option<&str>,
    ) -> Result<FollowUp, PatchError> {
        let mut errors = Errors::default();
        let status = patch
            .status
            .as_deref()
            .and_then(|s| errors.check(Status::parse("status", s)));
        let assignee = patch.assignee.as_ref().map(|a| {
            a.as_deref()
                .and_then(|a| errors.check(label("assignee", a, MAX_ASSIGNEE_CHARS)))
        });
        let note = patch
            .note
            .as_deref()
            .and_then(|n| errors.check(label("note", n, MAX_NOTE_CHARS)));
        if note.is_some() && self.notes.len() >= MAX_NOTES {
            errors.push(FieldError::new(
                "note",
                Rule::OutOfRange,
                format!("a follow-up keeps at most {MAX_NOTES} notes"),
            ));
        } else if let Some(note) = &note
            && self.notes.iter().map(|n| n.text.len()).sum::<usize>() + note.len() > MAX_NOTES_BYTES
        {
            errors.push(FieldError::new(
                "note",
                Rule::OutOfRange,
                format!(
                    "a follow-up's notes hold at most {} KiB of text together",
                    MAX_NOTES_BYTES / 1024
                ),
            ));
        }
        errors.finish(|| ()).map_err(PatchError::Invalid)?;
        let mut next = self.clone();
        if let Some(to) = status
            && to != self.status
        {
            match (self.status, to) {
                (Status::Open, Status::Contacted) => next.contacted_at = Some(now),
                (Status::Open, Status::Resolved) => {
                    next.contacted_at = Some(now);
                    next.resolved_at = Some(now);
                }
                (Status::Contacted, Status::Resolved) => next.resolved_at = Some(now),
                (Status::Resolved, Status::Open) => next.resolved_at = None,
                (from, to) => return Err(PatchError::Transition { from, to }),
            }
            next.status = to;
        }
        if let Some(assignee) = assignee {
            next.assignee = assignee;
        }
        if let Some(text) = note {
            next.notes.push(Note {
                at: now,
                text,
                by: by.map(str::to_owned),
            });
        }
        if next != *self {
            next.updated_at = now;
            next.revision = self.revision + 1;
        }
        Ok(next)
    }

    /// Whether first contact is past due at `now`.
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.status == Status::Open && now >= self.due_at()
    }

    pub fn due_at(&self) -> DateTime<Utc> {
        self.opened_at + Duration::hours(i64::from(self.sla_hours))
    }

    /// What this follow-up, in its current state, adds to its day's rollups.
    pub fn contribution(&self) -> FollowUpStats {
        let mut stats = FollowUpStats::default();
        if self.status == Status::Closed {
            return stats;
        }
        stats.opened = 1;
        stats.awaiting = i64::from(self.status == Status::Open);
        stats.in_hand = i64::from(self.status == Status::Contacted);
        if let Some(at) = self.contacted_at {
            let elapsed = at - self.opened_at;
            stats.contacted = 1;
            stats.contacted_in_sla =
                i64::from(elapsed <= Duration::hours(i64::from(self.sla_hours)));
            stats.to_contact[time_bucket(elapsed)] = 1;
        }
        if let (Status::Resolved, Some(at)) = (self.status, self.resolved_at) {
            stats.resolved = 1;
            stats.to_resolve[time_bucket(at - self.opened_at)] = 1;
        }
        stats
    }
}

/// A required short text: trimmed, not blank, bounded, no control characters.
fn label(field: &str, text: &str, max: usize) -> Result<String, FieldError> {
    let len = text.chars().count();
    if len > max {
        return Err(FieldError::new(
            field,
            Rule::TooLong,
            format!("must be at most {max} characters, got {len}"),
        ));
    }
    validate_comment(field, text)?
        .map(|t| t.trim().to_owned())
        .ok_or_else(|| FieldError::new(field, Rule::Required, "must not be blank"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Answers, Channel};

    fn response(score: u8, at: &str) -> Response {
        let at: DateTime<Utc> = at.parse().unwrap();
        Response {
            id: "c0de0c0de0c0".into(),
            code: crate::Code::parse("code", "c0de0c0de0c0").unwrap(),
            attribution: Attribution {
                survey: SurveyKind::Csat,
                rep_id: None,
                also_rep_ids: Vec::new(),
                channel: Channel::Sms,
                location: None,
            },
            score,
            answers: Answers::default(),
            comment: None,
            locale: None,
            submitted_at: at,
            edited_at: None,
            revision: 1,
            day: at.date_naive(),
            invited_day: at.date_naive(),
            reusable: false,
            client: None,
            flagged: None,
        }
    }

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn status(s: &str) -> FollowUpPatch {
        FollowUpPatch {
            status: Some(s.into()),
            ..Default::default()
        }
    }

    #[test]
    fn thresholds_per_kind() {
        let rules = FollowUpRules::default();
        assert!(rules.is_unhappy(SurveyKind::Csat, 2));
        assert!(!rules.is_unhappy(SurveyKind::Csat, 3));
        assert!(rules.is_unhappy(SurveyKind::Nps, 6));
        assert!(!rules.is_unhappy(SurveyKind::Nps, 7));
        assert!(rules.is_unhappy(SurveyKind::Ces, 3));
        assert!(!rules.is_unhappy(SurveyKind::Ces, 4));
        assert!(FollowUp::opened_by(&response(3, "2026-01-01T10:00:00Z"), &rules).is_none());
    }

    #[test]
    fn edits_close_and_reopen() {
        let rules = FollowUpRules::default();
        let low = response(1, "2026-01-01T10:00:00Z");
        let opened = FollowUp::opened_by(&low, &rules).unwrap();
        let now = t("2026-01-01T11:00:00Z");
        let happy = Response {
            score: 5,
            ..low.clone()
        };
        let closed = FollowUp::after_edit(Some(&opened), &happy, &rules, now).unwrap();
        assert_eq!((closed.status, closed.revision), (Status::Closed, 2));
        assert_eq!(closed.contribution(), FollowUpStats::default());
        assert_eq!(
            FollowUp::after_edit(Some(&closed), &happy, &rules, now),
            None
        );
        let reopened = FollowUp::after_edit(Some(&closed), &low, &rules, now).unwrap();
        assert_eq!((reopened.status, reopened.score), (Status::Open, 1));
        let two = Response {
            score: 2,
            ..low.clone()
        };
        let rescored = FollowUp::after_edit(Some(&reopened), &two, &rules, now).unwrap();
        assert_eq!((rescored.status, rescored.score), (Status::Open, 2));
        assert_eq!(
            FollowUp::after_edit(Some(&rescored), &two, &rules, now),
            None
        );
        assert_eq!(FollowUp::after_edit(None, &happy, &rules, now), None);
    }

    #[test]
    fn transitions_and_their_clock() {
        let rules = FollowUpRules::default();
        let opened = FollowUp::opened_by(&response(1, "2026-01-01T10:00:00Z"), &rules).unwrap();
        assert!(!opened.is_overdue(t("2026-01-02T09:59:59Z")));
        assert!(opened.is_overdue(t("2026-01-02T10:00:00Z")));
        let contacted = opened
            .patched(&status("contacted"), t("2026-01-01T10:40:00Z"), Some("k1"))
            .unwrap();
        let o = opened.contribution();
        assert_eq!((o.awaiting, o.in_hand, o.resolved), (1, 0, 0));
        let c = contacted.contribution();
        assert_eq!((c.opened, c.contacted, c.contacted_in_sla), (1, 1, 1));
        assert_eq!((c.awaiting, c.in_hand), (0, 1));
        assert_eq!(c.to_contact[2], 1, "40 minutes is in the 30–60 bucket");
        let err = contacted
            .patched(&status("open"), t("2026-01-01T11:00:00Z"), None)
            .unwrap_err();
        assert_eq!(
            err,
            PatchError::Transition {
                from: Status::Contacted,
                to: Status::Open
            }
        );
        let resolved = contacted
            .patched(&status("resolved"), t("2026-01-03T10:00:00Z"), None)
            .unwrap();
        let r = resolved.contribution();
        assert_eq!((r.resolved, r.to_resolve[8]), (1, 1), "48 hours");
        assert_eq!((r.awaiting, r.in_hand), (0, 0));
        let reopened = resolved
            .patched(&status("open"), t("2026-01-04T10:00:00Z"), None)
            .unwrap();
        assert_eq!(reopened.resolved_at, None);
        assert_eq!(reopened.contacted_at, contacted.contacted_at);
        assert_eq!(reopened.contribution().resolved, 0);
        // Reopened, it awaits contact again although it was contacted once.
        let back = reopened.contribution();
        assert_eq!((back.awaiting, back.contacted), (1, 1));
        // Each state is counted by exactly one status.
        for f in [&opened, &contacted, &resolved, &reopened] {
            assert!(f.contribution().counts_awaiting(), "{:?}", f.status);
        }
        let mut sum = FollowUpStats::default();
        for f in [&opened, &contacted, &resolved] {
            sum.add(&f.contribution(), 1);
        }
        assert!(sum.counts_awaiting());
        // A row that counted follow-ups before the statuses were kept.
        let before = FollowUpStats {
            opened: 2,
            resolved: 1,
            ..FollowUpStats::default()
        };
        assert!(!before.counts_awaiting());
        for to in ["closed", "contacted"] {
            assert!(matches!(
                resolved.patched(&status(to), t("2026-01-04T10:00:00Z"), None),
                Err(PatchError::Transition { .. })
            ));
        }
        let late = opened
            .patched(&status("resolved"), t("2026-01-03T10:00:00Z"), None)
            .unwrap()
            .contribution();
        assert_eq!(
            (late.contacted, late.contacted_in_sla, late.resolved),
            (1, 0, 1)
        );
    }

    #[test]
    fn notes_and_assignee() {
        let rules = FollowUpRules::default();
        let opened = FollowUp::opened_by(&response(1, "2026-01-01T10:00:00Z"), &rules).unwrap();
        let at = t("2026-01-01T10:05:00Z");
        let patch = FollowUpPatch {
            assignee: Some(Some("  Bilal ".into())),
            note: Some("Called, no answer".into()),
            ..Default::default()
        };
        let next = opened.patched(&patch, at, Some("key1")).unwrap();
        assert_eq!(next.assignee.as_deref(), Some("Bilal"));
        assert_eq!(next.notes[0].text, "Called, no answer");
        assert_eq!((next.revision, next.updated_at), (2, at));
        assert_eq!(next.status, Status::Open);
        let same = next
            .patched(&FollowUpPatch::default(), t("2026-01-01T12:00:00Z"), None)
            .unwrap();
        assert_eq!(same, next);
        let bad = FollowUpPatch {
            status: Some("done".into()),
            note: Some(" ".into()),
            ..Default::default()
        };
        match opened.patched(&bad, at, None) {
            Err(PatchError::Invalid(errors)) => assert_eq!(
                errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(),
                ["status", "note"]
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn notes_stop_short_of_what_an_item_can_hold() {
        let rules = FollowUpRules::default();
        let mut f = FollowUp::opened_by(&response(1, "2026-01-01T10:00:00Z"), &rules).unwrap();
        // Devanagari: 3 bytes a character, so full-length notes reach the
        // byte bound long before the count bound.
        let long = "क".repeat(MAX_NOTE_CHARS);
        let note = FollowUpPatch {
            note: Some(long.clone()),
            ..Default::default()
        };
        let fits = MAX_NOTES_BYTES / long.len();
        assert!(fits < MAX_NOTES);
        for i in 0..fits {
            f = f.patched(&note, t("2026-01-01T10:05:00Z"), None).unwrap();
            assert_eq!(f.notes.len(), i + 1);
        }
        match f.patched(&note, t("2026-01-01T10:06:00Z"), None) {
            Err(PatchError::Invalid(errors)) => {
                assert_eq!(
                    (errors[0].field.as_str(), errors[0].rule),
                    ("note", Rule::OutOfRange)
                )
            }
            other => panic!("{other:?}"),
        }
        let stored = serde_json::to_vec(&f).unwrap().len();
        assert!(stored < 300 * 1024, "{stored} bytes");
    }

    #[test]
    fn buckets() {
        assert_eq!(time_bucket(Duration::minutes(0)), 0);
        assert_eq!(time_bucket(Duration::minutes(15)), 0);
        assert_eq!(time_bucket(Duration::seconds(15 * 60 + 1)), 1);
        assert_eq!(time_bucket(Duration::hours(24)), 7);
        assert_eq!(time_bucket(Duration::days(365)), TIME_BUCKETS - 1);
    }

    #[test]
    fn rules_patch_names_bad_fields() {
        let patch = FollowUpRulesPatch {
            csat_at_most: Some(6),
            sla_hours: Some(0),
            nps_at_most: Some(5),
            ..Default::default()
        };
        let errors = FollowUpRules::default().apply(&patch).unwrap_err();
        assert_eq!(
            errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(),
            ["follow_up.csat_at_most", "follow_up.sla_hours"]
        );
        let ok = FollowUpRules::default()
            .apply(&FollowUpRulesPatch {
                nps_at_most: Some(5),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(ok.nps_at_most, 5);
    }
}
