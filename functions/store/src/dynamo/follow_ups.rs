//! Follow-up items: `FU#{id}` / `FU`, listed newest first through `gsi1`
//! (`FU`), and, while open, through the sparse `gsi2` (`FU#open`) — the queue
//! of customers still waiting for a first contact, which stays small however
//! many follow-ups a business has closed.

use super::table::{COUNTED_BY_STREAM, GSI1, GSI1_PK, GSI1_SK, GSI2, GSI2_PK, GSI2_SK, PK, SK};
use super::{DynamoStore, FilterTerms, IndexQuery, Item, decode, encode, keys, n, s};
use crate::FollowUpStore;
use crate::cursor::{Cursor, Listed, Order, instant_key, upper_bound};
use crate::{FollowUpFilter, Page, StoreError};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use feedback_core::FollowUp;
use feedback_core::followup::Status;

/// Epoch seconds when first contact is due, for the overdue filter.
const DUE: &str = "due_epoch";

fn item(f: &FollowUp) -> Result<Item, StoreError> {
    let mut item = encode(f)?;
    let (pk, sk) = keys::follow_up(&f.id);
    item.insert(PK.into(), s(pk));
    item.insert(SK.into(), s(sk));
    item.insert(GSI1_PK.into(), s(keys::FOLLOW_UPS));
    item.insert(GSI1_SK.into(), s(f.sort_key()));
    if f.status == Status::Open {
        item.insert(GSI2_PK.into(), s(keys::OPEN_FOLLOW_UPS));
        item.insert(GSI2_SK.into(), s(f.sort_key()));
    }
    item.insert(DUE.into(), n(f.due_at().timestamp()));
    item.insert(COUNTED_BY_STREAM.into(), AttributeValue::Bool(true));
    Ok(item)
}

impl DynamoStore {
    /// The put of `next` in a transaction, guarded so that it only lands on
    /// the state it was computed from: `previous`'s revision, or nothing.
    pub(super) fn follow_up_put(
        &self,
        previous: Option<&FollowUp>,
        next: &FollowUp,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut put = Put::builder()
            .table_name(&*self.table)
            .set_item(Some(item(next)?));
        put = match previous {
            Some(p) => put
                .condition_expression("#rev = :rev")
                .expression_attribute_names("#rev", "revision")
                .expression_attribute_values(":rev", n(p.revision)),
            None => put.condition_expression("attribute_not_exists(pk)"),
        };
        Ok(TransactWriteItem::builder()
            .put(put.build().map_err(StoreError::internal)?)
            .build())
    }

    pub(super) async fn read_follow_up(&self, id: &str) -> Result<Option<FollowUp>, StoreError> {
        let (pk, sk) = keys::follow_up(id);
        self.get(pk, sk).await?.map(decode).transpose()
    }

    pub(super) async fn write_follow_up(
        &self,
        previous: &FollowUp,
        next: &FollowUp,
    ) -> Result<(), StoreError> {
        let items = vec![self.follow_up_put(Some(previous), next)?];
        match self.transact(items).await? {
            Ok(()) => Ok(()),
            Err(_) => Err(StoreError::Conflict(
                "the follow-up changed meanwhile".into(),
            )),
        }
    }

    pub(super) async fn query_follow_ups(
        &self,
        filter: &FollowUpFilter,
        limit: usize,
        cursor: Option<&Cursor>,
        order: Order,
    ) -> Result<Page<FollowUp>, StoreError> {
        let mut t = FilterTerms::default();
        // The open queue has its own index; any other status is a filter.
        let queue = filter.overdue_at.is_some() || filter.status == Some(Status::Open);
        if !queue {
            t.equal("status", filter.status.map(|st| st.as_str().to_owned()));
        }
        t.credits(filter.rep_id.as_ref());
        t.equal("channel", filter.channel.map(|c| c.as_str().to_owned()));
        t.equal(
            "location",
            filter.location.as_ref().map(ToString::to_string),
        );
        if let Some(at) = filter.overdue_at {
            t.terms.push("#due <= :due".into());
            t.names.insert("#due".into(), DUE.into());
            t.values.insert(":due".into(), n(at.timestamp()));
        }
        let (index, pk_attr, sk_attr, pk) = if queue {
            (GSI2, GSI2_PK, GSI2_SK, keys::OPEN_FOLLOW_UPS)
        } else {
            (GSI1, GSI1_PK, GSI1_SK, keys::FOLLOW_UPS)
        };
        let query = IndexQuery {
            index,
            pk_attr,
            sk_attr,
            pk,
            lower: filter.opened_since.map(instant_key),
            upper: upper_bound(None, cursor),
            forward: order == Order::OldestFirst,
            filter: t.expression(),
            names: t.names,
            values: t.values,
        };
        let page = self.list_index::<FollowUp>(query, limit).await?;
        // `due_epoch` has second precision; the domain rule decides.
        Ok(match filter.overdue_at {
            Some(at) => Page {
                items: page
                    .items
                    .into_iter()
                    .filter(|f| f.is_overdue(at))
                    .collect(),
                next: page.next,
            },
            None => page,
        })
    }
}

#[async_trait]
impl FollowUpStore for DynamoStore {
    async fn get_follow_up(&self, id: &str) -> Result<Option<FollowUp>, StoreError> {
        self.read_follow_up(id).await
    }

    async fn list_follow_ups(
        &self,
        filter: &FollowUpFilter,
        limit: usize,
        cursor: Option<&Cursor>,
    ) -> Result<Page<FollowUp>, StoreError> {
        self.query_follow_ups(filter, limit, cursor, Order::NewestFirst)
            .await
    }

    async fn oldest_follow_ups(
        &self,
        filter: &FollowUpFilter,
        limit: usize,
    ) -> Result<Vec<FollowUp>, StoreError> {
        Ok(self
            .query_follow_ups(filter, limit, None, Order::OldestFirst)
            .await?
            .items)
    }

    async fn update_follow_up(
        &self,
        previous: &FollowUp,
        next: &FollowUp,
    ) -> Result<(), StoreError> {
        self.write_follow_up(previous, next).await
    }
}
