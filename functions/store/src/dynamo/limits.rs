//! The items behind abuse protection and invitation throttling: a contact's
//! throttle (`CONTACT#{hash}`), answer quotas counted before a response is
//! stored (`QUOTA#{key}`), burst tallies (`TALLY#{key}`) and the
//! tenant's secret. Each counter carries a `ttl`, so DynamoDB deletes it
//! once it no longer matters.

use super::meter::Side;
use super::table::{PK, SK, TTL_ATTRIBUTE};
use super::{CODE, DynamoStore, Item, code_of, decode, encode, keys, n, s, sdk_error};
use crate::{ContactRule, InvitationStore, StoreError};
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeValue, ReturnConsumedCapacity, ReturnValue, TransactWriteItem, Update,
};
use chrono::{DateTime, Utc};
use feedback_core::abuse::{Quota, QuotaScope, Secret};
use feedback_core::{Code, Invitation};
use std::collections::HashMap;

/// How long a quota's item outlives its reset (TTL deletes lazily anyway).
const QUOTA_GRACE_SECS: i64 = 86_400;
/// When the throttle ends, in epoch milliseconds (as precise as the API).
const UNTIL: &str = "until_ms";
/// The throttle's copy of that invitation.
const COPY: &str = "invitation";

/// A link quota's count of answers.
const COUNT: &str = "n";
/// An address quota's answers, by id.
const IDS: &str = "ids";

/// How an answer is counted against a quota. One address's quota keeps the
/// set of answers it counted, so the same answer sent again (a double tap,
/// a retry) passes without counting twice. A link's daily cap, which many
/// answers meet on, is a plain count: too many ids for one item.
struct QuotaUpdate {
    pk: String,
    sk: String,
    update: &'static str,
    condition: &'static str,
    names: HashMap<String, String>,
    values: Item,
}

impl QuotaUpdate {
    fn of(quota: &Quota, id: &str) -> Self {
        let (pk, sk) = keys::quota(&quota.key);
        let ttl = n(quota.resets_at.timestamp() + QUOTA_GRACE_SECS);
        let mut names = HashMap::from([("#ttl".to_owned(), TTL_ATTRIBUTE.to_owned())]);
        let mut values = Item::from([(":ttl".to_owned(), ttl), (":max".to_owned(), n(quota.max))]);
        let (update, condition) = match quota.scope {
            QuotaScope::Address => {
                names.insert("#ids".into(), IDS.into());
                values.insert(":ids".into(), AttributeValue::Ss(vec![id.to_owned()]));
                values.insert(":id".into(), s(id));
                (
                    "ADD #ids :ids SET #ttl = :ttl",
                    "attribute_not_exists(#ids) OR size(#ids) < :max OR contains(#ids, :id)",
                )
            }
            QuotaScope::Link => {
                names.insert("#n".into(), COUNT.into());
                values.insert(":one".into(), n(1));
                (
                    "ADD #n :one SET #ttl = :ttl",
                    "attribute_not_exists(#n) OR #n < :max",
                )
            }
        };
        QuotaUpdate {
            pk,
            sk,
            update,
            condition,
            names,
            values,
        }
    }

    /// One answer fewer on a link's count.
    fn give_back(quota: &Quota) -> Self {
        let (pk, sk) = keys::quota(&quota.key);
        QuotaUpdate {
            pk,
            sk,
            update: "ADD #n :minus",
            condition: "attribute_exists(#n)",
            names: HashMap::from([("#n".to_owned(), COUNT.to_owned())]),
            values: Item::from([(":minus".to_owned(), n(-1))]),
        }
    }
}

/// The contact's throttle, parsed from the item a refused put handed back.
fn throttled_by(item: &Item) -> Result<(Code, DateTime<Utc>), StoreError> {
    let code = code_of(item, "a contact throttle")?;
    let until = item
        .get(UNTIL)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse::<i64>().ok())
        .and_then(DateTime::from_timestamp_millis)
        .ok_or_else(|| StoreError::internal("a contact throttle without its end"))?;
    Ok((code, until))
}

impl DynamoStore {
    /// Holds the contact for `invitation` until `rule.until`, unless another
    /// invitation's period runs (it always does when forced): `None` when it
    /// holds, otherwise the invitation that holds the contact and when its
    /// period ends. The item keeps a copy of the invitation, without its
    /// customer ref, for a refused request to name when that invitation is
    /// still being stored; the same invitation may hold it again, so a
    /// request cut short can be finished by its retry.
    pub(super) async fn hold_contact(
        &self,
        rule: &ContactRule,
        invitation: &Invitation,
    ) -> Result<Option<(Invitation, DateTime<Utc>)>, StoreError> {
        let (pk, sk) = keys::contact(&rule.key);
        let copy = Invitation {
            customer_ref: None,
            ..invitation.clone()
        };
        let mut put = self
            .client
            .put_item()
            .item(PK, s(pk))
            .item(SK, s(sk))
            .item(CODE, s(invitation.code.to_string()))
            .item(COPY, AttributeValue::M(encode(&copy)?))
            .item(UNTIL, n(rule.until.timestamp_millis()))
            .item(TTL_ATTRIBUTE, n(rule.until.timestamp()));
        if !rule.force {
            put = put
                .condition_expression("attribute_not_exists(pk) OR #until <= :now OR #code = :code")
                .expression_attribute_names("#until", UNTIL)
                .expression_attribute_names("#code", CODE)
                .expression_attribute_values(":now", n(invitation.created_at.timestamp_millis()))
                .expression_attribute_values(":code", s(invitation.code.to_string()));
        }
        let Some(held) = self.put_unless_refused(put).await? else {
            return Ok(None);
        };
        let (code, until) = throttled_by(&held)?;
        let last = match self.get_invitation(&code).await? {
            Some(stored) => stored,
            None => {
                let copy = held
                    .get(COPY)
                    .and_then(|c| c.as_m().ok())
                    .cloned()
                    .ok_or_else(|| StoreError::internal("a throttle names a missing invitation"))?;
                Invitation {
                    // The same contact, so the same customer.
                    customer_ref: invitation.customer_ref.clone(),
                    ..decode(copy)?
                }
            }
        };
        Ok(Some((last, until)))
    }

