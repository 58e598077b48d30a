//! The aggregator: on DynamoDB the rollups are a view of the table's stream.
//!
//! A write touches only its own items. Each stream record of an invitation,
//! a response or a follow-up moves the rollups by what its new image counts
//! for minus what its old image counted for ([`rollup::moved`]). A batch of
//! records from one shard is summed per (slice, day) and applied in one
//! transaction with the shard's checkpoint (the last sequence number
//! applied), conditioned on the checkpoint the batch was read against:
//!
//! - a record is applied only when its sequence number is past the
//!   checkpoint, and only by the transaction that moves the checkpoint past
//!   it, so a retried or re-read batch adds nothing twice;
//! - the transaction is all or nothing, so no batch half-applies;
//! - two aggregators on one shard (a retry racing a late attempt) cannot
//!   both apply: the loser's condition fails, it reads the checkpoint again
//!   and drops what the winner applied.
//!
//! Records without [`COUNTED_BY_STREAM`] in their new image were written by
//! a version that counted them in the write's own transaction, and a
//! removal leaves the counts as they are (invitations, responses and
//! follow-ups are only ever erased in place, and counts outlive personal
//! data).

use super::table::{COUNTED_BY_STREAM, PK, SK, TTL_ATTRIBUTE};
use super::{DynamoStore, Item, StreamRecord, decode, keys, n, s};
use crate::StoreError;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};
use chrono::{DateTime, Utc};
use feedback_core::rollup::{self, RollupIncrement};
use feedback_core::{FollowUp, Invitation, Response};

/// Rollup items one transaction may update beside the checkpoint: DynamoDB
/// takes at most 100 items in a transaction.
const MAX_ITEMS: usize = 99;
/// Sequence numbers are decimal strings of up to 40 digits; padded to 40,
/// their text order is their numeric order.
const SEQUENCE_DIGITS: usize = 40;
/// A checkpoint outlives its shard's records (kept 24 hours) by a day.
const CHECKPOINT_TTL_SECS: i64 = 2 * 86_400;
const SEQUENCE: &str = "seq";

/// What one call applied.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Aggregated {
    /// Counted records past the checkpoint (the rest were applied before).
    pub records: usize,
    /// Rollup rows updated, over every transaction.
    pub rows: usize,
    pub transactions: usize,
}

/// What the item in `image` counts for in the rollups (nothing for items
/// that are not counted).
fn counted(pk: &str, sk: &str, image: &Item) -> Result<Vec<RollupIncrement>, StoreError> {
    if image.is_empty() {
        return Ok(Vec::new());
    }
    let image = image.clone();
    Ok(if keys::is_invitation(pk, sk) {
        rollup::for_invitation(&decode::<Invitation>(image)?)
    } else if keys::is_response(pk, sk) {
        rollup::for_new_response(&decode::<Response>(image)?)
    } else if keys::is_follow_up(pk, sk) {
        rollup::for_follow_up(None, &decode::<FollowUp>(image)?)
    } else {
        Vec::new()
    })
}

/// Whether `record` is a change this version counts: its new image
/// carries [`COUNTED_BY_STREAM`].
fn counts(record: &StreamRecord) -> bool {
    matches!(
        record.new.get(COUNTED_BY_STREAM),
        Some(aws_sdk_dynamodb::types::AttributeValue::Bool(true))
    )
}

/// How one counted record moves the rollups.
fn moves(record: &StreamRecord) -> Result<Vec<RollupIncrement>, StoreError> {
    let Some((pk, sk)) = record.key() else {
        return Ok(Vec::new());
    };
    Ok(rollup::moved(
        &counted(pk, sk, &record.old)?,
        &counted(pk, sk, &record.new)?,
    ))
}

/// `sequence` padded so that text order is numeric order.
fn position(sequence: &str) -> Result<String, StoreError> {
    if sequence.is_empty()
        || sequence.len() > SEQUENCE_DIGITS
        || !sequence.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(StoreError::internal(format!(
            "a stream record's sequence number is not decimal: {sequence:?}"
        )));
    }
    Ok(format!("{sequence:0>SEQUENCE_DIGITS$}"))
}

