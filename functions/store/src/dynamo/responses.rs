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
        // An invitation's answer checks it in the transaction (only its
        // own customer touches it). A reusable link is read before
        // instead: in the transaction every answer through a busy link
        // would hold the link's item, and DynamoDB would cancel every
        // other answer touching it meanwhile.
        let check = if response.reusable {
            if let Err(refused) = self.open_link(&response.code, now).await {
                let existing = self.existing_response(&response.code, &response.id).await?;
                return existing.map(Some).ok_or(refused);
            }
            None
        } else {
            let (pk, sk) = keys::invitation(&response.code);
            let check = ConditionCheck::builder()
                .table_name(&*self.table)
                .key(PK, s(pk))
                .key(SK, s(sk))
                .condition_expression("attribute_exists(pk) AND #exp > :now")
                .expression_attribute_names("#exp", EXPIRES)
                .expression_attribute_values(":now", n(now.timestamp()))
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .build()
                .map_err(StoreError::internal)?;
            Some(TransactWriteItem::builder().condition_check(check).build())
        };
        // The invitation's check, the response, then the quotas.
        let at_response = usize::from(check.is_some());
        let mut items: Vec<TransactWriteItem> = check.into_iter().collect();
        items.push(
            TransactWriteItem::builder()
                .put(self.put(response_item(response)?, "attribute_not_exists(pk)"))
                .build(),
        );
        for quota in quotas {
            items.push(self.quota_update(quota)?);
        }
        if let Some(follow_up) = &opened.follow_up {
            items.push(self.follow_up_put(None, follow_up)?);
        }
        let cancelled = match self.transact(items).await? {
            Ok(()) => return Ok(None),
            Err(cancelled) => cancelled,
        };
        // The stored response comes back with the failure; when only the
        // invitation's condition was reported, look for one explicitly (an
        // edit may come after the invitation expired).
        if let Some(item) = cancelled.old_item(at_response) {
            return Ok(Some(decode::<Response>(item)?));
        }
        if let Some(existing) = self.existing_response(&response.code, &response.id).await? {
            return Ok(Some(existing));
        }
        if at_response == 1 && cancelled.failed(0).is_some() {
            return Err(match cancelled.old_item(0) {
                None => StoreError::NotFound,
                Some(item) => StoreError::Expired(decode::<Invitation>(item)?.expires_at),
            });
        }
        let full = (0..quotas.len()).find(|i| cancelled.failed(at_response + 1 + i).is_some());
        Err(match full {
            Some(i) => StoreError::OverQuota {
                resets_at: quotas[i].resets_at,
            },
            None => StoreError::internal("an answer's transaction failed for no reason given"),
        })
    }
}