    /// The update that counts answer `id` against `quota`, in a
    /// transaction, refused when full.
    pub(super) fn quota_update(
        &self,
        quota: &Quota,
        id: &str,
    ) -> Result<TransactWriteItem, StoreError> {
        let q = QuotaUpdate::of(quota, id);
        let update = Update::builder()
            .table_name(&*self.table)
            .key(PK, s(q.pk))
            .key(SK, s(q.sk))
            .update_expression(q.update)
            .condition_expression(q.condition)
            .set_expression_attribute_names(Some(q.names))
            .set_expression_attribute_values(Some(q.values))
            .build()
            .map_err(StoreError::internal)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Counts answer `id` against `quota` on its own: false when full.
    pub(super) async fn take_quota(&self, quota: &Quota, id: &str) -> Result<bool, StoreError> {
        self.update_quota(QuotaUpdate::of(quota, id)).await
    }

    /// Takes back what [`Self::take_quota`] counted for an answer that was
    /// not stored. Only a link's count needs it: an address's quota holds
    /// the answer's id, which counts once however often it comes.
    pub(super) async fn give_back(&self, quota: &Quota) -> Result<(), StoreError> {
        if quota.scope == QuotaScope::Link {
            self.update_quota(QuotaUpdate::give_back(quota)).await?;
        }
        Ok(())
    }

    /// Sends `q` on its own: false when its condition did not hold.
    async fn update_quota(&self, q: QuotaUpdate) -> Result<bool, StoreError> {
        let sent = self
            .client
            .update_item()
            .table_name(&*self.table)
            .key(PK, s(q.pk))
            .key(SK, s(q.sk))
            .update_expression(q.update)
            .condition_expression(q.condition)
            .set_expression_attribute_names(Some(q.names))
            .set_expression_attribute_values(Some(q.values))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await;
        self.landed(
            sent,
            |e| e.is_conditional_check_failed_exception(),
            |o| o.consumed_capacity(),
        )
    }

    pub(super) async fn add_tallies(
        &self,
        tallies: &[String],
        until: DateTime<Utc>,
    ) -> Result<Vec<u64>, StoreError> {
        let mut counts = Vec::with_capacity(tallies.len());
        for key in tallies {
            let (pk, sk) = keys::tally(key);
            let out = self
                .client
                .update_item()
                .table_name(&*self.table)
                .key(PK, s(pk))
                .key(SK, s(sk))
                .update_expression("ADD #n :one SET #ttl = :ttl")
                .expression_attribute_names("#n", "n")
                .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":ttl", n(until.timestamp() + QUOTA_GRACE_SECS))
                .return_values(ReturnValue::UpdatedNew)
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await
                .map_err(sdk_error)?;
            self.meter.add(Side::Write, out.consumed_capacity());
            let count = out
                .attributes
                .as_ref()
                .and_then(|a| a.get("n"))
                .and_then(|v| v.as_n().ok())
                .and_then(|v| v.parse::<u64>().ok())
                .ok_or_else(|| StoreError::internal("a tally without its count"))?;
            counts.push(count);
        }
        Ok(counts)
    }

    pub(super) async fn tenant_secret(&self) -> Result<Secret, StoreError> {
        let read = |item: Item| -> Result<Secret, StoreError> {
            let bytes = match item.get("value") {
                Some(AttributeValue::B(b)) => b.as_ref().to_vec(),
                _ => return Err(StoreError::internal("the stored secret has no value")),
            };
            let bytes: [u8; 32] = bytes
                .try_into()
                .map_err(|_| StoreError::internal("the stored secret is not 32 bytes"))?;
            Ok(Secret::new(bytes))
        };
        if let Some(item) = self.get(keys::SECRET.into(), keys::SECRET.into()).await? {
            return read(item);
        }
        let secret = Secret::generate().map_err(StoreError::internal)?;
        let sent = self
            .client
            .put_item()
            .table_name(&*self.table)
            .item(PK, s(keys::SECRET))
            .item(SK, s(keys::SECRET))
            .item(
                "value",
                AttributeValue::B(Blob::new(secret.bytes().to_vec())),
            )
            .condition_expression("attribute_not_exists(pk)")
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await;
        let made = self.landed(
            sent,
            |e| e.is_conditional_check_failed_exception(),
            |o| o.consumed_capacity(),
        )?;
        if made {
            return Ok(secret);
        }
        // Another process made it first: use theirs.
        let item = self
            .get(keys::SECRET.into(), keys::SECRET.into())
            .await?
            .ok_or_else(|| StoreError::internal("the secret vanished"))?;
        read(item)
    }
}
