//! Customers' answers and their review. On SQLite.

use super::*;
use crate::ResponseStore;
use async_trait::async_trait;

#[async_trait]
impl ResponseStore for SqliteStore {
    async fn record_response(
        &self,
        response: &Response,
        now: DateTime<Utc>,
        rules: &SubmitRules,
        quotas: &[Quota],
    ) -> Result<Recorded, StoreError> {
        let incoming = response.clone();
        let rules = *rules;
        let quotas = quotas.to_vec();
        self.write(move |tx| {
            let existing: Option<Response> = get_body(tx, GET_RESPONSE, &incoming.id)?;
            if existing.is_none() {
                check_open(tx, &incoming, now)?;
                take_quotas(tx, &quotas)?;
            }
            match decide(existing.as_ref(), &incoming, now, rules.edit_window) {
                Decision::Insert => {
                    write_response(tx, &incoming)?;
                    announce(
                        tx,
                        &Change::Response {
                            before: None,
                            after: Box::new(incoming.clone()),
                        },
                    )?;
                    write_effects(tx, submission::on_insert(&incoming, &rules), None)?;
                    Ok(Recorded::Created(incoming))
                }
                Decision::Replace(current) => {
                    let current = *current;
                    let previous = existing.expect("replace implies an existing response");
                    write_response(tx, &current)?;
                    announce(
                        tx,
                        &Change::Response {
                            before: Some(Box::new(previous.clone())),
                            after: Box::new(current.clone()),
                        },
                    )?;
                    let follow_up: Option<FollowUp> = get_body(tx, GET_FOLLOW_UP, &current.id)?;
                    let effects = submission::on_replace(
                        &previous,
                        &current,
                        follow_up.as_ref(),
                        &rules,
                        now,
                    );
                    write_effects(tx, effects, follow_up)?;
                    Ok(Recorded::Replaced {
                        previous: Box::new(previous),
                        current: Box::new(current),
                    })
                }
                Decision::Unchanged => Ok(Recorded::Unchanged(
                    existing.expect("unchanged implies existing"),
                )),
                Decision::WindowClosed => Err(StoreError::WindowClosed(Box::new(
                    existing.expect("closed implies existing"),
                ))),
            }
        })
        .await
    }

    async fn release_response(
        &self,
        _code: &Code,
        id: &str,
        rules: &SubmitRules,
    ) -> Result<Option<Response>, StoreError> {
        let (id, rules) = (id.to_owned(), *rules);
        self.write(move |tx| {
            let Some(stored) = get_body::<Response>(tx, GET_RESPONSE, &id)? else {
                return Ok(None);
            };
            if stored.flagged.is_none() {
                return Ok(Some(stored));
            }
            let released = stored.released();
            write_response(tx, &released)?;
            announce(
                tx,
                &Change::Response {
                    before: Some(Box::new(stored.clone())),
                    after: Box::new(released.clone()),
                },
            )?;
            write_effects(tx, submission::on_release(&stored, &released, &rules), None)?;
            Ok(Some(released))
        })
        .await
    }

    async fn get_response(&self, code: &Code) -> Result<Option<Response>, StoreError> {
        let id = code.to_string();
        self.read(move |conn| get_body(conn, GET_RESPONSE, &id))
            .await
    }

    async fn list_responses(
        &self,
        filter: &ResponseFilter,
        limit: usize,
        cursor: Option<&Cursor>,
    ) -> Result<Page<Response>, StoreError> {
        let limit = limit.clamp(1, crate::MAX_PAGE);
        let f = filter.clone();
        let upper = upper_bound(filter.before, cursor);
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT body FROM responses
                     WHERE (?1 IS NULL OR sort_key >= ?1) AND (?2 IS NULL OR sort_key < ?2)
                       AND (?3 IS NULL OR rep_id = ?3 OR {CREDITS_ALSO}) AND (?4 IS NULL OR channel = ?4)
                       AND (?5 IS NULL OR location = ?5) AND (?6 IS NULL OR survey = ?6)
                       AND (?7 IS NULL OR score >= ?7) AND (?8 IS NULL OR score <= ?8)
                       AND (?9 IS NULL OR has_comment = ?9) AND (?11 IS NULL OR flagged = ?11)
                     ORDER BY sort_key DESC LIMIT ?10"
                ))
                .map_err(sql_err)?;
            let rows = stmt
                .query_map(
                    params![
                        f.from.map(instant_key),
                        upper,
                        f.rep_id.as_ref().map(RepId::as_str),
                        f.channel.map(|c| c.as_str()),
                        f.location.as_ref().map(|l| l.as_str()),
                        f.survey.map(|s| s.as_str()),
                        f.min_score,
                        f.max_score,
                        f.has_comment,
                        limit as i64 + 1,
                        f.flagged,
                    ],
                    |row| row.get::<_, String>(0),
                )
                .map_err(sql_err)?;
            let items: Vec<Response> = decode_rows(rows)?;
            Ok(page(items, limit))
        })
        .await
    }
}
