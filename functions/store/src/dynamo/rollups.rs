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
        // The rollups are a view the aggregator keeps a second or so behind
        // the writes; an eventually consistent read adds at most about a
        // second to that and costs half the read units.
        let items = self
            .query_partition(keys::rollups(slice), range, Read::Eventual)
            .await?;
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