/// Counted records past `checkpoint`, in shard order, with their
/// positions.
fn pending<'r>(
    records: &[&'r StreamRecord],
    checkpoint: Option<&str>,
) -> Result<Vec<(String, &'r StreamRecord)>, StoreError> {
    let mut out = Vec::with_capacity(records.len());
    for &record in records {
        let at = position(&record.sequence)?;
        if checkpoint.is_none_or(|c| at.as_str() > c) {
            out.push((at, record));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.dedup_by(|a, b| a.0 == b.0);
    Ok(out)
}

/// The items a row's change updates, with what each adds: its figures',
/// and its questions' moments', which are kept apart
/// ([`keys::question_rollups`]); each only when the change moves it.
fn row_items(increment: &RollupIncrement) -> impl Iterator<Item = (String, rollup::Rollup)> {
    let (figures, moments) = increment.delta.apart();
    [
        (keys::rollups(&increment.slice), figures),
        (keys::question_rollups(&increment.slice), moments),
    ]
    .into_iter()
    .filter(|(_, delta)| !delta.is_zero())
}

/// The items `rows` update.
fn items(rows: &[RollupIncrement]) -> usize {
    rows.iter().map(|row| row_items(row).count()).sum()
}

/// Consecutive runs of records whose summed moves touch at most
/// [`MAX_ITEMS`] items; each ends at its last record's position.
fn chunks(
    pending: &[(String, &StreamRecord)],
) -> Result<Vec<(String, Vec<RollupIncrement>)>, StoreError> {
    let mut out = Vec::new();
    let mut rows: Vec<RollupIncrement> = Vec::new();
    let mut last: Option<&str> = None;
    for (at, record) in pending {
        let moves = moves(record)?;
        let with = rollup::merged([rows.clone(), moves.clone()]);
        if items(&with) > MAX_ITEMS
            && let Some(end) = last
        {
            out.push((end.to_owned(), std::mem::take(&mut rows)));
            rows = rollup::merged([moves]);
        } else {
            rows = with;
        }
        last = Some(at);
    }
    if let Some(end) = last {
        out.push((end.to_owned(), rows));
    }
    Ok(out)
}

impl DynamoStore {
    /// Applies `records`, read from stream shard `shard`, to the rollups
    /// exactly once, however often the same records are offered.
    pub async fn aggregate(
        &self,
        shard: &str,
        records: &[StreamRecord],
        now: DateTime<Utc>,
    ) -> Result<Aggregated, StoreError> {
        // A batch of other items' changes (the local reader's, or an empty
        // one) needs no checkpoint read.
        let counted: Vec<&StreamRecord> = records.iter().filter(|r| counts(r)).collect();
        if counted.is_empty() {
            return Ok(Aggregated::default());
        }
        'read: loop {
            let mut done = Aggregated::default();
            let mut checkpoint = self.checkpoint(shard).await?;
            let pending = pending(&counted, checkpoint.as_deref())?;
            done.records = pending.len();
            for (end, rows) in chunks(&pending)? {
                // Records that move nothing need no transaction: offered
                // again, they still move nothing.
                if rows.is_empty() {
                    continue;
                }
                let mut writes = Vec::with_capacity(rows.len() + 1);
                writes.push(self.checkpoint_put(shard, checkpoint.as_deref(), &end, now)?);
                for row in &rows {
                    writes.extend(self.rollup_updates(row)?);
                }
                if self.transact(writes).await?.is_err() {
                    // Another aggregator moved the checkpoint: what it
                    // applied must not be applied again.
                    continue 'read;
                }
                done.rows += rows.len();
                done.transactions += 1;
                checkpoint = Some(end);
            }
            return Ok(done);
        }
    }

    async fn checkpoint(&self, shard: &str) -> Result<Option<String>, StoreError> {
        let (pk, sk) = keys::checkpoint(shard);
        let item = self.get(pk, sk).await?;
        Ok(item
            .as_ref()
            .and_then(|i| i.get(SEQUENCE))
            .and_then(|v| v.as_s().ok())
            .cloned())
    }

    /// The put that moves `shard`'s checkpoint from `from` to `to`, and
    /// fails when the checkpoint is no longer `from`.
    fn checkpoint_put(
        &self,
        shard: &str,
        from: Option<&str>,
        to: &str,
        now: DateTime<Utc>,
    ) -> Result<TransactWriteItem, StoreError> {
        let (pk, sk) = keys::checkpoint(shard);
        let put = Put::builder()
            .table_name(&*self.table)
            .item(PK, s(pk))
            .item(SK, s(sk))
            .item(SEQUENCE, s(to))
            .item(TTL_ATTRIBUTE, n(now.timestamp() + CHECKPOINT_TTL_SECS));
        let put = match from {
            Some(from) => put
                .condition_expression("#seq = :from")
                .expression_attribute_names("#seq", SEQUENCE)
                .expression_attribute_values(":from", s(from)),
            None => put.condition_expression("attribute_not_exists(pk)"),
        };
        Ok(TransactWriteItem::builder()
            .put(put.build().map_err(StoreError::internal)?)
            .build())
    }

    /// One row's `ADD`s, an update of each of its [`row_items`].
    fn rollup_updates(
        &self,
        increment: &RollupIncrement,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        row_items(increment)
            .map(|(pk, delta)| {
                let mut update = Update::builder()
                    .table_name(&*self.table)
                    .key(PK, s(pk))
                    .key(SK, s(increment.day.to_string()));
                let mut adds = Vec::new();
                for (i, (name, value)) in delta.counters().into_iter().enumerate() {
                    adds.push(format!("#c{i} :c{i}"));
                    update = update
                        .expression_attribute_names(format!("#c{i}"), name)
                        .expression_attribute_values(format!(":c{i}"), n(value));
                }
                let update = update
                    .update_expression(format!("ADD {}", adds.join(", ")))
                    .build();
                Ok(TransactWriteItem::builder()
                    .update(update.map_err(StoreError::internal)?)
                    .build())
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(sequence: &str) -> StreamRecord {
        StreamRecord {
            sequence: sequence.into(),
            ..StreamRecord::default()
        }
    }

    #[test]
    fn positions_order_sequence_numbers_by_value() {
        let short = position("999").unwrap();
        let long = position("1000").unwrap();
        assert!(short < long);
        assert_eq!(long.len(), SEQUENCE_DIGITS);
        for bad in ["", "12a", "-1", &"9".repeat(41)] {
            assert!(position(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn only_records_past_the_checkpoint_are_pending_in_shard_order() {
        let records = [record("300"), record("1000"), record("200"), record("300")];
        let records: Vec<&StreamRecord> = records.iter().collect();
        let checkpoint = position("250").unwrap();
        let left: Vec<&str> = pending(&records, Some(&checkpoint))
            .unwrap()
            .into_iter()
            .map(|(_, r)| r.sequence.as_str())
            .collect();
        assert_eq!(left, ["300", "1000"]);
        assert_eq!(pending(&records, None).unwrap().len(), 3);
    }

    /// 40 answers on 40 days, each with an optional question answered: each
    /// moves four rows (all, channel, rep, location), each row its figures
    /// and its moments, so eight items; the batch is cut so that no
    /// transaction passes DynamoDB's 100 items, and nothing is lost.
    #[test]
    fn a_batch_is_cut_before_a_transaction_passes_its_item_limit() {
        use feedback_core::model::{Answer, Answers, NewInvitation};
        use feedback_core::{Code, SurveyKind, time::TenantZone};
        let zone = TenantZone::parse("time_zone", "UTC").unwrap();
        let first: DateTime<Utc> = "2026-01-01T10:00:00Z".parse().unwrap();
        let records: Vec<StreamRecord> = (0..40)
            .map(|i| {
                let at = first + chrono::Duration::days(i);
                let invitation = NewInvitation {
                    order_id: Some(format!("o-{i}")),
                    rep_id: Some("ayesha".into()),
                    location: Some("gulberg".into()),
                    channel: Some("sms".into()),
                    ..Default::default()
                }
                .validate(SurveyKind::Csat)
                .unwrap()
                .issue(
                    Code::generate().unwrap(),
                    at,
                    chrono::Duration::days(30),
                    &zone,
                );
                let answer = Answer {
                    score: 4,
                    answers: Answers {
                        speed: Some(4),
                        ..Answers::default()
                    },
                    comment: None,
                };
                let response = Response::first(&invitation, answer, at, &zone);
                let mut new = super::super::encode(&response).unwrap();
                new.insert(
                    COUNTED_BY_STREAM.into(),
                    aws_sdk_dynamodb::types::AttributeValue::Bool(true),
                );
                let (pk, sk) = keys::response(&response.code, &response.id);
                StreamRecord {
                    sequence: (100 + i).to_string(),
                    keys: Item::from([(PK.into(), s(pk)), (SK.into(), s(sk))]),
                    new,
                    ..StreamRecord::default()
                }
            })
            .collect();
        assert_eq!(items(&moves(&records[0]).unwrap()), 8);
        let records: Vec<&StreamRecord> = records.iter().collect();
        let pending = pending(&records, None).unwrap();
        let chunks = chunks(&pending).unwrap();
        assert!(chunks.len() > 1);
        assert!(chunks.iter().all(|(_, rows)| items(rows) <= MAX_ITEMS));
        let total: usize = chunks.iter().map(|(_, rows)| items(rows)).sum();
        assert_eq!(total, 40 * 8);
        assert_eq!(chunks.last().unwrap().0, position("139").unwrap());
    }
}
