//! Reading the table's stream: which records are changes worth announcing.
//!
//! The stream carries every write (new and old images). Only three kinds
//! of item mean something to the notifier: responses and follow-ups, whose
//! before/after images become a [`Change`]; invitations, when the product
//! sent their message or failed to; and the deletion of a retention marker
//! by DynamoDB's TTL, which means an invitation's personal data is due for
//! erasure. Everything else (rollups, deliveries…) is ignored.

use super::table::{PK, SK};
use super::{Item, decode, keys};
use crate::{StoreError, StreamChange};
use feedback_core::webhook::Change;

/// One record of the table's stream, however it was read: from Lambda's
/// event or by the local server's reader.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StreamRecord {
    /// `INSERT`, `MODIFY` or `REMOVE`.
    pub event_name: String,
    /// Its place in its shard: decimal digits, increasing along the shard.
    pub sequence: String,
    pub keys: Item,
    /// The images before and after (empty when there is none).
    pub old: Item,
    pub new: Item,
    /// `userIdentity` (type, principal): it names DynamoDB itself only for
    /// a removal made by TTL.
    pub identity: Option<(String, String)>,
}

impl StreamRecord {
    /// The item's `pk` and `sk`, when both are strings.
    pub(super) fn key(&self) -> Option<(&str, &str)> {
        let key = |name: &str| {
            self.keys
                .get(name)
                .and_then(|v| v.as_s().ok())
                .map(String::as_str)
        };
        key(PK).zip(key(SK))
    }
}

#[cfg(feature = "lambda-events")]
impl From<aws_lambda_events::event::dynamodb::EventRecord> for StreamRecord {
    /// A record as Lambda's DynamoDB event delivers it.
    fn from(r: aws_lambda_events::event::dynamodb::EventRecord) -> StreamRecord {
        StreamRecord {
            event_name: r.event_name,
            sequence: r.change.sequence_number.unwrap_or_default(),
            keys: r.change.keys.into(),
            old: r.change.old_image.into(),
            new: r.change.new_image.into(),
            identity: r.user_identity.map(|u| (u.type_, u.principal_id)),
        }
    }
}

/// What a record means to the notifier.
pub fn read_record(record: &StreamRecord) -> Result<StreamChange, StoreError> {
    let by_ttl = record
        .identity
        .as_ref()
        .is_some_and(|(kind, who)| kind == "Service" && who == "dynamodb.amazonaws.com");
    let Some((pk, sk)) = record.key() else {
        return Ok(StreamChange::Ignored);
    };
    let (old, new) = (record.old.clone(), record.new.clone());
    if record.event_name == "REMOVE" {
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
    // Only an invitation the product sends can mean an event.
    if keys::is_invitation(pk, sk) && record.new.contains_key(super::sends::SENDING) {
        let change = Change::sending(before.map(decode).transpose()?, decode(new)?);
        return Ok(change.map_or(StreamChange::Ignored, StreamChange::Changed));
    }
    Ok(StreamChange::Ignored)
}
