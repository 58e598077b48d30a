//! Working a follow-up: a status move, an assignee, a note, applied
//! against whatever is stored now, however many people work the queue.

use chrono::{DateTime, Utc};
use feedback_core::FollowUp;
use feedback_core::followup::{FollowUpPatch, PatchError};
use feedback_store::{FollowUpStore, StoreError};
use feedback_telemetry::Metric;

/// Attempts at a change that keeps racing another writer (a customer's
/// edit or a colleague's update) before giving up.
const ATTEMPTS: usize = 3;

#[derive(Debug)]
pub enum UpdateError {
    NotFound,
    /// The patch is invalid, or asks for a move the workflow forbids.
    Refused(PatchError),
    /// It kept changing under concurrent updates.
    KeptChanging,
    Store(StoreError),
}

impl From<StoreError> for UpdateError {
    fn from(e: StoreError) -> Self {
        UpdateError::Store(e)
    }
}

/// Applies `patch` to follow-up `id` by `by` (a key id), at the time `now`
/// gives on each attempt; the follow-up as stored after it (unchanged when
/// the patch changes nothing).
#[tracing::instrument(skip(store, patch, now))]
pub async fn update(
    store: &(impl FollowUpStore + ?Sized),
    id: &str,
    patch: &FollowUpPatch,
    by: Option<&str>,
    now: impl Fn() -> DateTime<Utc>,
) -> Result<FollowUp, UpdateError> {
    for _ in 0..ATTEMPTS {
        let current = store
            .get_follow_up(id)
            .await?
            .ok_or(UpdateError::NotFound)?;
        let next = current
            .patched(patch, now(), by)
            .map_err(UpdateError::Refused)?;
        if next == current {
            return Ok(current);
        }
        match store.update_follow_up(&current, &next).await {
            Ok(()) => return Ok(next),
            Err(StoreError::Conflict(_)) => feedback_telemetry::count(Metric::ConflictRetried),
            Err(e) => return Err(e.into()),
        }
    }
    Err(UpdateError::KeptChanging)
}
