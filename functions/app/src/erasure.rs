//! A customer's right to erasure: their refs and comments go, along with
//! their invitation throttle; every score and count stays.

use feedback_core::CustomerRef;
use feedback_core::abuse::Secret;
use feedback_store::{Erased, ErasureStore, StoreError};

/// Erases `customer`'s personal data; what it removed (nothing, again).
#[tracing::instrument(skip_all)]
pub async fn erase_customer(
    store: &(impl ErasureStore + ?Sized),
    secret: &Secret,
    customer: &CustomerRef,
) -> Result<Erased, StoreError> {
    let contact = secret.contact(customer.as_str());
    let erased = store.erase_customer(customer, &contact).await?;
    tracing::info!(
        invitations = erased.invitations,
        comments = erased.comments,
        "erased a customer's personal data"
    );
    Ok(erased)
}
