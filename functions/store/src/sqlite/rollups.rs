//! The per-day rollups the figures are read from. On SQLite.

use super::*;
use crate::{Detail, RollupStore};
use async_trait::async_trait;

#[async_trait]
impl RollupStore for SqliteStore {
    async fn read_rollups(
        &self,
        slice: &Slice,
        from: NaiveDate,
        to: NaiveDate,
        // One row per (slice, day) holds every counter: nothing to leave out.
        _detail: Detail,
    ) -> Result<Vec<(NaiveDate, Rollup)>, StoreError> {
        let slice = slice.key();
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT day, name, value FROM rollups
                     WHERE slice = ?1 AND day BETWEEN ?2 AND ?3 ORDER BY day",
                )
                .map_err(sql_err)?;
            let mut rows = stmt
                .query(params![slice, from.to_string(), to.to_string()])
                .map_err(sql_err)?;
            let mut days: Vec<(NaiveDate, Rollup)> = Vec::new();
            while let Some(row) = rows.next().map_err(sql_err)? {
                let day: String = row.get(0).map_err(sql_err)?;
                let day: NaiveDate = day.parse().map_err(StoreError::internal)?;
                let name: String = row.get(1).map_err(sql_err)?;
                if days.last().is_none_or(|(d, _)| *d != day) {
                    days.push((day, Rollup::default()));
                }
                if let Some((_, rollup)) = days.last_mut() {
                    rollup.add_counter(&name, row.get(2).map_err(sql_err)?);
                }
            }
            Ok(days)
        })
        .await
    }
}
