//! Filters for listing responses and follow-ups.

use chrono::{DateTime, Utc};
use feedback_core::followup::Status;
use feedback_core::{Channel, LocationId, RepId, SurveyKind};

/// Which responses to list. Every field narrows; `None` means any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResponseFilter {
    /// Submitted at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Submitted strictly before this instant.
    pub before: Option<DateTime<Utc>>,
    /// Credited to this rep, first or not.
    pub rep_id: Option<RepId>,
    pub channel: Option<Channel>,
    pub location: Option<LocationId>,
    pub survey: Option<SurveyKind>,
    pub min_score: Option<u8>,
    pub max_score: Option<u8>,
    pub has_comment: Option<bool>,
    /// Only flagged responses (`true`) or only counted ones (`false`).
    pub flagged: Option<bool>,
}

/// Which follow-ups to list. Every field narrows; `None` means any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FollowUpFilter {
    pub status: Option<Status>,
    /// Credited to this rep, first or not.
    pub rep_id: Option<RepId>,
    pub channel: Option<Channel>,
    pub location: Option<LocationId>,
    /// Only open follow-ups whose first contact was due at or before this
    /// instant (overdue as of then).
    pub overdue_at: Option<DateTime<Utc>>,
    /// Only follow-ups opened at or after this instant.
    pub opened_since: Option<DateTime<Utc>>,
}

impl FollowUpFilter {
    /// Whether `f` passes every field.
    pub fn matches(&self, f: &feedback_core::FollowUp) -> bool {
        let a = &f.attribution;
        self.status.is_none_or(|s| s == f.status)
            && self.rep_id.as_ref().is_none_or(|r| a.credits(r))
            && self.channel.is_none_or(|c| a.channel == c)
            && self
                .location
                .as_ref()
                .is_none_or(|l| a.location.as_ref() == Some(l))
            && self.overdue_at.is_none_or(|at| f.is_overdue(at))
            && self.opened_since.is_none_or(|at| f.opened_at >= at)
    }
}
