//! Reusable links: one partition (`LINKS` / `{code}`), like reps, since a
//! business has a handful (one per till, badge or page), listed whole.

use super::{DynamoStore, Item, decode, encode, keys, n, s};
use crate::StoreError;
use aws_sdk_dynamodb::types::ReturnConsumedCapacity;
use chrono::{DateTime, Utc};
use feedback_core::{Code, Link};

use super::table::{PK, SK};
use crate::LinkStore;
use async_trait::async_trait;

fn link_item(link: &Link) -> Result<Item, StoreError> {
    let mut item = encode(link)?;
    item.insert(PK.into(), s(keys::LINKS));
    item.insert(SK.into(), s(link.code.to_string()));
    Ok(item)
}

impl DynamoStore {
    /// Refuses an answer through link `code` unless the link exists, is
    /// enabled and has not expired (read consistently, just before the
    /// answer's transaction).
    pub(super) async fn open_link(
        &self,
        code: &Code,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let Some(item) = self.get(keys::LINKS.into(), code.to_string()).await? else {
            return Err(StoreError::NotFound);
        };
        match decode::<Link>(item)?.closed(now) {
            None => Ok(()),
            Some(closed) => Err(closed.into()),
        }
    }

    /// Puts `link` when `condition` holds; `refused` otherwise.
    async fn put_link_if(
        &self,
        link: &Link,
        condition: &str,
        values: Item,
        refused: StoreError,
    ) -> Result<(), StoreError> {
        let sent = self
            .client
            .put_item()
            .table_name(&*self.table)
            .set_item(Some(link_item(link)?))
            .condition_expression(condition)
            .set_expression_attribute_values((!values.is_empty()).then_some(values))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await;
        let landed = self.landed(
            sent,
            |e| e.is_conditional_check_failed_exception(),
            |o| o.consumed_capacity(),
        )?;
        if landed { Ok(()) } else { Err(refused) }
    }

    pub(super) async fn put_link(&self, link: &Link) -> Result<(), StoreError> {
        let collision = StoreError::internal("link code collision; retry with a new code");
        self.put_link_if(link, "attribute_not_exists(pk)", Item::new(), collision)
            .await
    }

    pub(super) async fn read_link(&self, code: &Code) -> Result<Option<Link>, StoreError> {
        self.get(keys::LINKS.into(), code.to_string())
            .await?
            .map(decode)
            .transpose()
    }

    pub(super) async fn read_links(&self) -> Result<Vec<Link>, StoreError> {
        let items = self.query_all(keys::LINKS.into(), None).await?;
        let links = items.into_iter().map(decode).collect::<Result<_, _>>()?;
        Ok(crate::sort_links(links))
    }

    pub(super) async fn replace_link(
        &self,
        previous: &Link,
        next: &Link,
    ) -> Result<(), StoreError> {
        let changed = StoreError::Conflict("the link changed meanwhile".into());
        let values = Item::from([(":rev".to_owned(), n(previous.revision))]);
        self.put_link_if(next, "revision = :rev", values, changed)
            .await
    }
}

#[async_trait]
impl LinkStore for DynamoStore {
    async fn create_link(&self, link: &Link) -> Result<(), StoreError> {
        self.put_link(link).await
    }

    async fn get_link(&self, code: &Code) -> Result<Option<Link>, StoreError> {
        self.read_link(code).await
    }

    async fn list_links(&self) -> Result<Vec<Link>, StoreError> {
        self.read_links().await
    }

    async fn update_link(&self, previous: &Link, next: &Link) -> Result<(), StoreError> {
        self.replace_link(previous, next).await
    }

    async fn tally(&self, keys: &[String], until: DateTime<Utc>) -> Result<Vec<u64>, StoreError> {
        self.add_tallies(keys, until).await
    }
}
