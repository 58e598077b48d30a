//! The per-day rollups the figures are read from. On DynamoDB.
//!
//! A slice's figures are in `ROLL#{slice}`, its optional questions' moments
//! (only the drivers read them, and they are most of a busy day's bytes) in
//! `ROLL#{slice}#q`, so that a year of scores reads the figures alone. Rows
//! written before the moments moved keep them beside the figures; a read
//! with the questions merges both partitions, so either way they count.

use super::*;
use crate::{Detail, RollupStore};
use async_trait::async_trait;

impl DynamoStore {
    /// The rows of partition `pk` on the days `from..=to`, by day.
    async fn read_rows(
        &self,
        pk: String,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(NaiveDate, Rollup)>, StoreError> {
        let range = Some((from.to_string(), to.to_string()));
        // The rollups are a view the aggregator keeps a second or so behind
        // the writes; an eventually consistent read adds at most about a
        // second to that and costs half the read units.
        let items = self.query_partition(pk, range, Read::Eventual).await?;
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

#[async_trait]
impl RollupStore for DynamoStore {
    async fn read_rollups(
        &self,
        slice: &Slice,
        from: NaiveDate,
        to: NaiveDate,
        detail: Detail,
    ) -> Result<Vec<(NaiveDate, Rollup)>, StoreError> {
        let figures = self.read_rows(keys::rollups(slice), from, to);
        match detail {
            Detail::Figures => figures.await,
            Detail::WithQuestions => {
                let questions = self.read_rows(keys::question_rollups(slice), from, to);
                let (figures, questions) = tokio::try_join!(figures, questions)?;
                Ok(by_day(figures, questions))
            }
        }
    }
}

/// Two lists of rows by day merged into one, a day's rows summed.
fn by_day(a: Vec<(NaiveDate, Rollup)>, b: Vec<(NaiveDate, Rollup)>) -> Vec<(NaiveDate, Rollup)> {
    let mut days: std::collections::BTreeMap<NaiveDate, Rollup> = a.into_iter().collect();
    for (day, rollup) in b {
        days.entry(day).or_default().merge(&rollup);
    }
    days.into_iter().collect()
}
