//! Follow-ups of unhappy answers. On SQLite.

use super::*;
use crate::FollowUpStore;
use crate::cursor::Order;
use async_trait::async_trait;

impl SqliteStore {
    /// At most `limit` follow-ups matching `filter` in `order`, opened
    /// before the sort key `upper`.
    async fn select_follow_ups(
        &self,
        filter: &FollowUpFilter,
        limit: usize,
        upper: Option<String>,
        order: Order,
    ) -> Result<Vec<FollowUp>, StoreError> {
        let f = filter.clone();
        // Overdue means open: the status index then reads only the queue.
        let status = f
            .overdue_at
            .map(|_| feedback_core::followup::Status::Open)
            .or(f.status);
        let order = match order {
            Order::NewestFirst => "DESC",
            Order::OldestFirst => "ASC",
        };
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT body FROM follow_ups
                     WHERE (?1 IS NULL OR sort_key < ?1) AND (?2 IS NULL OR status = ?2)
                       AND (?3 IS NULL OR rep_id = ?3 OR {CREDITS_ALSO}) AND (?4 IS NULL OR channel = ?4)
                       AND (?5 IS NULL OR location = ?5) AND (?6 IS NULL OR due_at <= ?6)
                       AND (?7 IS NULL OR sort_key >= ?7)
                     ORDER BY sort_key {order} LIMIT ?8"
                ))
                .map_err(sql_err)?;
            let rows = stmt
                .query_map(
                    params![
                        upper,
                        status.map(|s| s.as_str()),
                        f.rep_id.as_ref().map(RepId::as_str),
                        f.channel.map(|c| c.as_str()),
                        f.location.as_ref().map(|l| l.as_str()),
                        f.overdue_at.map(instant_key),
                        f.opened_since.map(instant_key),
                        limit as i64,
                    ],
                    |row| row.get::<_, String>(0),
                )
                .map_err(sql_err)?;
            decode_rows(rows)
        })
        .await
    }
}

#[async_trait]
impl FollowUpStore for SqliteStore {
    async fn get_follow_up(&self, id: &str) -> Result<Option<FollowUp>, StoreError> {
        let id = id.to_owned();
        self.read(move |conn| get_body(conn, GET_FOLLOW_UP, &id))
            .await
    }

    async fn list_follow_ups(
        &self,
        filter: &FollowUpFilter,
        limit: usize,
        cursor: Option<&Cursor>,
    ) -> Result<Page<FollowUp>, StoreError> {
        let limit = limit.clamp(1, crate::MAX_PAGE);
        let items = self
            .select_follow_ups(
                filter,
                limit + 1,
                upper_bound(None, cursor),
                Order::NewestFirst,
            )
            .await?;
        Ok(page(items, limit))
    }

    async fn oldest_follow_ups(
        &self,
        filter: &FollowUpFilter,
        limit: usize,
    ) -> Result<Vec<FollowUp>, StoreError> {
        let limit = limit.clamp(1, crate::MAX_PAGE);
        self.select_follow_ups(filter, limit, None, Order::OldestFirst)
            .await
    }

    async fn update_follow_up(
        &self,
        previous: &FollowUp,
        next: &FollowUp,
    ) -> Result<(), StoreError> {
        let (previous, next) = (previous.clone(), next.clone());
        self.write(move |tx| {
            let stored: Option<FollowUp> = get_body(tx, GET_FOLLOW_UP, &previous.id)?;
            if stored.as_ref().map(|f| f.revision) != Some(previous.revision) {
                return Err(StoreError::Conflict(
                    "the follow-up changed meanwhile".into(),
                ));
            }
            write_follow_up(tx, &next)?;
            apply(tx, &rollup::for_follow_up(Some(&previous), &next))?;
            announce(
                tx,
                &Change::FollowUp {
                    before: Some(Box::new(previous)),
                    after: Box::new(next),
                },
            )
        })
        .await
    }
}
