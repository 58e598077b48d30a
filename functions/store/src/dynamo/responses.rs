//! Customers' answers and their review. On DynamoDB.

use super::*;
use crate::ResponseStore;
use async_trait::async_trait;
use feedback_telemetry::Metric;

#[async_trait]
impl ResponseStore for DynamoStore {
    async fn record_response(
        &self,
        response: &Response,
        now: DateTime<Utc>,
        rules: &SubmitRules,
        quotas: &[Quota],
    ) -> Result<Recorded, StoreError> {
        let opened = submission::on_insert(response, rules);
        for _ in 0..MAX_ATTEMPTS {
            let Some(existing) = self.insert_response(response, now, quotas, &opened).await? else {
                return Ok(Recorded::Created(response.clone()));
            };
            match decide(Some(&existing), response, now, rules.edit_window) {
                Decision::Unchanged => return Ok(Recorded::Unchanged(existing)),
                Decision::WindowClosed => return Err(StoreError::WindowClosed(Box::new(existing))),
                Decision::Insert => {
                    return Err(StoreError::internal(
                        "insert decided over an existing response",
                    ));
                }
                Decision::Replace(current) => {
                    let current = *current;
                    let follow_up = self.read_follow_up(&current.id).await?;
                    let effects =
                        submission::on_replace(&existing, &current, follow_up.as_ref(), rules, now);
                    let items = self.replacement(
                        &existing,
                        &current,
                        "#rev = :rev",
                        &effects,
                        follow_up.as_ref(),
                    )?;
                    if self.transact(items).await?.is_ok() {
                        return Ok(Recorded::Replaced {
                            previous: Box::new(existing),
                            current: Box::new(current),
                        });
                    }
                    // Another edit won the race: start over from what is stored now.
                    feedback_telemetry::count(Metric::ConflictRetried);
                }
            }
        }
        Err(StoreError::Conflict(
            "the response kept changing under concurrent edits".into(),
        ))
    }

    async fn release_response(
        &self,
        code: &Code,
        id: &str,
        rules: &SubmitRules,
    ) -> Result<Option<Response>, StoreError> {
        for _ in 0..MAX_ATTEMPTS {
            let Some(stored) = self.existing_response(code, id).await? else {
                return Ok(None);
            };
            if stored.flagged.is_none() {
                return Ok(Some(stored));
            }
            let released = stored.released();
            let effects = submission::on_release(&stored, &released, rules);
            let items = self.replacement(
                &stored,
                &released,
                "#rev = :rev AND attribute_exists(flagged)",
                &effects,
                None,
            )?;
            if self.transact(items).await?.is_ok() {
                return Ok(Some(released));
            }
            // Released or edited meanwhile: look again.
            feedback_telemetry::count(Metric::ConflictRetried);
        }
        Err(StoreError::Conflict(
            "the response kept changing while being released".into(),
        ))
    }

    async fn get_response(&self, code: &Code) -> Result<Option<Response>, StoreError> {
        self.existing_response(code, code.as_str()).await
    }

    async fn list_responses(
        &self,
        filter: &ResponseFilter,
        limit: usize,
        cursor: Option<&Cursor>,
    ) -> Result<Page<Response>, StoreError> {
        let terms = filter_terms(filter);
        let query = IndexQuery {
            index: GSI1,
            pk_attr: GSI1_PK,
            sk_attr: GSI1_SK,
            pk: keys::RESPONSES,
            lower: filter.from.map(instant_key),
            upper: upper_bound(filter.before, cursor),
            forward: false,
            filter: terms.expression(),
            names: terms.names,
            values: terms.values,
        };
        self.list_index(query, limit).await
    }
}

impl DynamoStore {
    /// Stores `response` as a first answer (`None`), or finds the answer
    /// already stored under its id, which the caller decides on: a stored
    /// answer comes first, then the target, then the quotas.
    async fn insert_response(
        &self,
        response: &Response,
        now: DateTime<Utc>,
        quotas: &[Quota],
        opened: &submission::Effects,
    ) -> Result<Option<Response>, StoreError> {
        // The target is checked before the write rather than inside it. An
        // invitation is never deleted and its expiry never changes, so the
        // check decides as a condition check would, without its two write
        // units; and a busy reusable link is not held by every answer's
        // transaction (DynamoDB would cancel the others touching it
        // meanwhile).
        let open = if response.reusable {
            self.open_link(&response.code, now).await
        } else {
            self.open_invitation(&response.code, now).await
        };
        if let Err(refused) = open {
            let existing = self.existing_response(&response.code, &response.id).await?;
            return existing.map(Some).ok_or(refused);
        }
        let item = response_item(response)?;
        // Most answers are the response alone, after their quotas: one
        // conditional put.
        if opened.follow_up.is_none() {
            return self.counted_put(response, item, quotas).await;
        }
        // The response, then the quotas, then the follow-up it opens.
        let mut items = vec![
            TransactWriteItem::builder()
                .put(self.put(item, "attribute_not_exists(pk)"))
                .build(),
        ];
        for quota in quotas {
            items.push(self.quota_update(quota, &response.id)?);
        }
        if let Some(follow_up) = &opened.follow_up {
            items.push(self.follow_up_put(None, follow_up)?);
        }
        let cancelled = match self.transact(items).await? {
            Ok(()) => return Ok(None),
            Err(cancelled) => cancelled,
        };
        // The stored response comes back with the failure.
        if let Some(item) = cancelled.old_item(0) {
            return Ok(Some(decode::<Response>(item)?));
        }
        let full = (0..quotas.len()).find(|i| cancelled.failed(1 + i).is_some());
        Err(match full {
            Some(i) => StoreError::OverQuota {
                resets_at: quotas[i].resets_at,
            },
            None => StoreError::internal("an answer's transaction failed for no reason given"),
        })
    }

    /// Counts `response` against each of `quotas`, then puts it (`item`)
    /// unless it is stored already: `None` when it was stored now, else the
    /// stored answer. Not a transaction, so a busy link's daily cap is
    /// never held by one answer while others wait: each quota is a
    /// conditional update of its own. What an answer found stored already
    /// took is given back. A put that failed may still have landed, so
    /// nothing is given back then: a request cut short between the updates
    /// and the put leaves an address's quota holding an answer that its
    /// retry passes with, and at worst a link's cap one answer fuller,
    /// never emptier.
    async fn counted_put(
        &self,
        response: &Response,
        item: Item,
        quotas: &[Quota],
    ) -> Result<Option<Response>, StoreError> {
        for (i, quota) in quotas.iter().enumerate() {
            if !self.take_quota(quota, &response.id).await? {
                self.give_back_all(&quotas[..i]).await?;
                // The same answer may be stored already: it comes first.
                let existing = self.existing_response(&response.code, &response.id).await?;
                return existing.map(Some).ok_or(StoreError::OverQuota {
                    resets_at: quota.resets_at,
                });
            }
        }
        let Some(stored) = self.put_new(item).await? else {
            return Ok(None);
        };
        self.give_back_all(quotas).await?;
        decode(stored).map(Some)
    }

    async fn give_back_all(&self, quotas: &[Quota]) -> Result<(), StoreError> {
        for quota in quotas {
            self.give_back(quota).await?;
        }
        Ok(())
    }
}
