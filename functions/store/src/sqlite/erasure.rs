//! Erasing customers' personal data. On SQLite.

use super::*;
use crate::ErasureStore;
use async_trait::async_trait;

#[async_trait]
impl ErasureStore for SqliteStore {
    async fn erase_customer(
        &self,
        customer_ref: &CustomerRef,
        contact: &str,
    ) -> Result<Erased, StoreError> {
        let customer_ref = customer_ref.as_str().to_owned();
        let contact = contact.to_owned();
        self.write(move |tx| {
            tx.execute("DELETE FROM contacts WHERE contact = ?1", [&contact])
                .map_err(sql_err)?;
            let codes: Vec<String> = {
                let mut stmt = tx
                    .prepare_cached("SELECT code FROM invitations WHERE customer_ref = ?1")
                    .map_err(sql_err)?;
                stmt.query_map([&customer_ref], |row| row.get(0))
                    .map_err(sql_err)?
                    .collect::<Result<_, _>>()
                    .map_err(sql_err)?
            };
            let mut erased = Erased::default();
            for code in codes {
                erased += erase_personal(tx, &code)?;
            }
            Ok(erased)
        })
        .await
    }

    async fn erase_invitation(&self, code: &Code) -> Result<Erased, StoreError> {
        let code = code.to_string();
        self.write(move |tx| erase_personal(tx, &code)).await
    }
}
