//! What a change on the store means to the notifier, however it was read:
//! SQLite's outbox, the table's stream in Lambda's event, or the local
//! server's reader of DynamoDB (Local)'s stream.

use feedback_core::Code;
use feedback_core::webhook::Change;

/// What one stored change means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamChange {
    Changed(Change),
    /// TTL removed this invitation's retention marker: erase it.
    Expired(Code),
    Ignored,
}
