//! Filters for listing responses.

use chrono::{DateTime, Utc};
use feedback_core::{Channel, LocationId, RepId, SurveyKind};

/// Which responses to list. Every field narrows; `None` means any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResponseFilter {
    /// Submitted at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Submitted strictly before this instant.
    pub before: Option<DateTime<Utc>>,
    pub rep_id: Option<RepId>,
    pub channel: Option<Channel>,
    pub location: Option<LocationId>,
    pub survey: Option<SurveyKind>,
    pub min_score: Option<u8>,
    pub max_score: Option<u8>,
    pub has_comment: Option<bool>,
}
