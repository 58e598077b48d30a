//! What can go wrong in a store, in terms the HTTP layer can answer with.

use chrono::{DateTime, Utc};
use feedback_core::Response;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no such invitation")]
    NotFound,
    #[error("the invitation expired at {0}")]
    Expired(DateTime<Utc>),
    #[error("the link is disabled")]
    Disabled,
    /// A quota is full until `resets_at`; nothing was stored.
    #[error("over quota until {resets_at}")]
    OverQuota { resets_at: DateTime<Utc> },
    #[error("the answer can no longer be changed")]
    WindowClosed(Box<Response>),
    /// Too many concurrent writers kept racing for the same item.
    #[error("conflicting concurrent writes: {0}")]
    Conflict(String),
    /// The store is throttling or unreachable: worth retrying later. Nothing
    /// was stored.
    #[error("store unavailable: {reason}")]
    Unavailable {
        reason: String,
        retry_after_secs: u64,
    },
    /// Anything else: a bug, a misconfiguration, corrupt data.
    #[error("store failure: {0}")]
    Internal(String),
}

impl From<feedback_core::links::Closed> for StoreError {
    /// Why a reusable link took no answer.
    fn from(closed: feedback_core::links::Closed) -> Self {
        match closed {
            feedback_core::links::Closed::Disabled => StoreError::Disabled,
            feedback_core::links::Closed::Expired(at) => StoreError::Expired(at),
        }
    }
}

impl StoreError {
    pub(crate) fn internal(error: impl std::fmt::Display) -> Self {
        StoreError::Internal(error.to_string())
    }

    pub fn unavailable(reason: impl std::fmt::Display) -> Self {
        StoreError::Unavailable {
            reason: reason.to_string(),
            retry_after_secs: 1,
        }
    }
}
