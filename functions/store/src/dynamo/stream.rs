//! Reading the table's stream: which records are changes worth announcing.
//!
//! The stream carries every write (new and old images). Only two kinds of
//! item mean something to the notifier: responses and follow-ups, whose
//! before/after images become a [`Change`]; and the deletion of a retention
//! marker by DynamoDB's TTL, which means an invitation's personal data is due
//! for erasure. Everything else (rollups, deliveries…) is ignored.

use super::table::{PK, SK};
use super::{Item, decode, keys};
use crate::StoreError;
use feedback_core::Code;
use feedback_core::webhook::Change;

/// What one stream record means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamChange {
    Changed(Change),
    /// TTL removed this invitation's retention marker: erase it.
    Expired(Code),
    Ignored,
}

/// Who made a change, as a stream record's `userIdentity` says: its type
/// and principal.
pub type Identity<'a> = Option<(&'a str, &'a str)>;

/// The meaning of a record: `event_name` is `INSERT`, `MODIFY` or `REMOVE`;
/// `identity` is the record's `userIdentity`, which names DynamoDB itself
/// only for a removal made by TTL.
pub fn read_record(
    event_name: &str,
    keys: &Item,
    old: Item,
    new: Item,
    identity: Identity<'_>,
) -> Result<StreamChange, StoreError> {
    let by_ttl = identity == Some(("Service", "dynamodb.amazonaws.com"));
    let key = |name: &str| {
        keys.get(name)
            .and_then(|v| v.as_s().ok())
            .map(String::as_str)
    };
    let (Some(pk), Some(sk)) = (key(PK), key(SK)) else {
        return Ok(StreamChange::Ignored);
    };
    if event_name == "REMOVE" {
        return Ok(match keys::retention_marker_of(pk, sk) {
            Some(code) if by_ttl => StreamChange::Expired(code),
            _ => StreamChange::Ignored,
        });
    }
    let before = (!old.is_empty()).then_some(old);
    if keys::is_response(pk, sk) {
        return Ok(StreamChange::Changed(Change::Response {
            before: before.map(decode).transpose()?.map(Box::new),
            after: Box::new(decode(new)?),
        }));
    }
    if keys::is_follow_up(pk, sk) {
        return Ok(StreamChange::Changed(Change::FollowUp {
            before: before.map(decode).transpose()?.map(Box::new),
            after: Box::new(decode(new)?),
        }));
    }
    Ok(StreamChange::Ignored)
}
