//! Reviewing answers held back as part of a burst.

use feedback_core::{Code, Response, Settings};
use feedback_store::{ResponseStore, StoreError};

/// Lets the held-back answer `id` (to `code`) into the scores, once; the
/// answer as stored after it, or `None` when there is no such answer.
#[tracing::instrument(skip(store, settings))]
pub async fn release(
    store: &(impl ResponseStore + ?Sized),
    settings: &Settings,
    code: &Code,
    id: &str,
) -> Result<Option<Response>, StoreError> {
    store
        .release_response(code, id, &settings.submit_rules())
        .await
}
