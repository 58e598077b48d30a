//! The tenant's settings and its secret. On DynamoDB.

use super::*;
use crate::SettingsStore;
use async_trait::async_trait;

#[async_trait]
impl SettingsStore for DynamoStore {
    async fn get_settings(&self) -> Result<Option<Settings>, StoreError> {
        self.get(keys::SETTINGS.into(), keys::SETTINGS.into())
            .await?
            .map(decode)
            .transpose()
    }

    async fn put_settings(&self, settings: &Settings) -> Result<(), StoreError> {
        let mut item = encode(settings)?;
        // DynamoDB Local's stream renders an empty map (`"thank_you": {}`)
        // in a form the SDK cannot parse, which would stall the local
        // stream reader; an absent map reads back as empty.
        item.retain(|_, v| !matches!(v, AttributeValue::M(m) if m.is_empty()));
        item.insert(PK.into(), s(keys::SETTINGS));
        item.insert(SK.into(), s(keys::SETTINGS));
        self.put_item(item).await
    }

    async fn secret(&self) -> Result<Secret, StoreError> {
        self.tenant_secret().await
    }
}
