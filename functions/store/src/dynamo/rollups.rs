//! The per-day rollups the figures are read from. On DynamoDB.

use super::*;
use crate::RollupStore;
use async_trait::async_trait;

#[async_trait]
impl RollupStore for DynamoStore {
    async fn read_rollups(
        &self,
        slice: &Slice,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(NaiveDate, Rollup)>, StoreError> {
        let range = Some((from.to_string(), to.to_string()));
        let items = self.query_all(keys::rollups(slice), range).await?;
        items
            .into_iter()
            .map(|item| {
                let mut rollup = Rollup::default();
                let mut day = None;
                for (name, value) in item {
                    match (name.as_str(), value) {
                        (SK, AttributeValue::S(d)) => day = d.parse::<NaiveDate>().ok(),
                        (_, AttributeValue::N(v)) => {
                            let v: i64 = v.parse().map_err(StoreError::internal)?;
                            rollup.add_counter(&name, v);
                        }
                        _ => {}
                    }
                }
                let day = day.ok_or_else(|| StoreError::internal("rollup item without a day"))?;
                Ok((day, rollup))
            })
            .collect()
    }
}
