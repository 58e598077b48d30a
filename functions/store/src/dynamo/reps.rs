//! Representatives. On DynamoDB.

use super::*;
use crate::RepStore;
use async_trait::async_trait;

#[async_trait]
impl RepStore for DynamoStore {
    async fn put_rep(&self, rep: &Rep) -> Result<bool, StoreError> {
        let mut item = encode(rep)?;
        item.insert(PK.into(), s(keys::REPS));
        item.insert(SK.into(), s(rep.id.to_string()));
        let out = self
            .client
            .put_item()
            .table_name(&*self.table)
            .set_item(Some(item))
            .return_values(ReturnValue::AllOld)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(sdk_error)?;
        self.meter.add(Side::Write, out.consumed_capacity());
        Ok(out.attributes.is_none_or(|a| a.is_empty()))
    }

    async fn get_rep(&self, id: &RepId) -> Result<Option<Rep>, StoreError> {
        self.get(keys::REPS.into(), id.to_string())
            .await?
            .map(decode)
            .transpose()
    }

    async fn list_reps(&self) -> Result<Vec<Rep>, StoreError> {
        let items = self.query_all(keys::REPS.into(), None).await?;
        items.into_iter().map(decode).collect()
    }
}
