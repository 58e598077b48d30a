//! API keys. On DynamoDB.

use super::*;
use crate::KeyStore;
use async_trait::async_trait;
use feedback_telemetry::Metric;

#[async_trait]
impl KeyStore for DynamoStore {
    async fn create_key(&self, key: &ApiKey) -> Result<(), StoreError> {
        self.put_item(key_item(key)?).await
    }

    async fn find_key(&self, hash: &str) -> Result<Option<ApiKey>, StoreError> {
        self.get(keys::KEYS.into(), hash.to_owned())
            .await?
            .map(decode)
            .transpose()
    }

    async fn list_keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        let items = self.query_all(keys::KEYS.into(), None).await?;
        let keys = items
            .into_iter()
            .map(decode)
            .collect::<Result<Vec<ApiKey>, _>>()?;
        Ok(crate::sort_keys(keys))
    }

    async fn revoke_key(&self, id: &str, at: DateTime<Utc>) -> Result<Revocation, StoreError> {
        for _ in 0..MAX_ATTEMPTS {
            // A tenant has a handful of keys: finding one by id in the list
            // is cheaper than keeping a second item per key.
            let keys = self.list_keys().await?;
            let Some(mut key) = keys.iter().find(|k| k.id == id).cloned() else {
                return Ok(Revocation::NoSuchKey);
            };
            if !key.is_active() {
                return Ok(Revocation::Revoked(key));
            }
            // Revoking an admin key checks, in the same transaction, that
            // another admin key is still active: two concurrent revokes of
            // the last two cannot both pass (one's check fails on the
            // other's write, or they conflict and retry).
            let other = match is_active_admin(&key) {
                true => match keys.iter().find(|k| k.id != key.id && is_active_admin(k)) {
                    Some(other) => Some(other),
                    None => return Ok(Revocation::LastAdmin),
                },
                false => None,
            };
            let mut items = vec![self.revoke_update(&key.hash, at)?];
            if let Some(other) = other {
                let check = ConditionCheck::builder()
                    .table_name(&*self.table)
                    .key(PK, s(keys::KEYS))
                    .key(SK, s(other.hash.clone()))
                    .condition_expression(
                        "attribute_exists(#pk) AND attribute_not_exists(#revoked)",
                    )
                    .expression_attribute_names("#pk", PK)
                    .expression_attribute_names("#revoked", "revoked_at")
                    .build()
                    .map_err(StoreError::internal)?;
                items.push(TransactWriteItem::builder().condition_check(check).build());
            }
            match self.transact(items).await? {
                Ok(()) => {
                    key.revoked_at = Some(at);
                    return Ok(Revocation::Revoked(key));
                }
                // Revoked meanwhile, or the other admin key was: read again.
                Err(Cancelled(_)) => feedback_telemetry::count(Metric::ConflictRetried),
            }
        }
        Err(StoreError::Conflict(
            "the keys kept changing under concurrent revokes".into(),
        ))
    }

    async fn touch_key(&self, hash: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let touched = self
            .client
            .update_item()
            .table_name(&*self.table)
            .key(PK, s(keys::KEYS))
            .key(SK, s(hash))
            .update_expression("SET last_used_at = :at")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":at", s(at.to_rfc3339()))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await;
        // A key deleted meanwhile is not an error.
        self.landed(
            touched,
            |e| e.is_conditional_check_failed_exception(),
            |o| o.consumed_capacity(),
        )?;
        Ok(())
    }
}
