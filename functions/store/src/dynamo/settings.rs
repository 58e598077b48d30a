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
        item.insert(PK.into(), s(keys::SETTINGS));
        item.insert(SK.into(), s(keys::SETTINGS));
        self.put_item(item).await
    }

    async fn secret(&self) -> Result<Secret, StoreError> {
        self.tenant_secret().await
    }
}
